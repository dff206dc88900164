namespace MenoTime.AppHost.Hosting;

/// <summary>The verbs of the model, named as in .NET Aspire so that its AppHost could replace this one.</summary>
public static class ResourceBuilderExtensions
{
    /// <summary>Gives <paramref name="builder"/> the configuration of <paramref name="source"/> (connection string, URLs).</summary>
    public static IResourceBuilder<T> WithReference<T, TSource>(this IResourceBuilder<T> builder, IResourceBuilder<TSource> source)
        where T : ExecutableResource
        where TSource : Resource, IResourceWithReferenceEnvironment
    {
        builder.Resource.References.Add(source.Resource);
        builder.Resource.EnvironmentCallbacks.Add(context =>
        {
            foreach (var (name, value) in source.Resource.GetReferenceEnvironment(context.App))
            {
                context.Variables[name] = value;
            }
        });
        return builder;
    }

    /// <summary>Starts <paramref name="builder"/> only once <paramref name="dependency"/> is healthy.</summary>
    public static IResourceBuilder<T> WaitFor<T>(this IResourceBuilder<T> builder, IResourceBuilder<Resource> dependency) where T : Resource
    {
        builder.Resource.WaitsFor.Add(new ResourceDependency(dependency.Resource, WaitBehavior.Healthy));
        return builder;
    }

    /// <summary>Starts <paramref name="builder"/> only once <paramref name="dependency"/> ran and exited with 0.</summary>
    public static IResourceBuilder<T> WaitForCompletion<T>(this IResourceBuilder<T> builder, IResourceBuilder<ExecutableResource> dependency)
        where T : Resource
    {
        builder.Resource.WaitsFor.Add(new ResourceDependency(dependency.Resource, WaitBehavior.Completed));
        return builder;
    }

    /// <summary>An endpoint on loopback; no port means any free port. <paramref name="env"/> receives the port.</summary>
    public static IResourceBuilder<T> WithEndpoint<T>(this IResourceBuilder<T> builder, string name, string scheme, int? port = null, string? env = null)
        where T : ExecutableResource
    {
        if (builder.Resource.Endpoints.Any(e => e.Name == name))
        {
            throw new DistributedApplicationException($"{builder.Resource.Name} already has an endpoint '{name}'.");
        }

        builder.Resource.Endpoints.Add(new EndpointAnnotation(name, scheme, port, env));
        return builder;
    }

    public static IResourceBuilder<T> WithHttpEndpoint<T>(this IResourceBuilder<T> builder, int? port = null, string name = "http", string? env = null)
        where T : ExecutableResource => builder.WithEndpoint(name, "http", port, env);

    /// <summary>
    /// Marks the HTTP endpoints as public: publish puts the project behind the load balancer and CloudFront.
    /// In run mode every endpoint stays on loopback.
    /// </summary>
    public static IResourceBuilder<T> WithExternalHttpEndpoints<T>(this IResourceBuilder<T> builder) where T : ExecutableResource
    {
        builder.Resource.HasExternalHttpEndpoints = true;
        return builder;
    }

    /// <summary>Healthy when GET <paramref name="path"/> on the endpoint answers 2xx.</summary>
    public static IResourceBuilder<T> WithHttpHealthCheck<T>(this IResourceBuilder<T> builder, string path = "/health", string endpointName = "http")
        where T : ExecutableResource
    {
        builder.Resource.HealthProbe = new HttpHealthProbe(endpointName, path);
        return builder;
    }

    /// <summary>Runs <paramref name="replicas"/> copies, each with its own ports and instance id.</summary>
    public static IResourceBuilder<T> WithReplicas<T>(this IResourceBuilder<T> builder, int replicas) where T : ExecutableResource
    {
        builder.Resource.Replicas = replicas;
        return builder;
    }

    public static IResourceBuilder<T> WithEnvironment<T>(this IResourceBuilder<T> builder, string name, string value) where T : ExecutableResource =>
        builder.WithEnvironment(context => context.Variables[name] = value);

    public static IResourceBuilder<T> WithEnvironment<T>(this IResourceBuilder<T> builder, Action<EnvironmentContext> callback) where T : ExecutableResource
    {
        builder.Resource.EnvironmentCallbacks.Add(callback);
        return builder;
    }

    /// <summary>Sets <paramref name="name"/> to the URL of <paramref name="endpoint"/>, known once ports are allocated.</summary>
    public static IResourceBuilder<T> WithEnvironment<T>(this IResourceBuilder<T> builder, string name, EndpointReference endpoint) where T : ExecutableResource =>
        builder.WithEnvironment(context => context.Variables[name] = endpoint.GetUrl(context.App));

    /// <summary>A reference to one of the resource's endpoints (its first replica), for other resources' configuration.</summary>
    public static EndpointReference GetEndpoint<T>(this IResourceBuilder<T> builder, string name = "http") where T : ExecutableResource =>
        new(builder.Resource, name);

    /// <summary>Runs locally only: publish leaves the resource out (Aspire's name for it).</summary>
    public static IResourceBuilder<T> ExcludeFromManifest<T>(this IResourceBuilder<T> builder) where T : Resource
    {
        builder.Resource.ExcludedFromManifest = true;
        return builder;
    }

    public static IResourceBuilder<T> WithArgs<T>(this IResourceBuilder<T> builder, params string[] args) where T : ExecutableResource
    {
        builder.Resource.Args.AddRange(args);
        return builder;
    }
}
