using MenoTime.ServiceDefaults;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Logging;

// Same namespace as the host builder so every service gets these methods without a using.
namespace Microsoft.Extensions.Hosting;

/// <summary>
/// What every MenoTime service gets: telemetry over OTLP, health endpoints, ProblemDetails for every
/// error, security headers and structured logs. The services never know whether they run on a laptop
/// or in ECS; they only read configuration (see ARCHITECTURE.md, "The contract").
/// </summary>
public static class ServiceDefaultsExtensions
{
    /// <summary>Health checks with this tag answer <c>/alive</c>; every check answers <c>/health</c>.</summary>
    public const string LiveTag = "live";

    public static TBuilder AddServiceDefaults<TBuilder>(this TBuilder builder) where TBuilder : IHostApplicationBuilder
    {
        builder.AddOpenTelemetryExport();
        // The one clock: every "now" comes from here, so tests can move time without waiting.
        if (builder.Configuration[TestClock.ConfigurationKey] is { Length: > 0 } clockOffsetFile)
        {
            if (!builder.Environment.IsDevelopment())
            {
                throw new InvalidOperationException($"{TestClock.ConfigurationKey} moves the clock for tests and is refused outside Development.");
            }

            builder.Services.TryAddSingleton<TimeProvider>(new TestClock(clockOffsetFile));
        }

        builder.Services.TryAddSingleton(TimeProvider.System);

        if (builder.Environment.IsDevelopment())
        {
            // One line per entry: readable under the AppHost's per-resource prefixes.
            builder.Logging.AddSimpleConsole(options =>
            {
                options.SingleLine = true;
                options.TimestampFormat = "HH:mm:ss ";
            });
        }
        else
        {
            // One JSON object per line: what CloudWatch Logs Insights and the ADOT collector parse.
            builder.Logging.AddJsonConsole(options =>
            {
                options.IncludeScopes = true;
                options.UseUtcTimestamp = true;
                options.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ";
            });
        }

        builder.Services.AddHealthChecks()
            .AddCheck("self", () => HealthCheckResult.Healthy(), [LiveTag]);

        builder.Services.AddProblemDetails();
        builder.Services.AddTransient<IStartupFilter, ServiceDefaultsStartupFilter>();
        return builder;
    }

    /// <summary>
    /// <c>/health</c>: ready to serve (every check, including database and schema).
    /// <c>/alive</c>: the process is up (only checks tagged <see cref="LiveTag"/>).
    /// Mapped in every environment: the ALB target group and the AppHost both probe them.
    /// </summary>
    public static IEndpointRouteBuilder MapDefaultEndpoints(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapHealthChecks("/health", new HealthCheckOptions { ResponseWriter = HealthResponseWriter.WriteAsync });
        endpoints.MapHealthChecks("/alive", new HealthCheckOptions
        {
            Predicate = registration => registration.Tags.Contains(LiveTag),
            ResponseWriter = HealthResponseWriter.WriteAsync,
        });
        return endpoints;
    }
}
