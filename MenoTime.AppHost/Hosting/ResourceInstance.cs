namespace MenoTime.AppHost.Hosting;

public enum ResourceState
{
    NotStarted,
    Waiting,
    Starting,
    Running,
    Healthy,
    Unhealthy,
    Finished,
    Exited,
    FailedToStart,
    Stopping,
    Stopped,
}

/// <summary>A running copy of a resource: one per replica of an executable, one for anything else.</summary>
public sealed class ResourceInstance(Resource resource, int replica, string name)
{
    public Resource Resource { get; } = resource;

    public int Replica { get; } = replica;

    /// <summary>The resource name, with the replica number when there are several (worker-0, worker-1).</summary>
    public string Name { get; } = name;

    /// <summary>The port of each endpoint, by endpoint name.</summary>
    public Dictionary<string, int> Ports { get; } = [];

    public ResourceState State { get; internal set; } = ResourceState.NotStarted;

    public string? HealthDescription { get; internal set; }

    public int? ExitCode { get; internal set; }

    public int? ProcessId => Process?.Id;

    public DateTimeOffset? StartedAt { get; internal set; }

    /// <summary>How many times the instance was restarted (from the dashboard) since the application started.</summary>
    public int Restarts { get; internal set; }

    /// <summary>The configuration the process received.</summary>
    public IReadOnlyDictionary<string, string> Environment { get; internal set; } = new Dictionary<string, string>();

    internal ResourceProcess? Process { get; set; }

    public Uri GetUrl(string endpointName)
    {
        var endpoint = Resource is ExecutableResource executable
            ? executable.Endpoints.FirstOrDefault(e => e.Name == endpointName)
            : null;
        if (endpoint is null || !Ports.TryGetValue(endpointName, out var port))
        {
            throw new InvalidOperationException($"{Name} has no endpoint '{endpointName}' (or the application has not started).");
        }

        return new Uri($"{endpoint.Scheme}://{EndpointAnnotation.Host}:{port}/");
    }

    public override string ToString() => $"{Name} ({State})";
}
