using Npgsql;

namespace MenoTime.AppHost.Hosting.Postgres;

/// <summary>The few administrative statements the host runs itself, without pooling.</summary>
internal static class PostgresAdmin
{
    public static async Task<HealthResult> ProbeAsync(string connectionString, CancellationToken cancellationToken)
    {
        try
        {
            await using var connection = new NpgsqlConnection(WithoutPooling(connectionString));
            await connection.OpenAsync(cancellationToken);
            await using var command = new NpgsqlCommand("SELECT 1", connection);
            await command.ExecuteScalarAsync(cancellationToken);
            return HealthResult.Healthy();
        }
        catch (Exception e) when (e is NpgsqlException or TimeoutException or InvalidOperationException && !cancellationToken.IsCancellationRequested)
        {
            return HealthResult.Unhealthy(e.Message);
        }
    }

    /// <summary>CREATE DATABASE unless it exists; two hosts racing are both fine.</summary>
    public static async Task<bool> EnsureDatabaseAsync(string serverConnectionString, string database, CancellationToken cancellationToken)
    {
        await using var connection = new NpgsqlConnection(WithoutPooling(serverConnectionString));
        await connection.OpenAsync(cancellationToken);
        await using (var exists = new NpgsqlCommand("SELECT 1 FROM pg_database WHERE datname = $1", connection))
        {
            exists.Parameters.Add(new() { Value = database });
            if (await exists.ExecuteScalarAsync(cancellationToken) is not null)
            {
                return false;
            }
        }

        try
        {
            await using var create = new NpgsqlCommand($"CREATE DATABASE {Quote(database)}", connection);
            await create.ExecuteNonQueryAsync(cancellationToken);
            return true;
        }
        catch (PostgresException e) when (e.SqlState is PostgresErrorCodes.DuplicateDatabase or PostgresErrorCodes.UniqueViolation)
        {
            return false;
        }
    }

    /// <summary>Creates the login role, or resets its password, and lets it connect to the database.</summary>
    public static async Task EnsureLoginRoleAsync(string serverConnectionString, string role, string password, string database, CancellationToken cancellationToken)
    {
        await using var connection = new NpgsqlConnection(WithoutPooling(serverConnectionString));
        await connection.OpenAsync(cancellationToken);
        // Role names and passwords cannot be parameters in DDL; both are generated or fixed by the host, never user input.
        var literal = "'" + password.Replace("'", "''", StringComparison.Ordinal) + "'";
        await using var command = new NpgsqlCommand($"""
            DO $$
            BEGIN
                IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{role}') THEN
                    CREATE ROLE {Quote(role)} LOGIN PASSWORD {literal};
                ELSE
                    ALTER ROLE {Quote(role)} WITH LOGIN PASSWORD {literal};
                END IF;
            END
            $$;
            GRANT CONNECT ON DATABASE {Quote(database)} TO {Quote(role)};
            """, connection);
        try
        {
            await command.ExecuteNonQueryAsync(cancellationToken);
        }
        catch (PostgresException e) when (e.SqlState is PostgresErrorCodes.DuplicateObject or PostgresErrorCodes.UniqueViolation)
        {
            // Another host created the role at the same moment (roles belong to the whole cluster): it exists now.
        }
    }

    public static async Task DropDatabaseAsync(string serverConnectionString, string database, CancellationToken cancellationToken)
    {
        await using var connection = new NpgsqlConnection(WithoutPooling(serverConnectionString));
        await connection.OpenAsync(cancellationToken);
        await using var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS {Quote(database)} WITH (FORCE)", connection);
        await drop.ExecuteNonQueryAsync(cancellationToken);
    }

    private static string Quote(string identifier) => "\"" + identifier.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";

    private static string WithoutPooling(string connectionString) =>
        new NpgsqlConnectionStringBuilder(connectionString) { Pooling = false, Timeout = 5 }.ConnectionString;
}
