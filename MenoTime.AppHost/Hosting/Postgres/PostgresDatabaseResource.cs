namespace MenoTime.AppHost.Hosting.Postgres;

/// <summary>
/// A database on a PostgreSQL server. Created when missing before anything that waits for it starts.
/// Services that reference it get <c>ConnectionStrings__{Name}</c> for its application role, which may
/// read and write data but not change the schema or the audit trail; the migration step gets the
/// owner's (<see cref="PostgresBuilderExtensions.WithOwnerReference{T}"/>). Same key, same contract.
/// </summary>
public sealed class PostgresDatabaseResource : Resource, IResourceWithConnectionString
{
    internal PostgresDatabaseResource(string name, string databaseName, PostgresServerResource server) : base(name)
    {
        DatabaseName = databaseName;
        Server = server;
        WaitsFor.Add(new ResourceDependency(server, WaitBehavior.Healthy));
        BeforeStart.Add(async (context, cancellationToken) =>
        {
            var server = Server.GetConnectionString(context.App, "postgres");
            if (await PostgresAdmin.EnsureDatabaseAsync(server, DatabaseName, cancellationToken))
            {
                context.Log.Write(Name, $"created database {DatabaseName}");
            }

            if (Server.ExternalConnectionString is null)
            {
                await PostgresAdmin.EnsureLoginRoleAsync(server, ApplicationRole, ApplicationRolePassword, DatabaseName, cancellationToken);
            }
        });
        HealthProbe = new DatabaseProbe(this);
    }

    public string DatabaseName { get; internal set; }

    public PostgresServerResource Server { get; }

    /// <summary>Resources given the owner's connection (the migration step), not the application role's.</summary>
    public HashSet<Resource> Owners { get; } = [];

    /// <summary>The login of the services (the migrations grant it its privileges).</summary>
    public string ApplicationRole { get; set; } = "menotime_app";

    private string ApplicationRolePassword => Server.ReadOrCreateSecret($"{ApplicationRole}.password");

    /// <summary>The services' connection: the application role (on an external server, the given connection).</summary>
    public string GetConnectionString(DistributedApplication app) =>
        Server.ExternalConnectionString is not null
            ? Server.GetConnectionString(app, DatabaseName)
            : new Npgsql.NpgsqlConnectionStringBuilder(Server.GetConnectionString(app, DatabaseName))
            {
                Username = ApplicationRole,
                Password = ApplicationRolePassword,
            }.ConnectionString;

    /// <summary>The owner's connection, for the migration step and for tests that inspect as a superuser.</summary>
    public string GetOwnerConnectionString(DistributedApplication app) => Server.GetConnectionString(app, DatabaseName);

    public IEnumerable<KeyValuePair<string, string>> GetReferenceEnvironment(DistributedApplication app) =>
        [new($"ConnectionStrings__{Name}", GetConnectionString(app))];

    public override IEnumerable<string> Describe(DistributedApplication app) =>
        [$"{Name,-12} ConnectionStrings__{Name}: database {DatabaseName} on {Server.Name}"];

    private sealed class DatabaseProbe(PostgresDatabaseResource database) : IHealthProbe
    {
        public Task<HealthResult> CheckAsync(DistributedApplication app, ResourceInstance instance, CancellationToken cancellationToken) =>
            PostgresAdmin.ProbeAsync(database.GetConnectionString(app), cancellationToken);
    }
}
