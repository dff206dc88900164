using MenoTime.Data;
using Microsoft.Extensions.Configuration;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace Microsoft.Extensions.Hosting;

public static class DatabaseExtensions
{
    /// <summary>The connection name in the configuration contract: <c>ConnectionStrings__menotime</c>.</summary>
    public const string ConnectionName = "menotime";

    /// <summary>Registers the PostgreSQL data source, the schema migrator and the readiness check.</summary>
    /// <param name="repeatedStatements">
    /// For the API and the worker, which run the same few statements over and over: each is prepared once per
    /// connection (PostgreSQL parses and plans it once), and a connection goes back to the pool without a session
    /// reset. Neither service leaves session state behind (their advisory locks are transaction-scoped or released in a
    /// finally), and Npgsql still rolls back a transaction left open. bench/api and bench/worker: PostgreSQL's CPU per
    /// request or reminder fell by a quarter to a third. False for the migration service, whose DDL would invalidate
    /// the plans of prepared statements.
    /// </param>
    public static TBuilder AddMenoTimeDatabase<TBuilder>(this TBuilder builder, bool repeatedStatements = true)
        where TBuilder : IHostApplicationBuilder
    {
        var connectionString = builder.Configuration.GetConnectionString(ConnectionName);
        if (string.IsNullOrWhiteSpace(connectionString))
        {
            throw new InvalidOperationException(
                $"ConnectionStrings__{ConnectionName} is not set. Start MenoTime with 'dotnet run --project MenoTime.AppHost', " +
                "which provides it, or set it to an Npgsql connection string.");
        }

        var applicationName = builder.Environment.ApplicationName;
        builder.Services.AddSingleton(_ =>
        {
            var dataSource = new NpgsqlDataSourceBuilder(connectionString) { Name = ConnectionName };
            // Shows in pg_stat_activity which service holds a connection.
            dataSource.ConnectionStringBuilder.ApplicationName ??= applicationName;
            if (repeatedStatements)
            {
                dataSource.ConnectionStringBuilder.MaxAutoPrepare = 20;
                dataSource.ConnectionStringBuilder.NoResetOnClose = true;
            }

            return dataSource.Build();
        });
        builder.Services.AddDbContextPool<MenoTimeDbContext>((services, options) =>
            options.UseNpgsql(services.GetRequiredService<NpgsqlDataSource>()));
        builder.Services.AddSingleton<SchemaMigrator>();
        builder.Services.AddHealthChecks().AddCheck<DatabaseHealthCheck>("database");
        return builder;
    }
}
