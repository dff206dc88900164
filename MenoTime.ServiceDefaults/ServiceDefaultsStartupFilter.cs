using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;

namespace MenoTime.ServiceDefaults;

/// <summary>
/// Puts the error and header middleware at the very front of every service's pipeline, before anything
/// the service adds itself, so that no response (not even a 404 or an unhandled exception) escapes them.
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
        // Unhandled exceptions become a 500 problem+json without details; bodiless 4xx/5xx become problem+json.
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        next(app);
    };
}
