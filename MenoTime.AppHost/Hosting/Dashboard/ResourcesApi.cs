using System.Text.Json;
using System.Threading.Channels;
using MenoTime.AppHost.Hosting.Dashboard.Telemetry;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace MenoTime.AppHost.Hosting.Dashboard;

public sealed record ResourceView(string Name, string Kind, bool CanRestart, IReadOnlyList<InstanceView> Instances);

public sealed record InstanceView(
    string Name,
    string State,
    int? ExitCode,
    int? ProcessId,
    DateTimeOffset? StartedAt,
    int Restarts,
    string? Health,
    IReadOnlyList<EndpointView> Endpoints,
    IReadOnlyList<Field> Environment);

public sealed record EndpointView(string Name, string Address, bool IsLink);

/// <summary>The resources page's data, its restart and stop buttons, and each resource's live console output.</summary>
internal static class ResourcesApi
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public static void Map(IEndpointRouteBuilder web, DistributedApplication app)
    {
        web.MapGet("/api/resources", () => Results.Json(ResourceGraph.StartOrder(app.Resources).Select(r => View(app, r)), Json));
        web.MapPost("/api/instances/{name}/restart", (string name, CancellationToken cancellationToken) =>
            OperateAsync(app, name, instance => app.RestartInstanceAsync(instance, cancellationToken)));
        web.MapPost("/api/instances/{name}/stop", (string name) => OperateAsync(app, name, app.StopInstanceAsync));
        web.MapGet("/api/resources/{name}/console", (HttpContext context, string name) => StreamConsoleAsync(context, name, app));
    }

    public static ResourceView View(DistributedApplication app, Resource resource) => new(
        resource.Name,
        resource.GetType().Name.EndsWith("Resource", StringComparison.Ordinal) ? resource.GetType().Name[..^"Resource".Length] : resource.GetType().Name,
        resource is ExecutableResource { RunsProcess: true },
        [.. app.GetInstances(resource).Select(View)]);

    private static InstanceView View(ResourceInstance instance) => new(
        instance.Name,
        StateName(instance.State),
        instance.ExitCode,
        instance.ProcessId,
        instance.StartedAt,
        instance.Restarts,
        instance.HealthDescription,
        [.. (instance.Resource as ExecutableResource)?.Endpoints.Where(e => instance.Ports.ContainsKey(e.Name)).Select(e => Endpoint(instance, e)) ?? []],
        [.. instance.Environment.Select(variable => new Field(variable.Key, SecretMasker.MaskValue(variable.Key, variable.Value)))]);

    private static EndpointView Endpoint(ResourceInstance instance, EndpointAnnotation endpoint) =>
        endpoint.Scheme is "http" or "https"
            ? new(endpoint.Name, instance.GetUrl(endpoint.Name).ToString(), IsLink: true)
            : new(endpoint.Name, $"{endpoint.Scheme}://{EndpointAnnotation.Host}:{instance.Ports[endpoint.Name]}", IsLink: false);

    private static string StateName(ResourceState state) => state switch
    {
        ResourceState.NotStarted => "not started",
        ResourceState.FailedToStart => "failed to start",
        _ => state.ToString().ToLowerInvariant(),
    };

    private static async Task<IResult> OperateAsync(DistributedApplication app, string name, Func<ResourceInstance, Task> operation)
    {
        var instance = app.Resources.SelectMany(app.GetInstances).FirstOrDefault(i => string.Equals(i.Name, name, StringComparison.OrdinalIgnoreCase));
        if (instance is null)
        {
            return Results.Problem(statusCode: StatusCodes.Status404NotFound, title: $"No instance named '{name}'");
        }

        try
        {
            await operation(instance);
        }
        catch (Exception e) when (e is DistributedApplicationException or TimeoutException)
        {
            // The instance's state and console say the rest; the problem says what went wrong.
            return Results.Problem(statusCode: StatusCodes.Status409Conflict, title: $"{instance.Name} could not do that", detail: e.Message);
        }

        return Results.Json(View(app, instance.Resource), Json);
    }

    /// <summary>Server-sent events: the lines kept so far, then each new line as it is written.</summary>
    private static async Task StreamConsoleAsync(HttpContext context, string name, DistributedApplication app)
    {
        if (app.Resources.FirstOrDefault(r => string.Equals(r.Name, name, StringComparison.OrdinalIgnoreCase)) is not { } resource)
        {
            await Results.Problem(statusCode: StatusCodes.Status404NotFound, title: $"No resource named '{name}'").ExecuteAsync(context);
            return;
        }

        var log = app.GetLog(resource.Name);
        // A slow browser loses its oldest unsent lines rather than growing this queue without bound.
        var pending = Channel.CreateBounded<LogLine>(new BoundedChannelOptions(5_000) { FullMode = BoundedChannelFullMode.DropOldest });
        void OnLine(LogLine line) => pending.Writer.TryWrite(line);
        log.LineWritten += OnLine;
        try
        {
            var stopping = context.RequestServices.GetRequiredService<IHostApplicationLifetime>().ApplicationStopping;
            using var cancellation = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, stopping);
            context.Response.ContentType = "text/event-stream";
            var snapshot = log.Snapshot();
            foreach (var line in snapshot)
            {
                await WriteEventAsync(context.Response, line, cancellation.Token);
            }

            await context.Response.Body.FlushAsync(cancellation.Token);
            // Lines written while the snapshot was taken may be in both: skip those already sent.
            var sent = snapshot.ToHashSet(ReferenceEqualityComparer.Instance);
            await foreach (var line in pending.Reader.ReadAllAsync(cancellation.Token))
            {
                if (sent.Count > 0 && sent.Remove(line))
                {
                    continue;
                }

                sent.Clear();
                await WriteEventAsync(context.Response, line, cancellation.Token);
                if (pending.Reader.Count == 0)
                {
                    await context.Response.Body.FlushAsync(cancellation.Token);
                }
            }
        }
        catch (OperationCanceledException)
        {
            // The browser went away, or the AppHost is stopping: the stream simply ends.
        }
        finally
        {
            log.LineWritten -= OnLine;
        }
    }

    private static Task WriteEventAsync(HttpResponse response, LogLine line, CancellationToken cancellationToken) =>
        response.WriteAsync($"data: {JsonSerializer.Serialize(line, Json)}\n\n", cancellationToken);
}
