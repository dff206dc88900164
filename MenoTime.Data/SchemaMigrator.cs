using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace MenoTime.Data;

/// <summary>One hand-written SQL migration, embedded from <c>Migrations/NNNN_name.sql</c>.</summary>
public sealed record SchemaMigration(string Version, string Name, string Sql)
{
    /// <summary>SHA-256 of the script: an applied migration must never change afterwards.</summary>
    public string Checksum { get; } = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(Sql)));
}

/// <summary>
/// Applies the embedded migrations in version order, each in its own transaction, recording them in
/// <c>schema_migrations</c>. Idempotent; safe when several processes start at once, because everything
/// happens under one PostgreSQL advisory lock (the others wait, then find nothing left to do).
/// </summary>
public sealed partial class SchemaMigrator(NpgsqlDataSource dataSource, ILogger<SchemaMigrator> logger)
{
    /// <summary>Shared by every process that migrates a MenoTime database ("MENOTIME" in ASCII).</summary>
    private const long AdvisoryLockKey = 0x4D454E4F54494D45;

    public static IReadOnlyList<SchemaMigration> All { get; } = LoadEmbedded();

    public static string LatestVersion => All[^1].Version;

    /// <returns>The migrations this call applied (empty when the schema was already current).</returns>
    public async Task<IReadOnlyList<SchemaMigration>> MigrateAsync(CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await ExecuteAsync(connection, $"SELECT pg_advisory_lock({AdvisoryLockKey})", cancellationToken);
        try
        {
            await ExecuteAsync(connection, """
                CREATE TABLE IF NOT EXISTS schema_migrations (
                    version    text        PRIMARY KEY,
                    name       text        NOT NULL,
                    checksum   text        NOT NULL,
                    applied_at timestamptz NOT NULL DEFAULT now()
                )
                """, cancellationToken);

            var applied = await ReadAppliedAsync(connection, cancellationToken);
            var newlyApplied = new List<SchemaMigration>();
            foreach (var migration in All)
            {
                if (applied.TryGetValue(migration.Version, out var checksum))
                {
                    if (checksum != migration.Checksum)
                    {
                        throw new InvalidOperationException(
                            $"Migration {migration.Version}_{migration.Name} was changed after it was applied to this database. " +
                            "Applied migrations are immutable: revert the edit and add a new migration instead.");
                    }

                    continue;
                }

                await ApplyAsync(connection, migration, cancellationToken);
                newlyApplied.Add(migration);
                LogApplied(logger, migration.Version, migration.Name);
            }

            foreach (var unknown in applied.Keys.Except(All.Select(m => m.Version)))
            {
                // A newer deployment migrated ahead of this build: expected during a rolling deploy, worth a note.
                LogUnknown(logger, unknown);
            }

            LogCurrent(logger, LatestVersion, newlyApplied.Count);
            return newlyApplied;
        }
        finally
        {
            await ExecuteAsync(connection, $"SELECT pg_advisory_unlock({AdvisoryLockKey})", CancellationToken.None);
        }
    }

    private static async Task ApplyAsync(NpgsqlConnection connection, SchemaMigration migration, CancellationToken cancellationToken)
    {
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await using (var script = new NpgsqlCommand(migration.Sql, connection, transaction))
        {
            await script.ExecuteNonQueryAsync(cancellationToken);
        }

        await using (var record = new NpgsqlCommand(
            "INSERT INTO schema_migrations (version, name, checksum) VALUES ($1, $2, $3)", connection, transaction))
        {
            record.Parameters.Add(new() { Value = migration.Version });
            record.Parameters.Add(new() { Value = migration.Name });
            record.Parameters.Add(new() { Value = migration.Checksum });
            await record.ExecuteNonQueryAsync(cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
    }

    private static async Task<Dictionary<string, string>> ReadAppliedAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        var applied = new Dictionary<string, string>(StringComparer.Ordinal);
        await using var command = new NpgsqlCommand("SELECT version, checksum FROM schema_migrations", connection);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            applied[reader.GetString(0)] = reader.GetString(1);
        }

        return applied;
    }

    private static async Task ExecuteAsync(NpgsqlConnection connection, string sql, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Applied migration {Version}_{Name}")]
    private static partial void LogApplied(ILogger logger, string version, string name);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Database has migration {Version}, which this build does not know")]
    private static partial void LogUnknown(ILogger logger, string version);

    [LoggerMessage(Level = LogLevel.Information, Message = "Schema is at {Version} ({Count} applied now)")]
    private static partial void LogCurrent(ILogger logger, string version, int count);

    private static List<SchemaMigration> LoadEmbedded()
    {
        var assembly = typeof(SchemaMigrator).Assembly;
        const string prefix = "Migrations/";
        var migrations = new List<SchemaMigration>();
        foreach (var resource in assembly.GetManifestResourceNames().Where(n => n.StartsWith(prefix, StringComparison.Ordinal)))
        {
            var fileName = Path.GetFileNameWithoutExtension(resource[prefix.Length..]);
            var separator = fileName.IndexOf('_', StringComparison.Ordinal);
            if (separator <= 0)
            {
                throw new InvalidOperationException($"Migration file {fileName}.sql must be named NNNN_description.sql");
            }

            using var stream = assembly.GetManifestResourceStream(resource)!;
            using var reader = new StreamReader(stream, Encoding.UTF8);
            migrations.Add(new SchemaMigration(fileName[..separator], fileName[(separator + 1)..], reader.ReadToEnd()));
        }

        migrations.Sort((a, b) => string.CompareOrdinal(a.Version, b.Version));
        return migrations;
    }
}
