using MenoTime.AppHost.Hosting.Dashboard.Telemetry;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace MenoTime.AppHost.Hosting.Dashboard;

/// <summary>What the structured logs, traces and metrics pages read.</summary>
internal static class TelemetryApi
{
    private const int TraceListLimit = 200;
    private const int LogListLimit = 500;
    private static readonly Dictionary<string, int> Severities = new(StringComparer.OrdinalIgnoreCase)
    {
        ["trace"] = 1, ["debug"] = 5, ["info"] = 9, ["warn"] = 13, ["error"] = 17, ["fatal"] = 21,
    };

    public static void Map(IEndpointRouteBuilder web, TelemetryStore store)
    {
        web.MapGet("/api/traces", (string? q, string? service) => Results.Json(store.GetTraces(q, Blank(service), TraceListLimit)));
        web.MapGet("/api/traces/{traceId}", (string traceId) => store.GetTrace(traceId.ToLowerInvariant()) is { } trace
            ? Results.Json(trace)
            : Results.Problem(statusCode: StatusCodes.Status404NotFound, title: $"No trace {traceId} (yet, or no longer: the newest {TelemetryStore.MaxSpans} spans are kept)"));
        web.MapGet("/api/logs", (string? service, string? severity, string? traceId, string? q) =>
        {
            var minimum = 0;
            if (Blank(severity) is { } name && !Severities.TryGetValue(name, out minimum))
            {
                return Results.Problem(
                    statusCode: StatusCodes.Status400BadRequest,
                    title: $"Unknown severity '{name}'",
                    detail: $"Use one of: {string.Join(", ", Severities.Keys)}.");
            }

            return Results.Json(store.GetLogs(Blank(service), minimum, Blank(traceId)?.ToLowerInvariant(), q, LogListLimit));
        });
        web.MapGet("/api/metrics", () => Results.Json(store.Metrics.GetOverview()));
        web.MapGet("/api/telemetry", () => Results.Json(new
        {
            Services = store.GetServices(),
            Spans = new { Kept = store.Spans.Count, Limit = store.Spans.Capacity, Forgotten = store.Spans.Evicted },
            Logs = new { Kept = store.Logs.Count, Limit = store.Logs.Capacity, Forgotten = store.Logs.Evicted },
        }));
    }

    private static string? Blank(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();
}
