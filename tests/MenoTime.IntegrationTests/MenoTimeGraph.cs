using MenoTime.AppHost.Hosting;
using MenoTime.AppHost.Hosting.Testing;
using MenoTime.IntegrationTests.Reminders;

[assembly: AssemblyFixture(typeof(MenoTime.IntegrationTests.MenoTimeGraph))]

namespace MenoTime.IntegrationTests;

/// <summary>
/// The whole MenoTime graph, started once for this test assembly from the AppHost's own Program: a fresh
/// PostgreSQL cluster, MailDev, the migration step, the API and the worker, all on free ports.
/// </summary>
public sealed class MenoTimeGraph : IAsyncLifetime
{
    private DistributedApplication? _app;

    public DistributedApplication App => _app ?? throw new InvalidOperationException("The graph has not started.");

    public HttpClient Api { get; private set; } = null!;

    public MailSinkClient Mail { get; private set; } = null!;

    /// <summary>Stands in for Amazon SNS toward the API (signing certificate, subscription confirmations).</summary>
    public SnsStandIn Sns { get; } = new();

    /// <summary>The services' connection (the application role).</summary>
    public string ConnectionString => App.GetConnectionString("menotime");

    /// <summary>The owner's (superuser locally): for tests that inspect or tamper as an administrator would.</summary>
    public string OwnerConnectionString => ((MenoTime.AppHost.Hosting.Postgres.PostgresDatabaseResource)App.GetResource("menotime")).GetOwnerConnectionString(App);

    public async ValueTask InitializeAsync()
    {
        _app = await DistributedApplicationTestingBuilder.CreateAsync();
        ((ExecutableResource)_app.GetResource("api")).EnvironmentCallbacks.Add(context =>
        {
            context.Variables["Testing__SnsEndpoint"] = Sns.BaseAddress;
            context.Variables["Email__Sns__TopicArns"] = SnsStandIn.TopicArn;
        });
        await _app.StartAsync(TestContext.Current.CancellationToken);
        Api = _app.CreateHttpClient("api");
        Mail = _app.CreateMailSinkClient("mail");
    }

    public async ValueTask DisposeAsync()
    {
        Api?.Dispose();
        Mail?.Dispose();
        Sns.Dispose();
        if (_app is not null)
        {
            await _app.DisposeAsync();
        }
    }
}
