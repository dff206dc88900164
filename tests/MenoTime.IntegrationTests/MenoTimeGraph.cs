using System.Diagnostics;
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

    /// <summary>
    /// Runs the API's own program with the configuration the running API received, changed by <paramref name="configure"/>
    /// (a variable set to null is removed), and returns its exit code and output. With a command (<c>rewrap-fields</c>)
    /// it does that and exits; without one it is a start-up, stopped after <paramref name="timeout"/> if it is still up.
    /// </summary>
    public async Task<(int ExitCode, string Output)> RunApiAsync(string? command, Action<IDictionary<string, string?>>? configure = null, TimeSpan? timeout = null)
    {
        var api = App.GetInstances(App.GetResource("api")).Single();
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = Path.GetDirectoryName(new Projects.MenoTime_Api().ProjectPath)! };
        start.ArgumentList.Add(new Projects.MenoTime_Api().TargetPath);
        if (command is not null)
        {
            start.ArgumentList.Add(command);
        }

        foreach (var (name, value) in api.Environment)
        {
            start.Environment[name] = value;
        }

        start.Environment["ASPNETCORE_URLS"] = "http://127.0.0.1:0";
        configure?.Invoke(start.Environment);
        using var process = Process.Start(start)!;
        var cancellation = TestContext.Current.CancellationToken;
        var output = process.StandardOutput.ReadToEndAsync(cancellation);
        var errors = process.StandardError.ReadToEndAsync(cancellation);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
        timeout ??= TimeSpan.FromMinutes(2);
        deadline.CancelAfter(timeout.Value);
        try
        {
            await process.WaitForExitAsync(deadline.Token);
        }
        catch (OperationCanceledException) when (!cancellation.IsCancellationRequested)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync(cancellation);
            return (process.ExitCode, $"still running after {timeout}, stopped\n{await output}{await errors}");
        }

        return (process.ExitCode, await output + await errors);
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
