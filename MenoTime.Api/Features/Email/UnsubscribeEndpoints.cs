using System.Net;
using MenoTime.Api.Access;
using MenoTime.Api.Features.Audit;
using MenoTime.Data.Audit;
using MenoTime.Data.Notifications;
using Microsoft.AspNetCore.Http.HttpResults;

namespace MenoTime.Api.Features.Email;

/// <summary>
/// The signed one-click opt-out link of every reminder (RFC 8058). Unauthenticated by design: the HMAC-signed
/// token is the authorization, and it names only a notification id. POST records the opt-out (what mail clients
/// send for <c>List-Unsubscribe-Post: List-Unsubscribe=One-Click</c>); GET only shows a button that POSTs, so
/// that link scanners and prefetchers opening the link unsubscribe no one.
/// </summary>
public static class UnsubscribeEndpoints
{
    public const string Path = "/api/v1/email/unsubscribe";

    public static RouteGroupBuilder MapUnsubscribeEndpoints(this RouteGroupBuilder email)
    {
        const string reason = "the signed link is the authorization (RFC 8058 one-click opt-out)";
        email.MapGet("/unsubscribe", Confirm).Anonymous(reason).WithMetadata(new AuditResource("email_opt_out", AuditActions.Read));
        email.MapPost("/unsubscribe", Unsubscribe).DisableAntiforgery().Anonymous(reason).WithMetadata(new AuditResource("email_opt_out", AuditActions.Update));
        return email;
    }

    public static Results<ContentHttpResult, ProblemHttpResult> Confirm(string? token, UnsubscribeToken tokens)
    {
        if (!tokens.TryRead(token, out _))
        {
            return InvalidLink();
        }

        var action = $"{Path}?token={WebUtility.UrlEncode(token)}";
        return TypedResults.Content($"""
            <!doctype html>
            <html lang="en"><head><meta charset="utf-8"><title>MenoTime email reminders</title></head>
            <body><form method="post" action="{WebUtility.HtmlEncode(action)}">
            <input type="hidden" name="List-Unsubscribe" value="One-Click">
            <p>Stop email reminders from MenoTime?</p><button type="submit">Stop email reminders</button>
            </form></body></html>
            """, "text/html; charset=utf-8");
    }

    public static async Task<Results<ContentHttpResult, ProblemHttpResult>> Unsubscribe(
        string? token, UnsubscribeToken tokens, NotificationOutbox outbox, SuppressionList suppressions, CancellationToken cancellationToken)
    {
        if (!tokens.TryRead(token, out var notificationId))
        {
            return InvalidLink();
        }

        if (await outbox.FindRecipientAsync(notificationId, cancellationToken) is not var (recipient, patientId))
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "This link is no longer valid.");
        }

        await suppressions.AddAsync(recipient, patientId, SuppressionReason.Unsubscribe, notificationId.ToString(), cancellationToken);
        return TypedResults.Content(
            "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>MenoTime email reminders</title></head>" +
            "<body><p>You will not receive email reminders any more. You can turn them on again in the portal.</p></body></html>",
            "text/html; charset=utf-8");
    }

    private static ProblemHttpResult InvalidLink() =>
        TypedResults.Problem(statusCode: StatusCodes.Status400BadRequest, title: "The unsubscribe link is not valid.");
}
