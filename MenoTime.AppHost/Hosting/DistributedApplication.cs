using System.Diagnostics;
using System.Runtime.InteropServices;
using MenoTime.AppHost.Hosting.Dashboard;
using Microsoft.Extensions.Configuration;

namespace MenoTime.AppHost.Hosting;

/// <summary>The built application model: starts, runs until Ctrl-C or SIGTERM, and stops the whole graph.</summary>
public sealed class DistributedApplication : IAsyncDisposable
{
    private readonly Orchestrator _orchestrator;
    private readonly Dictionary<string, ResourceLog> _logs;
    private readonly List<Func<Task>> _onDisposed = [];
    private int _stopped;

    internal DistributedApplication(DistributedApplicationOptions options, IReadOnlyList<Resource> resources, IConfiguration configuration)
    {
        Options = options;
        Resources = resources;
        Configuration = configuration;
        Console = new HostConsole(options.EchoResourceOutput);
        _logs = resources.ToDictionary(r => r.Name, r => new ResourceLog(r.Name), StringComparer.OrdinalIgnoreCase);
        foreach (var log in _logs.Values)
        {
            Console.Attach(log);
        }

        _orchestrator = new Orchestrator(this);
        Dashboard = options.DashboardEnabled ? new DashboardServer(this) : null;
    }

    /// <summary>The dashboard (and telemetry receiver); null when it is turned off.</summary>
    public DashboardServer? Dashboard { get; }

    public DistributedApplicationOptions Options { get; }

    public IReadOnlyList<Resource> Resources { get; }

    /// <summary>What publish turns into AWS resources: everything but the local stand-ins.</summary>
    public IReadOnlyList<Resource> PublishedResources => [.. Resources.Where(r => !r.ExcludedFromManifest)];

    public IConfiguration Configuration { get; }

    /// <summary>Built for <c>publish</c>: <see cref="Run"/> synthesizes CloudFormation instead of starting resources.</summary>
    public bool IsPublishMode { get; init; }

    public HostConsole Console { get; }

    public static DistributedApplicationBuilder CreateBuilder(string[] args) =>
        new(args, TestingHook.Current?.Options ?? new DistributedApplicationOptions());

    /// <summary>A builder with explicit options: for hosts other than Program, such as the host's own tests.</summary>
    public static DistributedApplicationBuilder CreateBuilder(DistributedApplicationOptions options, params string[] args) => new(args, options);

    public Resource GetResource(string name) =>
        Resources.FirstOrDefault(r => string.Equals(r.Name, name, StringComparison.OrdinalIgnoreCase))
        ?? throw new ArgumentException($"The application has no resource '{name}'.", nameof(name));

    public ResourceLog GetLog(string resourceName) => _logs[resourceName];

    /// <summary>The running copies of a resource (replicas); empty before the application starts.</summary>
    public IReadOnlyList<ResourceInstance> GetInstances(Resource resource) => _orchestrator.GetInstances(resource);

    public Uri GetEndpoint(string resourceName, string endpointName = "http", int replica = 0) =>
        GetInstances(GetResource(resourceName))[replica].GetUrl(endpointName);

    /// <summary>Stops one replica of a resource, leaving the rest of the graph running (tests of outages).</summary>
    public Task StopInstanceAsync(string resourceName, int replica = 0) =>
        _orchestrator.StopInstanceAsync(GetInstances(GetResource(resourceName))[replica]);

    /// <summary>Starts a stopped replica again with its ports and configuration; returns once it is healthy.</summary>
    public Task StartInstanceAsync(string resourceName, int replica = 0, CancellationToken cancellationToken = default) =>
        _orchestrator.StartInstanceAsync(GetInstances(GetResource(resourceName))[replica], cancellationToken);

    /// <summary>Kills one replica with SIGKILL, as a crash would (tests of what survives one).</summary>
    public Task KillInstanceAsync(string resourceName, int replica = 0) =>
        _orchestrator.KillInstanceAsync(GetInstances(GetResource(resourceName))[replica]);

    public string GetConnectionString(string resourceName) =>
        GetResource(resourceName) is IResourceWithConnectionString resource
            ? resource.GetConnectionString(this)
            : throw new ArgumentException($"{resourceName} has no connection string.", nameof(resourceName));

    /// <summary>Starts every resource in dependency order; returns when all are healthy (or finished).</summary>
    public async Task StartAsync(CancellationToken cancellationToken = default)
    {
        try
        {
            if (Dashboard is not null)
            {
                await Dashboard.StartAsync(cancellationToken);
                // Services export their telemetry to the dashboard unless the model already points them elsewhere.
                if (Options.OtlpEndpoint is null)
                {
                    Options.OtlpEndpoint = Dashboard.Url.ToString().TrimEnd('/');
                    Options.OtlpHeaders = $"{DashboardAuth.ApiKeyHeader}={Dashboard.Auth.OtlpApiKey}";
                }

                Console.Info($"dashboard: {Dashboard.LoginUrl}");
            }

            await _orchestrator.StartAsync(cancellationToken);
        }
        catch
        {
            await StopAsync();
            throw;
        }
    }

    /// <summary>
    /// Restarts one instance with the same ports and configuration and waits until it is healthy again (a
    /// run-to-completion step: until it finished with 0). Also starts an instance that was stopped or exited.
    /// </summary>
    public Task RestartInstanceAsync(ResourceInstance instance, CancellationToken cancellationToken = default) =>
        _orchestrator.RestartInstanceAsync(instance, cancellationToken);

    /// <summary>Stops one instance as the whole application would (stop signal, then kill); others keep running.</summary>
    public Task StopInstanceAsync(ResourceInstance instance) => _orchestrator.StopInstanceAsync(instance);

    /// <summary>Stops every resource, dependents first. Safe to call more than once.</summary>
    public async Task StopAsync()
    {
        if (Interlocked.Exchange(ref _stopped, 1) == 0)
        {
            await _orchestrator.StopAsync();
            if (Dashboard is not null)
            {
                await Dashboard.StopAsync(); // last: it receives what the services flush as they stop
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        _orchestrator.Dispose();
        foreach (var action in _onDisposed)
        {
            await action();
        }
    }

    /// <summary>Clean-up after everything stopped: a test's state directory, a test database.</summary>
    internal void OnDisposed(Func<Task> action) => _onDisposed.Add(action);

    /// <summary>
    /// Runs until Ctrl-C, SIGTERM or SIGHUP, then stops everything in dependency order and exits 0.
    /// A start-up failure is explained in one message and exits 1. Under the testing builder, it only
    /// hands the application to the test.
    /// </summary>
    public void Run()
    {
        if (TestingHook.Current is { } hook)
        {
            hook.Application = this;
            return;
        }

        if (IsPublishMode)
        {
            Environment.ExitCode = Publishing.PublishCommand.Run(this);
            return;
        }

        Environment.ExitCode = RunAsync().GetAwaiter().GetResult();
    }

    private async Task<int> RunAsync()
    {
        using var shutdown = new CancellationTokenSource();
        var signals = 0;
        void OnSignal(PosixSignalContext context)
        {
            context.Cancel = true;
            if (Interlocked.Increment(ref signals) == 1)
            {
                Console.Info($"{context.Signal} received: stopping (press Ctrl+C again to kill everything at once)");
                shutdown.Cancel();
            }
            else
            {
                _orchestrator.KillAll();
                Environment.Exit(130);
            }
        }

        using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal);
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal);
        using var sighup = PosixSignalRegistration.Create(PosixSignal.SIGHUP, OnSignal);
        AppDomain.CurrentDomain.ProcessExit += (_, _) => _orchestrator.KillAll();

        var exitCode = 0;
        var clock = Stopwatch.StartNew();
        try
        {
            Console.Info($"starting MenoTime (state in {Options.StateDirectory})");
            await StartAsync(shutdown.Token);
            Console.Info($"MenoTime is up in {clock.Elapsed.TotalSeconds:F1} s:");
            foreach (var line in ResourceGraph.StartOrder(Resources).SelectMany(r => r.Describe(this)))
            {
                Console.Info($"  {line}");
            }

            if (Dashboard is not null)
            {
                Console.Info($"  {"dashboard",-12} {Dashboard.LoginUrl}");
            }

            Console.Info("Press Ctrl+C to stop.");
            await Task.Delay(Timeout.Infinite, shutdown.Token);
        }
        catch (OperationCanceledException) when (shutdown.IsCancellationRequested)
        {
            // Asked to stop.
        }
        catch (Exception e) when (e is DistributedApplicationException or TimeoutException)
        {
            Console.Error(e.Message);
            exitCode = 1;
        }
        finally
        {
            if (_orchestrator.HasStarted)
            {
                clock.Restart();
                await StopAsync();
                Console.Info($"stopped in {clock.Elapsed.TotalSeconds:F1} s");
            }
        }

        return exitCode;
    }
}

/// <summary>
/// Lets the testing builder run the AppHost's own Program (the graph as developers run it) with testing
/// options, and take the built application instead of running it.
/// </summary>
internal sealed class TestingHook(DistributedApplicationOptions options)
{
    private static readonly AsyncLocal<TestingHook?> Active = new();

    public static TestingHook? Current => Active.Value;

    public DistributedApplicationOptions Options { get; } = options;

    public DistributedApplication? Application { get; set; }

    public static IDisposable Activate(TestingHook hook)
    {
        Active.Value = hook;
        return new Deactivation();
    }

    private sealed class Deactivation : IDisposable
    {
        public void Dispose() => Active.Value = null;
    }
}
