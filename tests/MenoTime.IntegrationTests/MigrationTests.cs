using MenoTime.Data;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace MenoTime.IntegrationTests;

/// <summary>The migration step on databases of its own, on the graph's PostgreSQL server.</summary>
public sealed class MigrationTests(MenoTimeGraph graph) : IAsyncLifetime
{
    private readonly string _database = $"migration_test_{Guid.NewGuid():N}";
    private readonly List<NpgsqlDataSource> _dataSources = [];

    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    private string ConnectionString => new NpgsqlConnectionStringBuilder(graph.OwnerConnectionString) { Database = _database }.ConnectionString;

    public async ValueTask InitializeAsync() => await OnServerAsync($"CREATE DATABASE {_database}");

    public async ValueTask DisposeAsync()
    {
        foreach (var dataSource in _dataSources)
        {
            await dataSource.DisposeAsync();
        }

        await OnServerAsync($"DROP DATABASE IF EXISTS {_database} WITH (FORCE)");
    }

    [Fact]
    public async Task Processes_migrating_at_once_apply_each_migration_exactly_once()
    {
        var migrators = Enumerable.Range(0, 4).Select(_ => Migrator()).ToList();

        var applied = await Task.WhenAll(migrators.Select(m => m.MigrateAsync(Cancellation)));

        Assert.Equal(SchemaMigrator.All.Count, applied.Sum(a => a.Count));
        Assert.Equal(SchemaMigrator.All.Select(m => m.Version), await AppliedVersionsAsync());
    }

    [Fact]
    public async Task Migrating_a_current_schema_changes_nothing()
    {
        await Migrator().MigrateAsync(Cancellation);

        var second = await Migrator().MigrateAsync(Cancellation);

        Assert.Empty(second);
        Assert.Equal(SchemaMigrator.All.Select(m => m.Version), await AppliedVersionsAsync());
    }

    [Fact]
    public async Task A_migration_edited_after_it_was_applied_is_refused()
    {
        await Migrator().MigrateAsync(Cancellation);
        await OnDatabaseAsync($"UPDATE schema_migrations SET checksum = 'edited' WHERE version = '{SchemaMigrator.All[0].Version}'");

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => Migrator().MigrateAsync(Cancellation));

        Assert.Contains("was changed after it was applied", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Readiness_is_unhealthy_until_the_schema_is_migrated()
    {
        var check = new DatabaseHealthCheck(DataSource());

        var before = await check.CheckHealthAsync(new HealthCheckContext(), Cancellation);
        await Migrator().MigrateAsync(Cancellation);
        var after = await check.CheckHealthAsync(new HealthCheckContext(), Cancellation);

        Assert.Equal(HealthStatus.Unhealthy, before.Status);
        Assert.Equal("schema not migrated: the migrations step has not run", before.Description);
        Assert.Equal(HealthStatus.Healthy, after.Status);
    }

    [Fact]
    public async Task The_migration_step_gives_a_role_its_login_whatever_the_password_holds()
    {
        var role = $"login_test_{Guid.NewGuid():N}";
        await OnServerAsync($"CREATE ROLE {role}");
        try
        {
            const string password = "it's \"quoted\"; DROP ROLE x; --";
            await ApplicationRole.SetPasswordAsync(DataSource(), password, Cancellation, role);

            var login = new NpgsqlConnectionStringBuilder(ConnectionString) { Username = role, Password = password }.ConnectionString;
            await using var connection = new NpgsqlConnection(login);
            await connection.OpenAsync(Cancellation);
            await using var command = new NpgsqlCommand("SELECT current_user", connection);
            Assert.Equal(role, await command.ExecuteScalarAsync(Cancellation));
        }
        finally
        {
            NpgsqlConnection.ClearAllPools();
            await OnServerAsync($"REVOKE CONNECT ON DATABASE {_database} FROM {role}; DROP ROLE {role}");
        }
    }

    private SchemaMigrator Migrator() => new(DataSource(), NullLogger<SchemaMigrator>.Instance);

    private NpgsqlDataSource DataSource()
    {
        var dataSource = NpgsqlDataSource.Create(ConnectionString);
        _dataSources.Add(dataSource);
        return dataSource;
    }

    private async Task<List<string>> AppliedVersionsAsync()
    {
        await using var connection = new NpgsqlConnection(ConnectionString);
        await connection.OpenAsync(Cancellation);
        await using var command = new NpgsqlCommand("SELECT version FROM schema_migrations ORDER BY version", connection);
        await using var reader = await command.ExecuteReaderAsync(Cancellation);
        var versions = new List<string>();
        while (await reader.ReadAsync(Cancellation))
        {
            versions.Add(reader.GetString(0));
        }

        return versions;
    }

    private Task OnServerAsync(string sql) => ExecuteAsync(graph.OwnerConnectionString, sql);

    private Task OnDatabaseAsync(string sql) => ExecuteAsync(ConnectionString, sql);

    private static async Task ExecuteAsync(string connectionString, string sql)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(CancellationToken.None);
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync(CancellationToken.None);
    }
}
