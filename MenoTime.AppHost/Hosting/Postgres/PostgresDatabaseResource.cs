namespace MenoTime.AppHost.Hosting.Postgres;

/// <summary>
/// A database on a PostgreSQL server. Created when missing before anything that waits for it starts;
/// those that reference it get <c>ConnectionStrings__{Name}</c>.
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
            if (await PostgresAdmin.EnsureDatabaseAsync(Server.GetConnectionString(context.App, "postgres"), DatabaseName, cancellationToken))
            {
                context.Log.Write(Name, $"created database {DatabaseName}");
            }
        });
        HealthProbe = new DatabaseProbe(this);
    }

    public string DatabaseName { get; internal set; }

    public PostgresServerResource Server { get; }

    public string GetConnectionString(DistributedApplication app) => Server.GetConnectionString(app, DatabaseName);

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
