using System.Net;
using MenoTime.AppHost.Hosting.Dashboard.Telemetry;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace MenoTime.AppHost.Hosting.Dashboard;

/// <summary>
/// The local dashboard, served by Kestrel inside the AppHost on 127.0.0.1: resources, console output,
/// structured logs, traces and metrics, and the OTLP/HTTP endpoint the services send their telemetry to.
/// </summary>
public sealed class DashboardServer(DistributedApplication app) : IAsyncDisposable
{
    private const long MaxRequestBytes = 8 * 1024 * 1024;
    private WebApplication? _web;

    public DashboardAuth Auth { get; } = new();

    public TelemetryStore Telemetry { get; } = new();

    /// <summary>Where the dashboard listens, once started.</summary>
    public Uri Url { get; private set; } = new("http://127.0.0.1/");

    /// <summary>The link to open: it logs the browser in and leads to the resources page.</summary>
    public Uri LoginUrl => new(Url, $"login?t={Auth.LoginToken}");

    /// <summary>Starts listening, so that services started after this can send telemetry at once.</summary>
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var port = app.Options.IsTesting ? 0 : app.Options.DashboardPort;
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions { ApplicationName = "MenoTime.Dashboard" });
        builder.WebHost.UseKestrelCore().ConfigureKestrel(kestrel =>
        {
            kestrel.Listen(IPAddress.Loopback, port);
            kestrel.AddServerHeader = false;
            kestrel.Limits.MaxRequestBodySize = MaxRequestBytes;
        });
        builder.Services.AddRoutingCore();
        builder.Logging.AddProvider(new HostConsoleLoggerProvider(app.Console));
        // Console streams end when the host stops; nothing else may hold the AppHost's exit up for long.
        builder.Services.Configure<HostOptions>(options => options.ShutdownTimeout = TimeSpan.FromSeconds(2));

        var web = builder.Build();
        web.Use((context, next) => Auth.InvokeAsync(context, () => next(context)));
        MapPages(web);
        ResourcesApi.Map(web, app);
        TelemetryApi.Map(web, Telemetry);
        OtlpReceiver.Map(web, Telemetry);
        try
        {
            await web.StartAsync(cancellationToken);
        }
        catch (IOException e)
        {
            await web.DisposeAsync();
            throw new DistributedApplicationException(
                $"dashboard: port {port} on 127.0.0.1 is already in use ({e.Message}). Stop what uses it or choose another port: --dashboard-port <port>.");
        }

        _web = web;
        var address = web.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        Url = new Uri(address.TrimEnd('/') + "/");
        Auth.UsePort(Url.Port);
    }

    public async Task StopAsync()
    {
        if (_web is { } web)
        {
            _web = null;
            await web.StopAsync();
            await web.DisposeAsync();
        }
    }

    public async ValueTask DisposeAsync() => await StopAsync();

    /// <summary>One page, its script and its styles, embedded in the AppHost: nothing to build or install.</summary>
    private static void MapPages(WebApplication web)
    {
        MapFile(web, "/", "index.html", "text/html; charset=utf-8");
        MapFile(web, "/app.js", "app.js", "text/javascript; charset=utf-8");
        MapFile(web, "/app.css", "app.css", "text/css; charset=utf-8");
    }

    private static void MapFile(WebApplication web, string path, string name, string contentType)
    {
        using var stream = typeof(DashboardServer).Assembly.GetManifestResourceStream($"dashboard/{name}")
                           ?? throw new InvalidOperationException($"The dashboard file {name} is not embedded in the AppHost.");
        using var memory = new MemoryStream();
        stream.CopyTo(memory);
        var content = memory.ToArray();
        web.MapGet(path, () => Results.Bytes(content, contentType));
    }
}
