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
public sealed partial class SmtpSender(SmtpOptions options) : IDisposable
{
    private readonly SmtpClient _client = new(options.Host, options.Port)
    {
        EnableSsl = options.UseStartTls, // System.Net.Mail's EnableSsl is STARTTLS on the given port.
        DeliveryMethod = SmtpDeliveryMethod.Network,
        Timeout = (int)options.Timeout.TotalMilliseconds,
        Credentials = string.IsNullOrEmpty(options.Username) ? null : new NetworkCredential(options.Username, options.Password),
    };

    public async Task<SendResult> SendAsync(MailMessage message, CancellationToken cancellationToken)
    {
        using var activity = MenoTimeTelemetry.ActivitySource.StartActivity("smtp send", ActivityKind.Client);
        activity?.SetTag("server.address", options.Host);
        activity?.SetTag("server.port", options.Port);
        activity?.SetTag("network.protocol.name", "smtp");
        var result = await ExchangeAsync(message, cancellationToken);
        if (result.Outcome != SendOutcome.Accepted)
        {
            activity?.SetStatus(ActivityStatusCode.Error, result.Outcome.ToString());
        }

        return result;
    }

    private async Task<SendResult> ExchangeAsync(MailMessage message, CancellationToken cancellationToken)
    {
        try
        {
            await _client.SendMailAsync(message, cancellationToken);
            return new SendResult(SendOutcome.Accepted);
        }
        catch (SmtpFailedRecipientException e) when (IsPermanent(e.StatusCode))
        {
            return new SendResult(SendOutcome.Permanent, Describe(e));
        }
        catch (SmtpException e)
        {
            return new SendResult(IsPermanent(e.StatusCode) ? SendOutcome.Permanent : SendOutcome.Transient, Describe(e));
        }
        catch (Exception e) when (e is IOException or System.Net.Sockets.SocketException or InvalidOperationException or TimeoutException)
        {
            return new SendResult(SendOutcome.Transient, Describe(e));
        }
    }

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
