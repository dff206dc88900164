using MenoTime.Api.Access;
using MenoTime.Api.Features.Audit;
using MenoTime.Api.Http;
using MenoTime.Data;
using MenoTime.Data.Model;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;

namespace MenoTime.Api.Features.CareTeam;

public sealed record AssignmentCreate(Guid? ProviderId) : ICreateRequest;

public sealed record AssignmentResponse(Guid ProviderId, string Source, DateTimeOffset CreatedAt);

public sealed record SupporterGrantCreate(string? SupporterSubject, string[]? Scopes, DateTimeOffset? ExpiresAt) : ICreateRequest;

public sealed record SupporterGrantResponse(Guid Id, string SupporterSubject, string[] Scopes, DateTimeOffset ExpiresAt, DateTimeOffset CreatedAt, DateTimeOffset? RevokedAt)
{
    public static SupporterGrantResponse From(SupporterGrant g) => new(g.Id, g.SupporterSubject, g.Scopes, g.ExpiresAt, g.CreatedAt, g.RevokedAt);
}

/// <summary>Who may see a patient: assigned providers (admins manage them) and supporters (the patient grants them).</summary>
public static class CareTeamEndpoints
{
    public static readonly TimeSpan MaxGrant = TimeSpan.FromDays(366);

    public static void MapCareTeamEndpoints(this RouteGroupBuilder api)
    {
        var patient = api.MapGroup("/patients/{patientId}").WithTags("Care team");
        var assignments = patient.MapGroup("/assignments").WithMetadata(new AuditResource("care_assignment"));
        assignments.MapGet("/", ListAssignments).ForPatient(PatientData.Assignments, AccessMode.Read);
        assignments.MapPost("/", Assign).ForPatient(PatientData.Assignments, AccessMode.Write).Idempotent();
        assignments.MapDelete("/{providerId:guid}", Unassign).ForPatient(PatientData.Assignments, AccessMode.Write);
        var grants = patient.MapGroup("/supporter-grants").WithMetadata(new AuditResource("supporter_grant"));
        grants.MapGet("/", ListGrants).ForPatient(PatientData.Supporters, AccessMode.Read);
        grants.MapPost("/", Grant).ForPatient(PatientData.Supporters, AccessMode.Write).Idempotent();
        grants.MapDelete("/{grantId:guid}", Revoke).ForPatient(PatientData.Supporters, AccessMode.Write);
    }

    public static async Task<Ok<List<AssignmentResponse>>> ListAssignments(Guid patientId, HttpContext http, MenoTimeDbContext db) =>
        TypedResults.Ok(await db.CareAssignments.AsNoTracking().Where(a => a.PatientId == patientId).OrderBy(a => a.CreatedAt)
            .Select(a => new AssignmentResponse(a.ProviderId, a.Source, a.CreatedAt)).ToListAsync(http.RequestAborted));

    public static async Task<Results<Created<AssignmentResponse>, ValidationProblem, ProblemHttpResult>> Assign(
        Guid patientId, AssignmentCreate request, HttpContext http, MenoTimeDbContext db, TimeProvider clock)
    {
        if (request.ProviderId is not { } providerId)
        {
            return Problems.Validation("providerId", "is required.");
        }

        if (!await db.Providers.AnyAsync(p => p.Id == providerId, http.RequestAborted))
        {
            return Problems.NotFound("provider");
        }

        if (await db.CareAssignments.AnyAsync(a => a.PatientId == patientId && a.ProviderId == providerId, http.RequestAborted))
        {
            return Problems.Conflict("already-assigned", "This provider is already assigned to the patient.");
        }

        var caller = http.RequireCaller();
        var assignment = new CareAssignment
        {
            PatientId = patientId, ProviderId = providerId, Source = CareAssignment.FromAdmin, CreatedBy = caller.Subject, CreatedAt = clock.GetUtcNow(),
        };
        db.CareAssignments.Add(assignment);
        await db.SaveChangesAsync(http.RequestAborted);
        return TypedResults.Created($"/api/v1/patients/{patientId}/assignments", new AssignmentResponse(providerId, assignment.Source, assignment.CreatedAt));
    }

    public static async Task<Results<NoContent, ProblemHttpResult>> Unassign(Guid patientId, Guid providerId, HttpContext http, MenoTimeDbContext db)
    {
        var removed = await db.CareAssignments.Where(a => a.PatientId == patientId && a.ProviderId == providerId).ExecuteDeleteAsync(http.RequestAborted);
        return removed == 0 ? Problems.NotFound("assignment") : TypedResults.NoContent();
    }

    public static async Task<Ok<List<SupporterGrantResponse>>> ListGrants(Guid patientId, HttpContext http, MenoTimeDbContext db) =>
        TypedResults.Ok((await db.SupporterGrants.AsNoTracking().Where(g => g.PatientId == patientId).OrderBy(g => g.CreatedAt).ToListAsync(http.RequestAborted))
            .Select(SupporterGrantResponse.From).ToList());

    /// <summary>The patient (or an admin) lets a supporter read the scoped parts of the record until expiresAt.</summary>
    public static async Task<Results<Created<SupporterGrantResponse>, ValidationProblem>> Grant(
        Guid patientId, SupporterGrantCreate request, HttpContext http, MenoTimeDbContext db, TimeProvider clock)
    {
        var now = clock.GetUtcNow();
        var scopes = request.Scopes ?? [];
        var grantable = PatientAccessPolicy.GrantableScopes.Select(s => s.ToString().ToLowerInvariant()).ToArray();
        var validation = new Validation()
            .Text(request.SupporterSubject, "supporterSubject", 200)
            .Check(scopes.Length > 0 && scopes.All(grantable.Contains) && scopes.Distinct().Count() == scopes.Length,
                "scopes", $"must list one or more of: {string.Join(", ", grantable)}.")
            .Check(request.ExpiresAt is { } expires && expires > now && expires - now <= MaxGrant, "expiresAt", "must be in the future, at most a year away.");
        if (!validation.IsValid)
        {
            return validation.ToProblem();
        }

        var grant = new SupporterGrant
        {
            Id = Guid.CreateVersion7(),
            PatientId = patientId,
            SupporterSubject = request.SupporterSubject!,
            Scopes = scopes,
            ExpiresAt = request.ExpiresAt!.Value.ToUniversalTime(),
            CreatedAt = now,
        };
        db.SupporterGrants.Add(grant);
        await db.SaveChangesAsync(http.RequestAborted);
        return TypedResults.Created($"/api/v1/patients/{patientId}/supporter-grants/{grant.Id}", SupporterGrantResponse.From(grant));
    }

    public static async Task<Results<NoContent, ProblemHttpResult>> Revoke(Guid patientId, Guid grantId, HttpContext http, MenoTimeDbContext db, TimeProvider clock)
    {
        var now = clock.GetUtcNow();
        var revoked = await db.SupporterGrants.Where(g => g.Id == grantId && g.PatientId == patientId && g.RevokedAt == null)
            .ExecuteUpdateAsync(s => s.SetProperty(g => g.RevokedAt, now), http.RequestAborted);
        return revoked == 0 ? Problems.NotFound("supporter grant") : TypedResults.NoContent();
    }
}
