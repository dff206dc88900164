using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace MenoTime.Bench.Worker;

/// <summary>
/// A minimal real SMTP server for the benchmark: speaks ESMTP over TCP on loopback (EHLO, MAIL, RCPT, DATA,
/// RSET, NOOP, QUIT), accepts every message, and counts messages per X-MenoTime-Notification-Id header.
/// MailDev parses and stores every message and is far slower than the worker; this sink only reads the bytes.
/// It acknowledges each received segment at once (TCP_QUICKACK), as busy real servers effectively do; without it
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

    private async Task ServeAsync(TcpClient client)
    {
        using var _ = client;
        Interlocked.Increment(ref _connections);
        client.NoDelay = true;
        var socket = client.Client;
        var stream = client.GetStream();
        var reader = new StreamReader(stream, Encoding.ASCII, false, 16 * 1024);
        var writer = new StreamWriter(stream, Encoding.ASCII, 1024) { NewLine = "\r\n", AutoFlush = false };
        try
        {
            await Reply("220 bench-sink ESMTP");
            while (await reader.ReadLineAsync(_stop.Token) is { } line)
            {
                Ack();
                var verb = line.Length >= 4 ? line[..4].ToUpperInvariant() : line.ToUpperInvariant();
                switch (verb)
                {
                    case "EHLO":
                        await Reply("250-bench-sink", "250-8BITMIME", "250 SMTPUTF8");
                        break;
                    case "HELO" or "MAIL" or "RCPT" or "RSET" or "NOOP":
                        await Reply("250 OK");
                        break;
                    case "DATA":
                        await Reply("354 End data with <CR><LF>.<CR><LF>");
                        string? key = null;
                        while (await reader.ReadLineAsync(_stop.Token) is { } data && data != ".")
                        {
                            Ack();
                            if (key is null && data.StartsWith(KeyHeader, StringComparison.OrdinalIgnoreCase))
                            {
                                key = data[KeyHeader.Length..].Trim();
                            }
                        }

                        Ack();
                        Interlocked.Increment(ref _messages);
                        PerKey.AddOrUpdate(key ?? "", 1, (_, count) => count + 1);
                        await Reply("250 OK queued");
                        break;
                    case "QUIT":
                        await Reply("221 Bye");
                        return;
                    default:
                        await Reply("502 Command not implemented");
                        break;
                }
            }
        }
        catch (Exception e) when (e is IOException or SocketException or OperationCanceledException or ObjectDisposedException)
        {
            // The client went away.
        }

        async Task Reply(params string[] lines)
        {
            foreach (var reply in lines)
            {
                await writer.WriteLineAsync(reply);
            }

            await writer.FlushAsync();
        }

        void Ack()
        {
            if (QuickAck)
            {
                socket.SetRawSocketOption(6 /* IPPROTO_TCP */, 12 /* TCP_QUICKACK */, QuickAckOn);
            }
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
