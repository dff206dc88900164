using MenoTime.Api.Access;
using MenoTime.Api.Features.Audit;
using MenoTime.Data.Audit;
using System.Text.Json;
using MenoTime.Data.Notifications;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;

namespace MenoTime.Api.Features.Email;

/// <summary>Which SNS topics may report bounces and complaints: <c>Email__Sns__TopicArns</c> (comma-separated).</summary>
public sealed class SnsOptions
{
    public const string Section = "Email:Sns";

    public string TopicArns { get; set; } = "";

    public bool Allows(string? topicArn) => topicArn is not null
        && TopicArns.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).Contains(topicArn, StringComparer.Ordinal);
}

/// <summary>
/// SES bounce and complaint notifications, delivered by SNS over HTTPS. Accepted only from an allowed topic
/// and with a valid SNS signature; confirms the subscription; records permanent bounces and complaints in the
/// suppression list the worker honours. Transient bounces and deliveries change nothing.
/// </summary>
public static partial class SesFeedbackEndpoints
{
    public const string Path = "/api/v1/email/ses-notifications";

    /// <summary>SNS messages are at most 256 KB.</summary>
    private const int MaxBody = 300 * 1024;

    public static RouteGroupBuilder MapSesFeedbackEndpoints(this RouteGroupBuilder email)
    {
        email.MapPost("/ses-notifications", Receive).DisableAntiforgery()
            .Anonymous("Amazon SNS delivers it; the message signature, certificate host and topic are verified")
            .WithMetadata(new AuditResource("email_feedback", AuditActions.Create));
        return email;
    }

    public static async Task<Results<Ok, ProblemHttpResult>> Receive(
        HttpRequest request, SnsClient sns, IOptions<SnsOptions> options, SuppressionList suppressions,
        ILoggerFactory loggers, CancellationToken cancellationToken)
    {
        var logger = loggers.CreateLogger(typeof(SesFeedbackEndpoints));
        if (request.ContentLength > MaxBody)
        {
            return Problem(StatusCodes.Status413PayloadTooLarge, "An SNS message is at most 256 KB.");
        }

        SnsMessage? message;
        try
        {
            // SNS posts JSON as text/plain: read the body whatever its content type says.
            message = await JsonSerializer.DeserializeAsync<SnsMessage>(request.Body, cancellationToken: cancellationToken);
        }
        catch (JsonException)
        {
            return Problem(StatusCodes.Status400BadRequest, "The body is not an SNS message.");
        }

        if (message?.Type is not (SnsMessage.Notification or SnsMessage.SubscriptionConfirmation or SnsMessage.UnsubscribeConfirmation))
        {
            return Problem(StatusCodes.Status400BadRequest, "The body is not an SNS message.");
        }

        if (!options.Value.Allows(message.TopicArn))
        {
            return Problem(StatusCodes.Status403Forbidden, "Messages from this topic are not accepted.");
        }

        try
        {
            if (!await sns.VerifyAsync(message, cancellationToken))
            {
                LogRejected(logger, message.MessageId);
                return Problem(StatusCodes.Status403Forbidden, "The SNS signature does not verify.");
            }

            if (message.Type == SnsMessage.SubscriptionConfirmation && !await sns.ConfirmSubscriptionAsync(message, cancellationToken))
            {
                return Problem(StatusCodes.Status400BadRequest, "The SubscribeURL is not an SNS URL.");
            }
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
        {
            // SNS is unreachable from here just now; SNS retries the delivery later.
            LogSnsUnreachable(logger, e);
            return Problem(StatusCodes.Status503ServiceUnavailable, "Amazon SNS could not be reached; deliver again later.");
        }

        switch (message.Type)
        {
            case SnsMessage.SubscriptionConfirmation:

                LogConfirmed(logger, message.TopicArn!);
                return TypedResults.Ok();

            case SnsMessage.Notification:
                if (!TryReadFeedback(message.Message!, out var reason, out var addresses))
                {
                    return Problem(StatusCodes.Status400BadRequest, "The notification is not an SES event.");
                }

                if (reason is { } suppression)
                {
                    foreach (var address in addresses)
                    {
                        await suppressions.AddAsync(address, null, suppression, message.MessageId!, cancellationToken);
                    }

                    LogSuppressed(logger, addresses.Count, suppression, message.MessageId);
                }

                return TypedResults.Ok();

            default:
                return TypedResults.Ok();
        }
    }

    /// <summary>
    /// Reads an SES notification (notificationType) or event (eventType). Permanent bounces and complaints
    /// give a reason and their recipients; anything else (transient bounce, delivery, send) gives no reason.
    /// </summary>
    internal static bool TryReadFeedback(string json, out SuppressionReason? reason, out List<string> addresses)
    {
        reason = null;
        addresses = [];
        try
        {
            using var document = JsonDocument.Parse(json);
            var root = document.RootElement;
            var type = root.TryGetProperty("notificationType", out var t) || root.TryGetProperty("eventType", out t) ? t.GetString() : null;
            if (type is null)
            {
                return false;
            }

            var (section, list) = type switch
            {
                "Bounce" when root.TryGetProperty("bounce", out var bounce)
                    && bounce.TryGetProperty("bounceType", out var kind) && kind.GetString() == "Permanent" => (bounce, "bouncedRecipients"),
                "Complaint" when root.TryGetProperty("complaint", out var complaint) => (complaint, "complainedRecipients"),
                _ => (default, null),
            };
            if (list is null)
            {
                return true;
            }

            reason = type == "Bounce" ? SuppressionReason.Bounce : SuppressionReason.Complaint;
            if (section.TryGetProperty(list, out var recipients) && recipients.ValueKind == JsonValueKind.Array)
            {
                addresses = [.. recipients.EnumerateArray()
                    .Select(r => r.TryGetProperty("emailAddress", out var a) ? a.GetString() : null)
                    .Where(a => !string.IsNullOrWhiteSpace(a) && System.Net.Mail.MailAddress.TryCreate(a, out _))
                    .Select(a => System.Net.Mail.MailAddress.TryCreate(a, out var parsed) ? parsed.Address : a!)];
            }

            return true;
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException)
        {
            return false;
        }
    }

    private static ProblemHttpResult Problem(int status, string title) => TypedResults.Problem(statusCode: status, title: title);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Rejected SNS message {MessageId}: signature does not verify")]
    private static partial void LogRejected(ILogger logger, string? messageId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Amazon SNS could not be reached to verify or confirm a message")]
    private static partial void LogSnsUnreachable(ILogger logger, Exception exception);

    [LoggerMessage(Level = LogLevel.Information, Message = "Confirmed the SNS subscription to {TopicArn}")]
    private static partial void LogConfirmed(ILogger logger, string topicArn);

    [LoggerMessage(Level = LogLevel.Information, Message = "Suppressed {Count} addresses ({Reason}) from SNS message {MessageId}")]
    private static partial void LogSuppressed(ILogger logger, int count, SuppressionReason reason, string? messageId);
}
