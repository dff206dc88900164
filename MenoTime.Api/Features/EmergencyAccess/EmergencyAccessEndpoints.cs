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

/// <summary>A grant as an administrator reviews it: with the reason the provider stated.</summary>
public sealed record EmergencyAccessReview(Guid Id, Guid PatientId, Guid ProviderId, string Reason, DateTimeOffset GrantedAt, DateTimeOffset ExpiresAt);

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

    public static void MapEmergencyAccessEndpoints(this RouteGroupBuilder api)
    {
        api.MapGroup("/patients/{patientId}/emergency-access").WithTags("Emergency access").WithMetadata(new AuditResource("emergency_access"))
            .MapPost("/", Grant).ForRoles(Roles.Provider).RequireRateLimiting(SessionEndpoints.RateLimitPolicy);
        api.MapGroup("/emergency-access").WithTags("Emergency access").WithMetadata(new AuditResource("emergency_access"))
            .MapGet("/", Review).ForRoles(Roles.Admin);
    }

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

    /// <summary>
    /// The security officer's review, where the alert email points: grants newest first, with the stated reason, by
    /// patient, provider and time granted. What was opened under a grant is in the audit trail (flagged break_glass).
    /// </summary>
    public static async Task<Results<Ok<Page<EmergencyAccessReview>>, ValidationProblem>> Review(
        Guid? patientId, Guid? providerId, DateTimeOffset? from, DateTimeOffset? to, [AsParameters] PageQuery page, MenoTimeDbContext db, HttpContext http)
    {
        if (!page.TryRead(out var limit, out var cursor, out var problem))
        {
            return problem!;
        }

        var query = db.BreakGlassGrants.AsNoTracking();
        if (patientId is { } patient)
        {
            query = query.Where(g => g.PatientId == patient);
        }

        if (providerId is { } provider)
        {
            query = query.Where(g => g.ProviderId == provider);
        }

        if (from is { } f)
        {
            var fromUtc = f.ToUniversalTime();
            query = query.Where(g => g.GrantedAt >= fromUtc);
        }

        if (to is { } t)
        {
            var toUtc = t.ToUniversalTime();
            query = query.Where(g => g.GrantedAt < toUtc);
        }

        if (cursor is not null)
        {
            query = query.Where(g => g.GrantedAt < cursor.At || (g.GrantedAt == cursor.At && g.Id.CompareTo(cursor.Id) < 0));
        }

        var rows = await query.OrderByDescending(g => g.GrantedAt).ThenByDescending(g => g.Id).Take(limit + 1).ToListAsync(http.RequestAborted);
        return TypedResults.Ok(PageQuery.Build(rows, limit, g => new PageCursor(g.GrantedAt, g.Id),
            g => new EmergencyAccessReview(g.Id, g.PatientId, g.ProviderId, g.Reason, g.GrantedAt, g.ExpiresAt)));
    }
}
