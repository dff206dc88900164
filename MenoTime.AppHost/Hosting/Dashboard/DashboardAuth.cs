using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http;

namespace MenoTime.AppHost.Hosting.Dashboard;

/// <summary>
/// Who may use the dashboard. A browser logs in once with the token printed at start (new for every run)
/// and then carries an HttpOnly, SameSite=Strict session cookie; every page and API refuses requests without
/// it. The OTLP endpoint instead takes the API key the services get in OTEL_EXPORTER_OTLP_HEADERS.
/// </summary>
public sealed class DashboardAuth
{
    public const string ApiKeyHeader = "x-otlp-api-key";
    private const string LoginPath = "/login";
    private const string OtlpPath = "/v1";

    // Only our own files; no inline script or style, no framing, no referrer that could carry the login token.
    private const string ContentSecurityPolicy =
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
        "frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

    public string LoginToken { get; } = NewSecret();

    public string OtlpApiKey { get; } = NewSecret();

    private string Session { get; } = NewSecret();

    /// <summary>Per port, so that two AppHosts on one machine do not log each other out.</summary>
    public string CookieName { get; private set; } = "menotime_dashboard";

    internal void UsePort(int port) => CookieName = $"menotime_dashboard_{port}";

    /// <summary>Refuses what lacks the cookie (or, for OTLP, the API key); adds the security headers to everything.</summary>
    public async Task InvokeAsync(HttpContext context, Func<Task> next)
    {
        var response = context.Response;
        response.Headers.ContentSecurityPolicy = ContentSecurityPolicy;
        response.Headers.XContentTypeOptions = "nosniff";
        response.Headers.XFrameOptions = "DENY";
        response.Headers["Referrer-Policy"] = "no-referrer";
        response.Headers.CacheControl = "no-store";

        var path = context.Request.Path;
        if (path.StartsWithSegments(OtlpPath))
        {
            if (!SecretEquals(context.Request.Headers[ApiKeyHeader].ToString(), OtlpApiKey))
            {
                await Results.Problem(
                    statusCode: StatusCodes.Status401Unauthorized,
                    title: "Missing or wrong OTLP API key",
                    detail: $"Send the {ApiKeyHeader} header the AppHost gives services in OTEL_EXPORTER_OTLP_HEADERS.").ExecuteAsync(context);
                return;
            }
        }
        else if (path == LoginPath)
        {
            await LogInAsync(context);
            return;
        }
        else if (!SecretEquals(context.Request.Cookies[CookieName], Session))
        {
            await RefuseAsync(context, "Open the dashboard with the login link the AppHost printed when it started (it changes with every run).");
            return;
        }

        await next();
    }

    private async Task LogInAsync(HttpContext context)
    {
        if (!HttpMethods.IsGet(context.Request.Method) || !SecretEquals(context.Request.Query["t"].ToString(), LoginToken))
        {
            await RefuseAsync(context, "This login link is not valid: the token changes with every run of the AppHost. Use the link it printed last.");
            return;
        }

        context.Response.Cookies.Append(CookieName, Session, new CookieOptions
        {
            HttpOnly = true,
            SameSite = SameSiteMode.Strict,
            Path = "/",
            IsEssential = true,
        });
        context.Response.Redirect("/");
    }

    private static async Task RefuseAsync(HttpContext context, string message)
    {
        if (context.Request.Path.StartsWithSegments("/api"))
        {
            await Results.Problem(statusCode: StatusCodes.Status401Unauthorized, title: "Not logged in to the dashboard", detail: message)
                .ExecuteAsync(context);
            return;
        }

        context.Response.StatusCode = StatusCodes.Status401Unauthorized;
        context.Response.ContentType = "text/html; charset=utf-8";
        await context.Response.WriteAsync(
            $"<!doctype html><title>MenoTime dashboard</title><h1>Not logged in</h1><p>{System.Net.WebUtility.HtmlEncode(message)}</p>");
    }

    private static bool SecretEquals(string? given, string expected) =>
        given is not null && CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(given), Encoding.UTF8.GetBytes(expected));

    private static string NewSecret() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(24));
}
