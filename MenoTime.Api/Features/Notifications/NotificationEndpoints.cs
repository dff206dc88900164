using MenoTime.Api.Access;
using MenoTime.Api.Features.Audit;
using MenoTime.Api.Http;
using MenoTime.Data.Notifications;
using Microsoft.AspNetCore.Http.HttpResults;

namespace MenoTime.Api.Features.Notifications;

public static class NotificationEndpoints
{
    public static void MapNotificationEndpoints(this RouteGroupBuilder api)
    {
        var notifications = api.MapGroup("/notifications").WithTags("Notifications").WithMetadata(new AuditResource("notification"));
        notifications.MapGet("/", List).ForRoles(Roles.Patient, Roles.Admin);
    }

    /// <summary>
    /// Reminder notifications, newest first, each with every status it went through (queued, sending, sent, failed,
    /// dead, retired, suppressed) and when. A patient sees their own (patientId may be left out); an admin sees any
    /// patient's, or everyone's without patientId, and also the break-glass alerts sent to administrators (kind
    /// emergency-access). Never the message, never the address.
    /// </summary>
    public static async Task<Results<Ok<Page<NotificationView>>, ValidationProblem, ProblemHttpResult>> List(
        Guid? patientId, [AsParameters] PageQuery page, HttpContext http, PatientAccessPolicy policy, NotificationHistoryReader reader)
    {
        if (!page.TryRead(out var limit, out _, out var problem))
        {
            return problem!;
        }

        var caller = http.RequireCaller();
        var patient = patientId ?? (caller.Is(Roles.Admin) ? null : caller.PatientId);
        if (patient is null && !caller.Is(Roles.Admin))
        {
            return Problems.NotFound("patient");
        }

        if (patient is { } id && await policy.CheckAsync(caller, id, PatientData.Notifications, AccessMode.Read, http.RequestAborted) is null)
        {
            return Problems.NotFound("patient");
        }

        try
        {
            var result = await reader.ListAsync(patient, includeAlerts: caller.Is(Roles.Admin), limit, page.Cursor, http.RequestAborted);
            return TypedResults.Ok(new Page<NotificationView>(result.Items, result.NextCursor));
        }
        catch (FormatException)
        {
            // The reader's cursor is the API's PageCursor, checked above; this only guards against the two drifting apart.
            return Problems.Validation("cursor", "cursor is not one this API returned.");
        }
    }
}
