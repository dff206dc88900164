using System.Net;
using MenoTime.AppHost.Hosting;
using MenoTime.AppHost.Hosting.Dashboard;
using MenoTime.AppHost.Hosting.Testing;

[assembly: AssemblyFixture(typeof(MenoTime.Dashboard.Tests.DashboardGraph))]

namespace MenoTime.Dashboard.Tests;

/// <summary>
/// The whole MenoTime graph from the AppHost's own Program, started once for this assembly with the dashboard
/// turned on (on a free port): the services send their telemetry to it, as when a developer runs the AppHost.
/// </summary>
public sealed class DashboardGraph : IAsyncLifetime
{
    private DistributedApplication? _app;

    public DistributedApplication App => _app ?? throw new InvalidOperationException("The graph has not started.");

    public DashboardServer Dashboard => App.Dashboard ?? throw new InvalidOperationException("The dashboard is off.");

    public HttpClient Api { get; private set; } = null!;

    public async ValueTask InitializeAsync()
    {
        _app = await DistributedApplicationTestingBuilder.CreateAsync(configure: options => options.DashboardEnabled = true);
        await _app.StartAsync(TestContext.Current.CancellationToken);
        Api = _app.CreateHttpClient("api");
    }

    /// <summary>A client without the session cookie and without following redirects: sees exactly what the server says.</summary>
    public HttpClient Anonymous() =>
        new(new HttpClientHandler { AllowAutoRedirect = false, UseCookies = false }) { BaseAddress = Dashboard.Url };

    /// <summary>A client logged in the way a browser is: through the login link, keeping the cookie it sets.</summary>
    public async Task<HttpClient> LoggedInAsync()
    {
        var client = new HttpClient(new HttpClientHandler { CookieContainer = new CookieContainer() }) { BaseAddress = Dashboard.Url };
        using var response = await client.GetAsync(Dashboard.LoginUrl, TestContext.Current.CancellationToken);
        response.EnsureSuccessStatusCode();
        return client;
    }

    public async ValueTask DisposeAsync()
    {
        Api?.Dispose();
        if (_app is not null)
        {
            await _app.DisposeAsync();
        }
    }
}
