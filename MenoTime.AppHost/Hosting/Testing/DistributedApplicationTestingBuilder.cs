using MenoTime.AppHost.Hosting.Postgres;

namespace MenoTime.AppHost.Hosting.Testing;

/// <summary>
/// In the spirit of Aspire's DistributedApplicationTestingBuilder: runs the AppHost's own Program, so a
/// test gets exactly the graph developers run, with test options: every endpoint on a free port, a fresh
/// state directory (hence a fresh PostgreSQL cluster and mailbox), resource output captured, not printed.
/// The application comes back built but not started, so a test may still adjust it (replicas, say).
/// </summary>
public static class DistributedApplicationTestingBuilder
{
    public static async Task<DistributedApplication> CreateAsync(string[]? args = null, Action<DistributedApplicationOptions>? configure = null)
    {
        var stateDirectory = CreateStateDirectory();
        var options = new DistributedApplicationOptions
        {
            IsTesting = true,
            EchoResourceOutput = false,
            StateDirectory = stateDirectory,
            StartupTimeout = TimeSpan.FromMinutes(2),
        };
        configure?.Invoke(options);

        var hook = new TestingHook(options);
        using (TestingHook.Activate(hook))
        {
            var entryPoint = typeof(DistributedApplicationTestingBuilder).Assembly.EntryPoint
                ?? throw new InvalidOperationException("The AppHost assembly has no entry point.");
            if (entryPoint.Invoke(null, [args ?? []]) is Task main)
            {
                await main;
            }
        }

        var app = hook.Application ?? throw new InvalidOperationException("The AppHost's Program never called Build().Run().");
        foreach (var database in app.Resources.OfType<PostgresDatabaseResource>().Where(d => d.Server.ExternalConnectionString is not null))
        {
            // On a server that already runs, each test application gets a database of its own.
            var server = database.Server.ExternalConnectionString!;
            database.DatabaseName = $"{database.DatabaseName}_test_{Guid.NewGuid():N}"[..40];
            app.OnDisposed(() => PostgresAdmin.DropDatabaseAsync(server, database.DatabaseName, CancellationToken.None));
        }

        app.OnDisposed(() =>
        {
            Directory.Delete(stateDirectory, recursive: true);
            return Task.CompletedTask;
        });
        return app;
    }

    public static HttpClient CreateHttpClient(this DistributedApplication app, string resourceName, string endpointName = "http") =>
        new() { BaseAddress = app.GetEndpoint(resourceName, endpointName) };

    public static MailSinkClient CreateMailSinkClient(this DistributedApplication app, string resourceName = "mail") =>
        new(app.CreateHttpClient(resourceName));

    /// <summary>
    /// Moves the clock of every service in the test graph forward by <paramref name="by"/> (they read the offset
    /// within 50 ms; see MenoTime.ServiceDefaults' TestClock). Due times are compared with this clock; leases and
    /// timers are not, so moving it never expires a lease.
    /// </summary>
    public static TimeSpan AdvanceClock(this DistributedApplication app, TimeSpan by)
    {
        var file = app.Options.ClockOffsetFile;
        var offset = ReadClockOffset(file) + by;
        var temporary = $"{file}.tmp";
        File.WriteAllText(temporary, offset.ToString("c", System.Globalization.CultureInfo.InvariantCulture));
        File.Move(temporary, file, overwrite: true);
        // Services re-read the file at most every 50 ms (TestClock): return once all of them see the new time.
        Thread.Sleep(ClockPropagation);
        return offset;
    }

    private static readonly TimeSpan ClockPropagation = TimeSpan.FromMilliseconds(150);

    private static TimeSpan ReadClockOffset(string file) => File.Exists(file)
        ? TimeSpan.ParseExact(File.ReadAllText(file).Trim(), "c", System.Globalization.CultureInfo.InvariantCulture)
        : TimeSpan.Zero;

    private static string CreateStateDirectory()
    {
        var directory = Path.Combine(Path.GetTempPath(), $"menotime-test-{Guid.NewGuid():N}");
        Directory.CreateDirectory(directory);
        // PostgreSQL runs as its own user when tests run as root: it must be able to enter this directory.
        File.SetUnixFileMode(directory, (UnixFileMode)0b111_101_101);
        return directory;
    }
}
