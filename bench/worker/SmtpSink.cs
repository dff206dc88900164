using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace MenoTime.Bench.Worker;

/// <summary>
/// A minimal real SMTP server for the benchmark: speaks ESMTP over TCP on loopback (EHLO, MAIL, RCPT, DATA,
/// RSET, NOOP, QUIT), accepts every message, and counts messages per X-MenoTime-Notification-Id header.
/// MailDev parses and stores every message and is far slower than the worker; this sink only reads the bytes.
/// It acknowledges what it receives at once (TCP_QUICKACK), as busy real servers effectively do; without it
/// Linux's delayed ACK meets System.Net.Mail's small final writes and adds 40 ms to every message.
/// </summary>
public sealed class SmtpSink : IAsyncDisposable
{
    private const string KeyHeader = "X-MenoTime-Notification-Id:";
    private static readonly byte[] QuickAckOn = BitConverter.GetBytes(1);
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _accepting;
    private long _messages;
    private long _connections;

    public SmtpSink(bool quickAck = true)
    {
        QuickAck = quickAck;
        _listener.Start(512);
        _accepting = AcceptAsync();
    }

    public bool QuickAck { get; }

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    public long Messages => Interlocked.Read(ref _messages);

    /// <summary>SMTP connections accepted since the last reset (a client that reuses its connection opens few).</summary>
    public long Connections => Interlocked.Read(ref _connections);

    public ConcurrentDictionary<string, int> PerKey { get; } = new(StringComparer.Ordinal);

    public void Reset()
    {
        Interlocked.Exchange(ref _messages, 0);
        Interlocked.Exchange(ref _connections, 0);
        PerKey.Clear();
    }

    private async Task AcceptAsync()
    {
        try
        {
            while (true)
            {
                var client = await _listener.AcceptTcpClientAsync(_stop.Token);
                _ = ServeAsync(client);
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    /// <summary>
    /// One connection: reads what arrived, acknowledges it at once (TCP_QUICKACK after each receive), handles every
    /// complete line, and answers all of them in one write (so pipelined commands work too).
    /// </summary>
    private async Task ServeAsync(TcpClient client)
    {
        using var _ = client;
        Interlocked.Increment(ref _connections);
        client.NoDelay = true;
        var socket = client.Client;
        var input = new byte[64 * 1024];
        var output = new StringBuilder();
        var (filled, inData) = (0, false);
        string? key = null;
        try
        {
            await socket.SendAsync(Encoding.ASCII.GetBytes("220 bench-sink ESMTP\r\n"), SocketFlags.None, _stop.Token);
            while (true)
            {
                if (filled == input.Length)
                {
                    Array.Resize(ref input, input.Length * 2);
                }

                var received = await socket.ReceiveAsync(input.AsMemory(filled), SocketFlags.None, _stop.Token);
                if (received == 0)
                {
                    return;
                }

                if (QuickAck)
                {
                    socket.SetRawSocketOption(6 /* IPPROTO_TCP */, 12 /* TCP_QUICKACK */, QuickAckOn);
                }

                filled += received;
                var consumed = 0;
                var quit = false;
                while (Array.IndexOf(input, (byte)'\n', consumed, filled - consumed) is var newline and >= 0)
                {
                    var line = Encoding.ASCII.GetString(input, consumed, newline - consumed).TrimEnd('\r');
                    consumed = newline + 1;
                    if (inData)
                    {
                        if (line == ".")
                        {
                            inData = false;
                            Interlocked.Increment(ref _messages);
                            PerKey.AddOrUpdate(key ?? "", 1, (_, count) => count + 1);
                            key = null;
                            output.Append("250 OK queued\r\n");
                        }
                        else if (key is null && line.StartsWith(KeyHeader, StringComparison.OrdinalIgnoreCase))
                        {
                            key = line[KeyHeader.Length..].Trim();
                        }

                        continue;
                    }

                    var verb = (line.Length >= 4 ? line[..4] : line).ToUpperInvariant();
                    output.Append(verb switch
                    {
                        "EHLO" => "250-bench-sink\r\n250-8BITMIME\r\n250 SMTPUTF8\r\n",
                        "HELO" or "MAIL" or "RCPT" or "RSET" or "NOOP" => "250 OK\r\n",
                        "DATA" => "354 End data with <CR><LF>.<CR><LF>\r\n",
                        "QUIT" => "221 Bye\r\n",
                        _ => "502 Command not implemented\r\n",
                    });
                    inData = verb == "DATA";
                    quit |= verb == "QUIT";
                }

                Array.Copy(input, consumed, input, 0, filled - consumed);
                filled -= consumed;
                if (output.Length > 0)
                {
                    await socket.SendAsync(Encoding.ASCII.GetBytes(output.ToString()), SocketFlags.None, _stop.Token);
                    output.Clear();
                }

                if (quit)
                {
                    return;
                }
            }
        }
        catch (Exception e) when (e is IOException or SocketException or OperationCanceledException or ObjectDisposedException)
        {
            // The client went away.
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        await _accepting;
        _stop.Dispose();
    }
}
