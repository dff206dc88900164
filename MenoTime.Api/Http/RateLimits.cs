using System.Globalization;
using System.Threading.RateLimiting;
using MenoTime.Api.Features.Sessions;
using Microsoft.AspNetCore.HttpOverrides;

namespace MenoTime.Api.Http;

/// <summary>
/// Abuse limits in the API itself, mirroring the seed's WAF rule: per client IP 2,000 requests per
/// 5 minutes, per signed-in subject the same, and 10 per minute per subject on session endpoints
/// (logout, break-glass). Over the limit: 429 with Retry-After. All configurable under RateLimits.
/// </summary>
public static class RateLimits
{
    public static IServiceCollection AddMenoTimeRateLimits(this IServiceCollection services, IConfiguration configuration)
    {
        var perIp = configuration.GetValue("RateLimits:PerIpPerFiveMinutes", 2000);
        var perSubject = configuration.GetValue("RateLimits:PerSubjectPerFiveMinutes", 2000);
        var sessions = configuration.GetValue("RateLimits:SessionPerMinute", 10);
        var window = TimeSpan.FromMinutes(5);

        services.AddRateLimiter(options =>
        {
            options.GlobalLimiter = PartitionedRateLimiter.CreateChained(
                PartitionedRateLimiter.Create<HttpContext, string>(http => RateLimitPartition.GetSlidingWindowLimiter(
                    http.Connection.RemoteIpAddress?.ToString() ?? "unknown",
                    _ => new SlidingWindowRateLimiterOptions { PermitLimit = perIp, Window = window, SegmentsPerWindow = 5 })),
                PartitionedRateLimiter.Create<HttpContext, string>(http => http.User.FindFirst("sub")?.Value is { } subject
                    ? RateLimitPartition.GetSlidingWindowLimiter(subject, _ => new SlidingWindowRateLimiterOptions { PermitLimit = perSubject, Window = window, SegmentsPerWindow = 5 })
                    : RateLimitPartition.GetNoLimiter("anonymous")));
            options.AddPolicy(SessionEndpoints.RateLimitPolicy, http => RateLimitPartition.GetFixedWindowLimiter(
                http.User.FindFirst("sub")?.Value ?? http.Connection.RemoteIpAddress?.ToString() ?? "unknown",
                _ => new FixedWindowRateLimiterOptions { PermitLimit = sessions, Window = TimeSpan.FromMinutes(1) }));
            options.OnRejected = async (context, cancellationToken) =>
            {
                var http = context.HttpContext;
                var retryAfter = context.Lease.TryGetMetadata(MetadataName.RetryAfter, out var wait) ? wait : TimeSpan.FromSeconds(60);
                http.Response.StatusCode = StatusCodes.Status429TooManyRequests;
                http.Response.Headers.RetryAfter = Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
                await http.RequestServices.GetRequiredService<IProblemDetailsService>().WriteAsync(new ProblemDetailsContext
                {
                    HttpContext = http,
                    ProblemDetails =
                    {
                        Status = StatusCodes.Status429TooManyRequests, Type = "/problems/rate-limited", Title = "Too many requests",
                        Detail = "Slow down: retry after the number of seconds in Retry-After.",
                    },
                });
            };
        });

        // Behind the ALB (or locally, nothing) the client address comes from X-Forwarded-For, but only
        // when the request comes from a trusted network (Network:TrustedNetworks, CIDR, comma-separated).
        services.Configure<ForwardedHeadersOptions>(options =>
        {
            options.ForwardedHeaders = ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto;
            options.KnownIPNetworks.Clear();
            options.KnownProxies.Clear();
            foreach (var network in (configuration["Network:TrustedNetworks"] ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                options.KnownIPNetworks.Add(System.Net.IPNetwork.Parse(network));
            }
        });
        return services;
    }
}
