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
    /// <param name="tune">Adjusts the connection settings for this service's workload (see the worker's Program).</param>
    public static TBuilder AddMenoTimeDatabase<TBuilder>(this TBuilder builder, Action<NpgsqlConnectionStringBuilder>? tune = null)
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
            tune?.Invoke(dataSource.ConnectionStringBuilder);
            return dataSource.Build();
        });
        builder.Services.AddDbContextPool<MenoTimeDbContext>((services, options) =>
            options.UseNpgsql(services.GetRequiredService<NpgsqlDataSource>()));
        builder.Services.AddSingleton<SchemaMigrator>();
        builder.Services.AddHealthChecks().AddCheck<DatabaseHealthCheck>("database");
        return builder;
    }
}
