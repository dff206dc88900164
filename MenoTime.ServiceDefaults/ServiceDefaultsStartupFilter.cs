using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;

namespace MenoTime.ServiceDefaults;

/// <summary>
/// Puts the security headers at the very front of every service's pipeline, so that no response escapes
/// them, whatever answers it.
/// </summary>
internal sealed class ServiceDefaultsStartupFilter : IStartupFilter
{
    public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
    {
        app.Use(static (context, nextMiddleware) =>
        {
            context.Response.OnStarting(static state => SecurityHeaders.Apply((HttpContext)state), context);
            return nextMiddleware(context);
        });
        next(app);
    };
}
