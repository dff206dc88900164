using MenoTime.Api.Access;
using MenoTime.Api.Features.Audit;
using MenoTime.Api.Features.Sessions;
using MenoTime.Api.Http;
using MenoTime.Data;
using MenoTime.Data.Model;
using MenoTime.Data.Notifications;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;

namespace MenoTime.Api.Features.EmergencyAccess;

public sealed record EmergencyAccessRequest(string? Reason) : ICreateRequest;

public sealed record EmergencyAccessGrant(Guid Id, Guid PatientId, Guid ProviderId, DateTimeOffset GrantedAt, DateTimeOffset ExpiresAt);

/// <summary>
/// Break-glass: a provider opens a patient not assigned to them, with a stated reason, for 60 minutes.
/// The grant and every access under it are flagged in the audit trail, and the administrators get an email.
/// </summary>
public static class EmergencyAccessEndpoints
{
    public static readonly TimeSpan Duration = TimeSpan.FromMinutes(60);

    public static IHostApplicationBuilder AddEmergencyAccessAlerts(this IHostApplicationBuilder builder)
    {
        var recipients = EmergencyAccessAlerts.ReadRecipients(builder.Configuration);
        builder.Services.AddSingleton(services => new EmergencyAccessAlerts(services.GetRequiredService<NotificationOutbox>(), recipients));
        return builder;
    }

    public static void MapEmergencyAccessEndpoints(this RouteGroupBuilder api) =>
        api.MapGroup("/patients/{patientId}/emergency-access").WithTags("Emergency access").WithMetadata(new AuditResource("emergency_access"))
            .MapPost("/", Grant).ForRoles(Roles.Provider).RequireRateLimiting(SessionEndpoints.RateLimitPolicy);

    public static async Task<Results<Created<EmergencyAccessGrant>, ValidationProblem, ProblemHttpResult>> Grant(
        Guid patientId, EmergencyAccessRequest request, HttpContext http, MenoTimeDbContext db, PatientAccessPolicy policy, EmergencyAccessAlerts alerts, TimeProvider clock)
    {
        var caller = http.RequireCaller();
        if (caller.ProviderId is not { } providerId)
        {
            return Problems.Forbidden("Your login has no provider record.");
        }

        var validation = new Validation().Text(request.Reason, "reason", 1000, multiline: true)
            .Check(request.Reason is null || request.Reason.Trim().Length >= 10, "reason", "state the clinical reason in at least 10 characters.");
        if (!validation.IsValid)
        {
            return validation.ToProblem();
        }

        if (!await db.Patients.AnyAsync(p => p.Id == patientId, http.RequestAborted))
        {
            return Problems.NotFound("patient");
        }

        var now = clock.GetUtcNow();
        var grant = new BreakGlassGrant
        {
            Id = Guid.CreateVersion7(), ProviderId = providerId, PatientId = patientId, Reason = request.Reason!.Trim(), GrantedAt = now, ExpiresAt = now + Duration,
        };
        db.BreakGlassGrants.Add(grant);
        await db.SaveChangesAsync(http.RequestAborted);
        await alerts.EnqueueAsync(db, grant, http.RequestAborted);
        policy.MarkEmergencyAccess();
        return TypedResults.Created($"/api/v1/patients/{patientId}", new EmergencyAccessGrant(grant.Id, patientId, providerId, grant.GrantedAt, grant.ExpiresAt));
    }
}
