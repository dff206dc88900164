namespace MenoTime.Api.Features.Audit;

/// <summary>
/// For /api requests that never reach an endpoint's audit filter — refused by authentication (401), an
/// unknown route, a wrong method — writes their audit row; and marks every API response no-store, since
/// any of them may carry PHI. Rate-limited requests (429) are not audited: that would turn a flood into
/// as many database writes.
/// </summary>
public sealed class AuditMiddleware(RequestDelegate next)
{
    public async Task InvokeAsync(HttpContext http)
    {
        if (!http.Request.Path.StartsWithSegments("/api"))
        {
            await next(http);
            return;
        }

        http.Response.OnStarting(() =>
        {
            http.Response.Headers.CacheControl = "no-store";
            return Task.CompletedTask;
        });
        try
        {
            await next(http);
        }
        catch when (!http.Items.ContainsKey(AuditFilter.WrittenKey))
        {
            await AuditWriter.WriteAsync(http, StatusCodes.Status500InternalServerError, null, CancellationToken.None);
            throw;
        }

        if (!http.Items.ContainsKey(AuditFilter.WrittenKey) && http.Response.StatusCode != StatusCodes.Status429TooManyRequests)
        {
            await AuditWriter.WriteAsync(http, http.Response.StatusCode, null, CancellationToken.None);
        }
    }
}
