using Microsoft.Extensions.Diagnostics.HealthChecks;
using Npgsql;

namespace MenoTime.Data;

/// <summary>Ready means: PostgreSQL answers and the schema has every migration this build needs.</summary>
public sealed class DatabaseHealthCheck(NpgsqlDataSource dataSource) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        string? current;
        try
        {
            await using var command = dataSource.CreateCommand("SELECT max(version) FROM schema_migrations");
            current = await command.ExecuteScalarAsync(cancellationToken) as string;
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.UndefinedTable)
        {
            return HealthCheckResult.Unhealthy("schema not migrated: the migrations step has not run");
        }
        catch (Exception e) when (e is NpgsqlException or TimeoutException)
        {
            return HealthCheckResult.Unhealthy("database unreachable", e);
        }

        var needed = SchemaMigrator.LatestVersion;
        return string.CompareOrdinal(current, needed) >= 0
            ? HealthCheckResult.Healthy($"schema at {current}")
            : HealthCheckResult.Unhealthy($"schema at {current ?? "nothing"}, this build needs {needed}");
    }
}
