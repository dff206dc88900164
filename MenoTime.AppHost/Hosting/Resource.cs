namespace MenoTime.AppHost.Hosting;

/// <summary>A part of the distributed application: a process, a database, a mail server.</summary>
public abstract class Resource(string name)
{
    public string Name { get; } = name;

    /// <summary>What must be healthy (or finished) before this resource starts: WaitFor, WaitForCompletion.</summary>
    public List<ResourceDependency> WaitsFor { get; } = [];

    /// <summary>Resources whose configuration this one receives (WithReference). Also orders shutdown.</summary>
    public List<Resource> References { get; } = [];

    /// <summary>Work done before the resource starts: create a cluster, install packages, create a database.</summary>
    public List<Func<ResourceContext, CancellationToken, Task>> BeforeStart { get; } = [];

    /// <summary>A local stand-in only (the development OIDC issuer): publish leaves it out.</summary>
    public bool ExcludedFromManifest { get; set; }

    /// <summary>Tells whether the resource serves; null means "running is healthy".</summary>
    public IHealthProbe? HealthProbe { get; set; }

    /// <summary>Lines telling a human what is missing on this machine to run the resource (empty: nothing).</summary>
    public virtual IEnumerable<string> MissingPrerequisites(DistributedApplicationOptions options) => [];

    /// <summary>One line per way to reach the resource, printed when the application is up.</summary>
    public virtual IEnumerable<string> Describe(DistributedApplication app) => [];

    public override string ToString() => Name;
}

public enum WaitBehavior
{
    /// <summary>Start after the dependency reports healthy.</summary>
    Healthy,

    /// <summary>Start after the dependency ran to completion with exit code 0 (e.g. migrations).</summary>
    Completed,
}

public sealed record ResourceDependency(Resource Resource, WaitBehavior Behavior);

/// <summary>A resource that gives the resources referencing it configuration (connection strings, URLs).</summary>
public interface IResourceWithReferenceEnvironment
{
    /// <summary>Called when a referencing resource starts, so ports and passwords are known by then.</summary>
    IEnumerable<KeyValuePair<string, string>> GetReferenceEnvironment(DistributedApplication app);
}

/// <summary>A resource with a connection string: <c>ConnectionStrings__{Name}</c> for those that reference it.</summary>
public interface IResourceWithConnectionString : IResourceWithReferenceEnvironment
{
    string Name { get; }

    string GetConnectionString(DistributedApplication app);
}

/// <summary>What a resource's hooks and probes can use while the application starts.</summary>
public sealed record ResourceContext(DistributedApplication App, ResourceLog Log);

public enum HealthStatus
{
    Unhealthy,
    Healthy,
}

public sealed record HealthResult(HealthStatus Status, string Description)
{
    public static HealthResult Healthy(string description = "healthy") => new(HealthStatus.Healthy, description);

    public static HealthResult Unhealthy(string description) => new(HealthStatus.Unhealthy, description);
}

public interface IHealthProbe
{
    Task<HealthResult> CheckAsync(DistributedApplication app, ResourceInstance instance, CancellationToken cancellationToken);
}
