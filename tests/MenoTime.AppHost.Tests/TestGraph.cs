using MenoTime.AppHost.Hosting;

namespace MenoTime.AppHost.Tests;

/// <summary>
/// A small graph of bash processes in a temporary directory. Each records "start NAME" and, when it
/// receives SIGTERM, "stop NAME" in a shared journal, which is how the tests see order.
/// </summary>
internal sealed class TestGraph : IAsyncDisposable
{
    public TestGraph(TimeSpan? stopTimeout = null, TimeSpan? startupTimeout = null, bool isTesting = true)
    {
        Directory.CreateDirectory(WorkDirectory);
        Options = new DistributedApplicationOptions
        {
            IsTesting = isTesting,
            DashboardEnabled = false, // the host alone; the dashboard has tests of its own
            EchoResourceOutput = false,
            StateDirectory = WorkDirectory,
            RepositoryRoot = WorkDirectory,
            StopTimeout = stopTimeout ?? TimeSpan.FromSeconds(5),
            StartupTimeout = startupTimeout ?? TimeSpan.FromSeconds(30),
        };
        Builder = DistributedApplication.CreateBuilder(Options);
    }

    public string WorkDirectory { get; } = Path.Combine(Path.GetTempPath(), $"menotime-host-test-{Guid.NewGuid():N}");

    public DistributedApplicationOptions Options { get; }

    public DistributedApplicationBuilder Builder { get; }

    public DistributedApplication? App { get; private set; }

    public string JournalPath => Path.Combine(WorkDirectory, "journal");

    /// <summary>A well-behaved service: journals start and stop, exits 0 on SIGTERM (trap first: "start" means it is set).</summary>
    public IResourceBuilder<ExecutableResource> AddService(string name, string beforeLoop = "") =>
        AddBash(name, $"""
            trap 'echo "stop {name}" >> "{JournalPath}"; exit 0' TERM
            echo "start {name}" >> "{JournalPath}"
            {beforeLoop}
            while true; do sleep 0.05; done
            """);

    public IResourceBuilder<ExecutableResource> AddBash(string name, string script) =>
        Builder.AddExecutable(name, "bash", WorkDirectory, "-c", script);

    public DistributedApplication Build() => App = Builder.Build();

    public IReadOnlyList<string> Journal() =>
        File.Exists(JournalPath) ? File.ReadAllLines(JournalPath) : [];

    /// <summary>
    /// Waits until the journal holds <paramref name="lines"/>: a process counts as started when launched,
    /// which can be before bash has run its first line (and installed its SIGTERM trap).
    /// </summary>
    public async Task WaitForJournalAsync(params string[] lines)
    {
        for (var attempt = 0; attempt < 200 && !lines.All(Journal().Contains); attempt++)
        {
            await Task.Delay(25);
        }

        Assert.Superset(lines.ToHashSet(), Journal().ToHashSet());
    }

    public async ValueTask DisposeAsync()
    {
        if (App is not null)
        {
            await App.DisposeAsync();
        }

        Directory.Delete(WorkDirectory, recursive: true);
    }
}

/// <summary>Healthy once the resource has written the file "NAME.ready" in the working directory.</summary>
internal sealed class ReadyFileProbe(string directory) : IHealthProbe
{
    public Task<HealthResult> CheckAsync(DistributedApplication app, ResourceInstance instance, CancellationToken cancellationToken) =>
        Task.FromResult(File.Exists(Path.Combine(directory, instance.Name + ".ready"))
            ? HealthResult.Healthy()
            : HealthResult.Unhealthy($"{instance.Name}.ready not written yet"));
}

/// <summary>A stand-in for a database: gives its referrers a connection string.</summary>
internal sealed class FakeConnectionStringResource(string name, string connectionString) : Resource(name), IResourceWithConnectionString
{
    public string GetConnectionString(DistributedApplication app) => connectionString;

    public IEnumerable<KeyValuePair<string, string>> GetReferenceEnvironment(DistributedApplication app) =>
        [new($"ConnectionStrings__{Name}", connectionString)];
}
