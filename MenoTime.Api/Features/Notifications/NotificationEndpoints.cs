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
        if (!page.TryRead(out var limit, out var cursor, out var problem))
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

        var rows = await reader.ListAsync(patient, includeAlerts: caller.Is(Roles.Admin), cursor is null ? null : (cursor.At, cursor.Id), limit + 1, http.RequestAborted);
        return TypedResults.Ok(PageQuery.Build(rows, limit, n => new PageCursor(n.CreatedAt, n.View.Id), n => n.View));
    }
}
