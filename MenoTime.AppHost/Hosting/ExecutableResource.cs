namespace MenoTime.AppHost.Hosting;

/// <summary>A network endpoint a resource listens on, on loopback. Port null: any free port.</summary>
public sealed record EndpointAnnotation(string Name, string Scheme, int? Port, string? EnvironmentVariable = null)
{
    public const string Host = "127.0.0.1";
}

/// <summary>An endpoint of a resource, resolved to a URL once the application has allocated its ports.</summary>
public sealed record EndpointReference(ExecutableResource Resource, string EndpointName)
{
    public string GetUrl(DistributedApplication app) => app.GetInstances(Resource)[0].GetUrl(EndpointName).ToString().TrimEnd('/');
}

/// <summary>The variables a process instance is started with; reference and WithEnvironment callbacks fill it.</summary>
public sealed record EnvironmentContext(DistributedApplication App, ResourceInstance Instance, IDictionary<string, string> Variables);

/// <summary>A program the host starts as a child process, one per replica.</summary>
public class ExecutableResource(string name, string command, string workingDirectory) : Resource(name)
{
    public string Command { get; set; } = command;

    public List<string> Args { get; } = [];

    public string WorkingDirectory { get; set; } = workingDirectory;

    public List<EndpointAnnotation> Endpoints { get; } = [];

    public List<Action<EnvironmentContext>> EnvironmentCallbacks { get; } = [];

    public int Replicas { get; set; } = 1;

    /// <summary>Reachable from outside (WithExternalHttpEndpoints): in AWS, behind the ALB and CloudFront.</summary>
    public bool HasExternalHttpEndpoints { get; set; }

    /// <summary>Start the process as this user (PostgreSQL refuses to run as root).</summary>
    public string? RunAsUser { get; set; }

    /// <summary>The signal that asks the process to stop gracefully.</summary>
    public int StopSignal { get; set; } = Signals.SigTerm;

    /// <summary>False when the resource already runs elsewhere and the host only points at it.</summary>
    public virtual bool RunsProcess => true;

    /// <summary>The command line of one instance, once its ports are known.</summary>
    public virtual IReadOnlyList<string> GetArguments(ResourceInstance instance) => Args;

    /// <summary>The configuration of one instance: its own endpoints, then every callback in order.</summary>
    public IReadOnlyDictionary<string, string> GetEnvironment(DistributedApplication app, ResourceInstance instance)
    {
        var variables = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var endpoint in Endpoints.Where(e => e.EnvironmentVariable is not null))
        {
            variables[endpoint.EnvironmentVariable!] = instance.Ports[endpoint.Name].ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        var context = new EnvironmentContext(app, instance, variables);
        foreach (var callback in EnvironmentCallbacks)
        {
            callback(context);
        }

        return variables;
    }

    public override IEnumerable<string> MissingPrerequisites(DistributedApplicationOptions options)
    {
        if (RunsProcess && ExecutableLocator.Find(Command) is null)
        {
            yield return $"{Name}: '{Command}' was not found on PATH.";
        }
    }

    public override IEnumerable<string> Describe(DistributedApplication app) =>
        app.GetInstances(this).SelectMany(instance => Endpoints.Select(endpoint =>
            $"{instance.Name,-12} {endpoint.Scheme}://{EndpointAnnotation.Host}:{instance.Ports[endpoint.Name]}"));
}

/// <summary>Finds programs on PATH, as a shell would.</summary>
public static class ExecutableLocator
{
    public static string? Find(string command)
    {
        if (command.Contains('/', StringComparison.Ordinal))
        {
            return File.Exists(command) ? command : null;
        }

        var path = Environment.GetEnvironmentVariable("PATH") ?? "";
        return path.Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Select(directory => Path.Combine(directory, command))
            .FirstOrDefault(File.Exists);
    }
}
