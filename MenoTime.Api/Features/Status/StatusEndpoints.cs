using Microsoft.AspNetCore.Http.HttpResults;
using MenoTime.Api.Access;
using MenoTime.Api.Features.Audit;
using Npgsql;

namespace MenoTime.Api.Features.Status;

/// <summary>What an operator checks first: is the database there, which schema, which workers are alive.</summary>
public static class StatusEndpoints
{
    /// <summary>A worker not seen for this long is considered gone.</summary>
    public static readonly TimeSpan WorkerSeenWithin = TimeSpan.FromMinutes(2);

    public static void MapStatusEndpoints(this RouteGroupBuilder api) =>
        api.MapGet("/status", GetStatus).WithTags("Status").WithMetadata(new AuditResource("status")).Anonymous("operational status for operators; no PHI");

    public static async Task<Ok<StatusResponse>> GetStatus(NpgsqlDataSource dataSource, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var command = new NpgsqlCommand("""
            SELECT (SELECT max(version) FROM schema_migrations), now(),
                   instance_id, service_name, started_at, last_seen_at
            FROM (SELECT 1) AS one
            LEFT JOIN worker_heartbeats ON last_seen_at > now() - $1
            ORDER BY instance_id
            """, connection);
        command.Parameters.Add(new() { Value = WorkerSeenWithin });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);

        string schemaVersion = "";
        DateTimeOffset databaseTime = default;
        var workers = new List<WorkerStatus>();
        while (await reader.ReadAsync(cancellationToken))
        {
            schemaVersion = reader.GetString(0);
            databaseTime = reader.GetFieldValue<DateTimeOffset>(1);
            if (!reader.IsDBNull(2))
            {
                workers.Add(new WorkerStatus(
                    reader.GetString(2), reader.GetString(3),
                    reader.GetFieldValue<DateTimeOffset>(4), reader.GetFieldValue<DateTimeOffset>(5)));
            }
        }

        return TypedResults.Ok(new StatusResponse(schemaVersion, databaseTime, workers));
    }
}

public sealed record StatusResponse(string SchemaVersion, DateTimeOffset DatabaseTime, IReadOnlyList<WorkerStatus> Workers);

public sealed record WorkerStatus(string InstanceId, string Service, DateTimeOffset StartedAt, DateTimeOffset LastSeenAt);
