using MenoTime.Api.Access;
using MenoTime.Api.Http;
using MenoTime.Data.Audit;
using Microsoft.AspNetCore.Http.HttpResults;
using Npgsql;

namespace MenoTime.Api.Features.Audit;

/// <summary>Who accessed a record, as the patient may see it: no client addresses, no trace ids.</summary>
public sealed record DisclosureEntry(DateTimeOffset OccurredAt, string? Subject, string? Role, string Action, string ResourceType, bool BreakGlass);

public static class AuditEndpoints
{
    public static void MapAuditEndpoints(this RouteGroupBuilder api)
    {
        var audit = api.MapGroup("/audit").WithTags("Audit").WithMetadata(new AuditResource("audit_trail"));
        audit.MapGet("/", Search).ForRoles(Roles.Admin);
        audit.MapGet("/verify", Verify).ForRoles(Roles.Admin).WithMetadata(new AuditResource("audit_trail", AuditActions.Read));
        api.MapGroup("/patients/{patientId}/access-log").WithTags("Audit").WithMetadata(new AuditResource("access_log"))
            .MapGet("/", AccessLog).ForPatient(PatientData.AccessLog, AccessMode.Read);
    }

    /// <summary>Admins search the trail by patient, subject and time.</summary>
    public static async Task<Results<Ok<Page<AuditEntry>>, ValidationProblem>> Search(
        Guid? patientId, string? subject, DateTimeOffset? from, DateTimeOffset? to, [AsParameters] PageQuery page, NpgsqlDataSource dataSource, CancellationToken cancellationToken)
    {
        if (!page.TryRead(out var limit, out var cursor, out var problem))
        {
            return problem!;
        }

        var rows = await AuditStore.SearchAsync(dataSource, patientId, subject, from, to, cursor is null ? null : (cursor.At, cursor.Id), null, limit + 1, cancellationToken);
        return TypedResults.Ok(PageQuery.Build(rows, limit, e => new PageCursor(e.OccurredAt, e.Id), e => e));
    }

    /// <summary>Recomputes every hash chain; reports the first broken link.</summary>
    public static async Task<Ok<AuditVerification>> Verify(NpgsqlDataSource dataSource, CancellationToken cancellationToken) =>
        TypedResults.Ok(await AuditChainVerifier.VerifyAsync(dataSource, cancellationToken));

    /// <summary>The accounting of disclosures: everyone but the patient who touched the record, oldest first.</summary>
    public static async Task<Results<Ok<Page<DisclosureEntry>>, ValidationProblem>> AccessLog(
        Guid patientId, [AsParameters] PageQuery page, HttpContext http, NpgsqlDataSource dataSource)
    {
        if (!page.TryRead(out var limit, out var cursor, out var problem))
        {
            return problem!;
        }

        var caller = http.RequireCaller();
        var patientSubject = caller.PatientId == patientId ? caller.Subject : null;
        var rows = await AuditStore.SearchAsync(dataSource, patientId, null, null, null, cursor is null ? null : (cursor.At, cursor.Id), patientSubject, limit + 1, http.RequestAborted);
        return TypedResults.Ok(PageQuery.Build(rows, limit, e => new PageCursor(e.OccurredAt, e.Id),
            e => new DisclosureEntry(e.OccurredAt, e.Subject, e.Role, e.Action, e.ResourceType, e.BreakGlass)));
    }
}
