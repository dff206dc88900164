namespace MenoTime.AppHost.Hosting;

/// <summary>Where a service project and its built assembly are; generated per project by Projects.targets.</summary>
public interface IProjectMetadata
{
    string ProjectPath { get; }

    string TargetPath { get; }
}

/// <summary>A .NET service of this repository, run from its build output with <c>dotnet</c>.</summary>
public sealed class ProjectResource : ExecutableResource, IResourceWithReferenceEnvironment
{
    public ProjectResource(string name, IProjectMetadata project)
        : base(name, "dotnet", Path.GetDirectoryName(project.ProjectPath)!)
    {
        Project = project;
        EnvironmentCallbacks.Add(context =>
        {
            var variables = context.Variables;
            // Run mode is development; ECS task definitions say Production.
            variables["DOTNET_ENVIRONMENT"] = "Development";
            variables["ASPNETCORE_ENVIRONMENT"] = "Development";
            variables["OTEL_SERVICE_NAME"] = Name;
            variables["OTEL_RESOURCE_ATTRIBUTES"] = $"service.instance.id={context.Instance.Name}";
            if (context.App.Options.OtlpEndpoint is { } otlp)
            {
                variables["OTEL_EXPORTER_OTLP_ENDPOINT"] = otlp;
                variables["OTEL_EXPORTER_OTLP_PROTOCOL"] = "http/protobuf";
                if (context.App.Options.OtlpHeaders is { } headers)
                {
                    variables["OTEL_EXPORTER_OTLP_HEADERS"] = headers;
                }

                // Locally, telemetry should show up within a second, not the SDK's default 5 s (60 s for metrics).
                variables["OTEL_BSP_SCHEDULE_DELAY"] = "1000";
                variables["OTEL_BLRP_SCHEDULE_DELAY"] = "1000";
                variables["OTEL_METRIC_EXPORT_INTERVAL"] = "1000";
            }

            if (context.App.Options.IsTesting)
            {
                // One clock for the whole test graph, which a test may move forward (see TestClock, AdvanceClock).
                variables["Testing__ClockOffsetFile"] = context.App.Options.ClockOffsetFile;
            }

            var urls = Endpoints.Where(e => e.Scheme == "http").Select(e => context.Instance.GetUrl(e.Name).ToString().TrimEnd('/'));
            if (urls.Any())
            {
                variables["ASPNETCORE_URLS"] = string.Join(';', urls);
            }
        });
    }

    public IProjectMetadata Project { get; }

    public override IReadOnlyList<string> GetArguments(ResourceInstance instance) => [Project.TargetPath, .. Args];

    public override IEnumerable<string> MissingPrerequisites(DistributedApplicationOptions options)
    {
        if (!File.Exists(Project.TargetPath))
        {
            yield return $"{Name}: {Project.TargetPath} is not built. Run 'dotnet build' (dotnet run --project MenoTime.AppHost builds it).";
        }
    }

    /// <summary>Service discovery, as in Aspire: <c>services__{name}__http__{i}</c> per replica.</summary>
    public IEnumerable<KeyValuePair<string, string>> GetReferenceEnvironment(DistributedApplication app)
    {
        foreach (var endpoint in Endpoints)
        {
            foreach (var (instance, index) in app.GetInstances(this).Select((instance, index) => (instance, index)))
            {
                yield return new($"services__{Name}__{endpoint.Name}__{index}", instance.GetUrl(endpoint.Name).ToString().TrimEnd('/'));
            }
        }
    }
}
