using Microsoft.Extensions.Configuration;

namespace MenoTime.AppHost.Hosting;

/// <summary>Collects the resources of the application model; the vocabulary is .NET Aspire's.</summary>
public sealed class DistributedApplicationBuilder
{
    private readonly List<Resource> _resources = [];

    internal DistributedApplicationBuilder(string[] args, DistributedApplicationOptions options)
    {
        Options = options;
        // `publish --environment dev` synthesizes the AWS topology instead of running anything (Publishing/).
        IsPublishMode = args is ["publish", ..];
        Configuration = new ConfigurationManager();
        Configuration.AddEnvironmentVariables();
        // `--api-port 8080` or `--api-port=8080` becomes the key "api-port".
        Configuration.AddCommandLine(args);
        if (Configuration["state-dir"] is { } stateDirectory && !options.IsTesting)
        {
            options.StateDirectory = Path.GetFullPath(stateDirectory);
        }

        if (Configuration["dashboard-port"] is { } dashboardPort)
        {
            options.DashboardPort = int.TryParse(dashboardPort, System.Globalization.CultureInfo.InvariantCulture, out var port) && port is >= 0 and <= 65535
                ? port
                : throw new DistributedApplicationException($"--dashboard-port must be a port number (0 to 65535), not '{dashboardPort}'.");
        }
    }

    public DistributedApplicationOptions Options { get; }

    /// <summary>True for <c>publish</c>: the model is turned into CloudFormation, nothing starts.</summary>
    public bool IsPublishMode { get; }

    public ConfigurationManager Configuration { get; }

    public IReadOnlyList<Resource> Resources => _resources;

    public IResourceBuilder<T> AddResource<T>(T resource) where T : Resource
    {
        if (_resources.Any(r => string.Equals(r.Name, resource.Name, StringComparison.OrdinalIgnoreCase)))
        {
            throw new DistributedApplicationException($"A resource named '{resource.Name}' already exists.");
        }

        _resources.Add(resource);
        return new ResourceBuilder<T>(this, resource);
    }

    /// <summary>A program from PATH (or a path), run in <paramref name="workingDirectory"/>.</summary>
    public IResourceBuilder<ExecutableResource> AddExecutable(string name, string command, string workingDirectory, params string[] args)
    {
        var resource = new ExecutableResource(name, command, workingDirectory);
        resource.Args.AddRange(args);
        return AddResource(resource);
    }

    /// <summary>A service project of this repository (see Hosting/Projects.targets).</summary>
    public IResourceBuilder<ProjectResource> AddProject<TProject>(string name) where TProject : IProjectMetadata, new() =>
        AddResource(new ProjectResource(name, new TProject()));

    public DistributedApplication Build() => new(Options, [.. _resources], Configuration) { IsPublishMode = IsPublishMode };
}

public interface IResourceBuilder<out T> where T : Resource
{
    DistributedApplicationBuilder ApplicationBuilder { get; }

    T Resource { get; }
}

internal sealed record ResourceBuilder<T>(DistributedApplicationBuilder ApplicationBuilder, T Resource) : IResourceBuilder<T>
    where T : Resource;
