using Microsoft.AspNetCore.Http;

namespace MenoTime.ServiceDefaults;

/// <summary>The headers every response carries (seed: HSTS, X-Frame-Options DENY, nosniff).</summary>
internal static class SecurityHeaders
{
    public static Task Apply(HttpContext context)
    {
        var headers = context.Response.Headers;
        // TLS ends at the ALB/CloudFront; browsers honour HSTS only over HTTPS, so sending it always is harmless.
        headers.StrictTransportSecurity = "max-age=31536000; includeSubDomains";
        headers.XContentTypeOptions = "nosniff";
        headers.XFrameOptions = "DENY";
        headers["Referrer-Policy"] = "no-referrer";
        if (!headers.ContainsKey("Content-Security-Policy"))
        {
            headers.ContentSecurityPolicy = "default-src 'none'; frame-ancestors 'none'";
        }
        return Task.CompletedTask;
    }
}
