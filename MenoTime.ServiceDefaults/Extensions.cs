using MenoTime.ServiceDefaults;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
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

        builder.Services.AddProblemDetails(options => options.CustomizeProblemDetails = ProblemTypes.Apply);
        builder.Services.AddExceptionHandler<BadRequestExceptionHandler>();
        // Binding failures throw, so that BadRequestExceptionHandler can say what was wrong, not just "400".
        builder.Services.Configure<Microsoft.AspNetCore.Routing.RouteHandlerOptions>(options => options.ThrowOnBadRequest = true);
        builder.Services.AddTransient<IStartupFilter, ServiceDefaultsStartupFilter>();
        return builder;
    }

    /// <summary>
    /// Error handling first in the service's own pipeline, then the health endpoints. Called right after
    /// Build(): being inside the pipeline WebApplication builds, the handler sees every exception before
    /// the developer exception page would, so errors look the same in Development as in production —
    /// a problem document, no stack trace, no request headers echoed.
    /// <c>/health</c>: ready to serve (every check, including database and schema).
    /// <c>/alive</c>: the process is up (only checks tagged <see cref="LiveTag"/>).
    /// Mapped in every environment: the ALB target group and the AppHost both probe them.
    /// </summary>
    public static WebApplication UseServiceDefaults(this WebApplication app)
    {
        app.UseExceptionHandler(new ExceptionHandlerOptions
        {
            // A client's malformed request is not an error of ours: no error log for it.
            SuppressDiagnosticsCallback = context => context.Exception is BadHttpRequestException,
        });
        // Bodiless 4xx/5xx (404 from routing, 401 from the bearer handler) become problem+json.
        app.UseStatusCodePages();
        app.MapHealthChecks("/health", new HealthCheckOptions { ResponseWriter = HealthResponseWriter.WriteAsync });
        app.MapHealthChecks("/alive", new HealthCheckOptions
        {
            Predicate = registration => registration.Tags.Contains(LiveTag),
            ResponseWriter = HealthResponseWriter.WriteAsync,
        });
        return app;
    }
}
