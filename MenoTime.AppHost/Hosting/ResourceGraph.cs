namespace MenoTime.AppHost.Hosting;

/// <summary>Questions about the dependency graph the orchestrator and the publisher both ask.</summary>
public static class ResourceGraph
{
    /// <summary>Every dependency and reference is part of the model, and nothing waits for itself.</summary>
    public static void Validate(IReadOnlyList<Resource> resources)
    {
        var known = resources.ToHashSet();
        foreach (var resource in resources)
        {
            foreach (var other in resource.WaitsFor.Select(d => d.Resource).Concat(resource.References))
            {
                if (!known.Contains(other))
                {
                    throw new DistributedApplicationException($"{resource.Name} refers to {other.Name}, which is not part of the application.");
                }
            }
        }

        var visiting = new List<Resource>();
        var done = new HashSet<Resource>();
        void Visit(Resource resource)
        {
            if (done.Contains(resource))
            {
                return;
            }

            if (visiting.Contains(resource))
            {
                var cycle = visiting.SkipWhile(r => r != resource).Append(resource).Select(r => r.Name);
                throw new DistributedApplicationException($"Resources wait for each other in a cycle: {string.Join(" -> ", cycle)}.");
            }

            visiting.Add(resource);
            foreach (var dependency in resource.WaitsFor)
            {
                Visit(dependency.Resource);
            }

            visiting.Remove(resource);
            done.Add(resource);
        }

        foreach (var resource in resources)
        {
            Visit(resource);
        }
    }

    /// <summary>Resources that wait for or reference <paramref name="resource"/>: they stop before it does.</summary>
    public static IEnumerable<Resource> DependentsOf(Resource resource, IReadOnlyList<Resource> resources) =>
        resources.Where(r => r != resource && (r.WaitsFor.Any(d => d.Resource == resource) || r.References.Contains(resource)));

    /// <summary>A resource some other waits to see finish (a migration step), rather than to be healthy.</summary>
    public static bool RunsToCompletion(Resource resource, IReadOnlyList<Resource> resources) =>
        resources.Any(r => r.WaitsFor.Contains(new ResourceDependency(resource, WaitBehavior.Completed)));

    /// <summary>The resources in an order where each comes after everything it waits for.</summary>
    public static IReadOnlyList<Resource> StartOrder(IReadOnlyList<Resource> resources)
    {
        Validate(resources);
        var ordered = new List<Resource>();
        void Add(Resource resource)
        {
            if (ordered.Contains(resource))
            {
                return;
            }

            foreach (var dependency in resource.WaitsFor)
            {
                Add(dependency.Resource);
            }

            ordered.Add(resource);
        }

        foreach (var resource in resources)
        {
            Add(resource);
        }

        return ordered;
    }
}
