using Microsoft.Extensions.Configuration;

namespace MenoTime.AppHost.Hosting.Postgres;

public static class PostgresBuilderExtensions
{
    /// <summary>A PostgreSQL server on <paramref name="port"/> (any free port when null, and always in tests).</summary>
    public static IResourceBuilder<PostgresServerResource> AddPostgres(this DistributedApplicationBuilder builder, string name, int? port = null) =>
        builder.AddResource(new PostgresServerResource(name, builder.Options)).WithEndpoint("tcp", "tcp", port);

    /// <summary>
    /// A database on the server. When <c>ConnectionStrings__{name}</c> is configured, that server is used
    /// and none is started; a test run then gets a database of its own on it, dropped afterwards.
    /// </summary>
    public static IResourceBuilder<PostgresDatabaseResource> AddDatabase(
        this IResourceBuilder<PostgresServerResource> server, string name, string? databaseName = null)
    {
        var database = new PostgresDatabaseResource(name, databaseName ?? name, server.Resource);
        if (server.ApplicationBuilder.Configuration.GetConnectionString(name) is { Length: > 0 } external)
        {
            server.Resource.ExternalConnectionString = external;
            database.DatabaseName = new Npgsql.NpgsqlConnectionStringBuilder(external).Database ?? database.DatabaseName;
        }

        return server.ApplicationBuilder.AddResource(database);
    }

    /// <summary>
    /// Gives <paramref name="builder"/> <c>ConnectionStrings__{name}</c> as the database owner: for the migration
    /// step, which creates tables and grants the application role its privileges.
    /// </summary>
    public static IResourceBuilder<T> WithOwnerReference<T>(this IResourceBuilder<T> builder, IResourceBuilder<PostgresDatabaseResource> database)
        where T : ExecutableResource
    {
        builder.Resource.References.Add(database.Resource);
        database.Resource.Owners.Add(builder.Resource);
        return builder.WithEnvironment(context =>
            context.Variables[$"ConnectionStrings__{database.Resource.Name}"] = database.Resource.GetOwnerConnectionString(context.App));
    }
}
