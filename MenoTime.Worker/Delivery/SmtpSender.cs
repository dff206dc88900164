using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Mail;
using System.Text.RegularExpressions;
using MenoTime.ServiceDefaults;

namespace MenoTime.Worker.Delivery;

/// <summary>What became of one SMTP exchange.</summary>
public enum SendOutcome
{
    Accepted,

    /// <summary>Worth another attempt: the server was down, busy, timed out, or answered 4xx.</summary>
    Transient,

    /// <summary>The server refused this recipient for good (5xx about the mailbox): retrying cannot help.</summary>
    Permanent,
}

public sealed record SendResult(SendOutcome Outcome, string? Error = null);

/// <summary>
/// One SMTP lane: a System.Net.Mail client (host, port, STARTTLS, credentials from <c>Email__Smtp__*</c>) used for
/// one message at a time. Each exchange is a client span with server.address and server.port, and no PHI.
/// </summary>
/// <remarks>
/// The client keeps its connection open between messages, and servers hang up idle ones (MailDev after a minute,
/// answering the next command "421 Timeout - closing connection"). So a lane idle for <see cref="SmtpOptions.IdleReconnect"/>
/// starts a new connection, and a 421 (the server closing the channel: nothing was accepted) is retried at once on a
/// new connection; neither counts as a failed attempt. Without this, the first reminder after a quiet spell failed
/// and waited out a retry backoff.
/// </remarks>
public sealed partial class SmtpSender(SmtpOptions options) : IDisposable
{
    private SmtpClient _client = NewClient(options);
    private long _lastExchange = Stopwatch.GetTimestamp();

    public async Task<SendResult> SendAsync(MailMessage message, CancellationToken cancellationToken)
    {
        using var activity = MenoTimeTelemetry.ActivitySource.StartActivity("smtp send", ActivityKind.Client);
        activity?.SetTag("server.address", options.Host);
        activity?.SetTag("server.port", options.Port);
        activity?.SetTag("network.protocol.name", "smtp");
        if (Stopwatch.GetElapsedTime(_lastExchange) > options.IdleReconnect)
        {
            Reconnect();
        }

        var (result, code) = await ExchangeAsync(message, cancellationToken);
        if (code == SmtpStatusCode.ServiceNotAvailable)
        {
            activity?.AddEvent(new ActivityEvent("smtp reconnect after 421"));
            Reconnect();
            (result, _) = await ExchangeAsync(message, cancellationToken);
        }

        _lastExchange = Stopwatch.GetTimestamp();
        if (result.Outcome != SendOutcome.Accepted)
        {
            activity?.SetStatus(ActivityStatusCode.Error, result.Outcome.ToString());
        }

        return result;
    }

    private async Task<(SendResult Result, SmtpStatusCode? Code)> ExchangeAsync(MailMessage message, CancellationToken cancellationToken)
    {
        try
        {
            await _client.SendMailAsync(message, cancellationToken);
            return (new SendResult(SendOutcome.Accepted), null);
        }
        catch (SmtpFailedRecipientException e) when (IsPermanent(e.StatusCode))
        {
            return (new SendResult(SendOutcome.Permanent, Describe(e)), e.StatusCode);
        }
        catch (SmtpException e)
        {
            return (new SendResult(IsPermanent(e.StatusCode) ? SendOutcome.Permanent : SendOutcome.Transient, Describe(e)), e.StatusCode);
        }
        catch (Exception e) when (e is IOException or System.Net.Sockets.SocketException or InvalidOperationException or TimeoutException)
        {
            return (new SendResult(SendOutcome.Transient, Describe(e)), null);
        }
    }

    private void Reconnect()
    {
        _client.Dispose(); // says QUIT if the connection is still there
        _client = NewClient(options);
    }

    private static SmtpClient NewClient(SmtpOptions options) => new(options.Host, options.Port)
    {
        EnableSsl = options.UseStartTls, // System.Net.Mail's EnableSsl is STARTTLS on the given port.
        DeliveryMethod = SmtpDeliveryMethod.Network,
        Timeout = (int)options.Timeout.TotalMilliseconds,
        Credentials = string.IsNullOrEmpty(options.Username) ? null : new NetworkCredential(options.Username, options.Password),
    };

    /// <summary>Only replies about the mailbox itself are final; anything else (auth, policy, 4xx) may pass.</summary>
    private static bool IsPermanent(SmtpStatusCode code) => code is SmtpStatusCode.MailboxUnavailable
        or SmtpStatusCode.MailboxNameNotAllowed or SmtpStatusCode.UserNotLocalTryAlternatePath
        or SmtpStatusCode.ExceededStorageAllocation;

    /// <summary>The error for last_error: status code and reply, with any address blanked out.</summary>
    private static string Describe(Exception e)
    {
        var code = e is SmtpException smtp ? ((int)smtp.StatusCode).ToString(CultureInfo.InvariantCulture) + " " : "";
        var inner = e.InnerException is { } cause ? $" ({cause.GetType().Name}: {cause.Message})" : "";
        return Address().Replace($"{code}{e.GetType().Name}: {e.Message}{inner}", "<address>");
    }

    [GeneratedRegex(@"[^\s<>""':;,()]+@[^\s<>""':;,()]+")]
    private static partial Regex Address();

    public void Dispose() => _client.Dispose();
}
