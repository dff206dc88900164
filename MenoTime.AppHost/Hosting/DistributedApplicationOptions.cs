namespace MenoTime.AppHost.Hosting;

public sealed class DistributedApplicationOptions
{
    /// <summary>The repository checkout: package.json, the service projects.</summary>
    public string RepositoryRoot { get; set; } = Projects.RepositoryLayout.Root;

    /// <summary>Where run state lives between runs: PostgreSQL's data, received mail.</summary>
    public string StateDirectory { get; set; } = Path.Combine(Projects.RepositoryLayout.Root, ".menotime");

    /// <summary>
    /// A test run: every endpoint takes a free port, state lives in a fresh directory, and resource output
    /// is captured rather than printed. The graph is otherwise exactly the one developers run.
    /// </summary>
    public bool IsTesting { get; set; }

    public bool EchoResourceOutput { get; set; } = true;

    public TimeSpan StartupTimeout { get; set; } = TimeSpan.FromSeconds(90);

    /// <summary>How long a resource may take to stop after its stop signal before it is killed.</summary>
    public TimeSpan StopTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Test graphs only: the file holding the services' clock offset (see the testing builder's AdvanceClock).</summary>
    public string ClockOffsetFile => Path.Combine(StateDirectory, "clock-offset");

    /// <summary>Where services send telemetry (OTEL_EXPORTER_OTLP_ENDPOINT); null: they export nothing.</summary>
    public string? OtlpEndpoint { get; set; }

    /// <summary>Headers services send with their telemetry (OTEL_EXPORTER_OTLP_HEADERS), e.g. the dashboard's API key.</summary>
    public string? OtlpHeaders { get; set; }

    /// <summary>
    /// Serve the dashboard, which also receives the services' telemetry. On by default; under test options
    /// off unless a test turns it on (it then takes a free port).
    /// </summary>
    public bool DashboardEnabled
    {
        get => _dashboardEnabled ?? !IsTesting;
        set => _dashboardEnabled = value;
    }

    /// <summary>The dashboard's port on 127.0.0.1 (<c>--dashboard-port</c>); ignored under test options.</summary>
    public int DashboardPort { get; set; } = 18888;

    private bool? _dashboardEnabled;
}
