using System.Globalization;
using System.Security.Cryptography;
using Npgsql;

namespace MenoTime.AppHost.Hosting.Postgres;

/// <summary>
/// A PostgreSQL server from this machine's installation (Debian's postgresql-15), started as a child
/// process with its data under the state directory; or, when an external connection string is given,
/// that server, started by nobody here. In AWS it becomes RDS PostgreSQL 15.
/// </summary>
public sealed class PostgresServerResource : ExecutableResource
{
    public const string Superuser = "postgres";
    public const int MinimumVersion = 15;

    // Throwaway test clusters: durability buys nothing there, speed buys faster tests.
    private static readonly string[] NoSync = ["--no-sync"];
    private static readonly string[] NoDurability = ["-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off"];

    private readonly DistributedApplicationOptions _options;
    private string? _password;

    internal PostgresServerResource(string name, DistributedApplicationOptions options)
        : base(name, "postgres", options.StateDirectory)
    {
        _options = options;
        StopSignal = Signals.SigInt; // "fast shutdown": roll back open transactions, close connections, exit.
        HealthProbe = new PostgresProbe(this);
        BeforeStart.Add(PrepareClusterAsync);
    }

    public string DataDirectory => Path.Combine(_options.StateDirectory, Name, "data");

    public string PasswordFile => Path.Combine(_options.StateDirectory, Name, "password");

    /// <summary>Set when <c>ConnectionStrings__{database}</c> points at a server that already runs.</summary>
    public string? ExternalConnectionString { get; internal set; }

    public override bool RunsProcess => ExternalConnectionString is null;

    /// <summary>The directory of initdb and postgres; null when no suitable installation exists.</summary>
    public string? BinDirectory { get; set; } = FindBinDirectory();

    public string Password => _password ??= ReadOrCreateSecret("password");

    /// <summary>More server settings (<c>-c name=value</c>), e.g. a benchmark's <c>shared_preload_libraries</c>.</summary>
    public Dictionary<string, string> Settings { get; } = new(StringComparer.Ordinal);

    /// <summary>A connection to <paramref name="database"/> as the superuser (or the external string's user).</summary>
    public string GetConnectionString(DistributedApplication app, string database)
    {
        if (ExternalConnectionString is not null)
        {
            return new NpgsqlConnectionStringBuilder(ExternalConnectionString) { Database = database }.ConnectionString;
        }

        var port = app.GetInstances(this)[0].Ports["tcp"];
        return new NpgsqlConnectionStringBuilder
        {
            Host = EndpointAnnotation.Host,
            Port = port,
            Username = Superuser,
            Password = Password,
            Database = database,
        }.ConnectionString;
    }

    public override IReadOnlyList<string> GetArguments(ResourceInstance instance) =>
    [
        "-D", DataDirectory,
        "-p", instance.Ports["tcp"].ToString(CultureInfo.InvariantCulture),
        "-c", $"listen_addresses={EndpointAnnotation.Host}",
        "-c", "unix_socket_directories=", // TCP on loopback only: no socket directory to own or clean up
        "-c", "max_connections=200", // the API's and worker's pools, replicas, and a benchmark beside them
        .. _options.IsTesting ? NoDurability : [],
        .. Settings.SelectMany(setting => new[] { "-c", $"{setting.Key}={setting.Value}" }),
    ];

    public override IEnumerable<string> MissingPrerequisites(DistributedApplicationOptions options)
    {
        if (!RunsProcess)
        {
            yield break;
        }

        if (BinDirectory is null)
        {
            yield return $"{Name}: PostgreSQL {MinimumVersion} server binaries (initdb, postgres) were not found. " +
                         $"Install them: sudo apt-get install -y postgresql-{MinimumVersion} " +
                         "(or set ConnectionStrings__menotime to use a server that already runs).";
            yield break;
        }

        if (Signals.IsRoot && (ExecutableLocator.Find("setpriv") is null || !UserExists(Superuser)))
        {
            yield return $"{Name}: running as root, but PostgreSQL refuses to run as root and there is no '{Superuser}' user " +
                         "(or no setpriv) to run it as. Install postgresql-15, which creates that user, or run as a normal user.";
        }
    }

    public override IEnumerable<string> Describe(DistributedApplication app)
    {
        if (ExternalConnectionString is not null)
        {
            yield return $"{Name,-12} external server (ConnectionStrings__ given)";
            yield break;
        }

        var port = app.GetInstances(this)[0].Ports["tcp"];
        yield return $"{Name,-12} {EndpointAnnotation.Host}:{port}, user {Superuser}, password in {PasswordFile}";
    }

    /// <summary>Creates the cluster on first use; stops a server an earlier, killed run left behind.</summary>
    private async Task PrepareClusterAsync(ResourceContext context, CancellationToken cancellationToken)
    {
        if (!RunsProcess)
        {
            return;
        }

        Command = Path.Combine(BinDirectory!, "postgres");
        RunAsUser = Signals.IsRoot ? Superuser : null;
        await StopLeftoverServerAsync(context.Log, cancellationToken);
        if (File.Exists(Path.Combine(DataDirectory, "PG_VERSION")))
        {
            return;
        }

        context.Log.Write(Name, $"creating a new cluster in {DataDirectory}");
        Directory.CreateDirectory(DataDirectory);
        File.SetUnixFileMode(DataDirectory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        // initdb reads the superuser password from a file that its user can read and nobody else.
        var passwordFile = Path.Combine(Path.GetDirectoryName(DataDirectory)!, ".initdb-password");
        await File.WriteAllTextAsync(passwordFile, Password + "\n", cancellationToken);
        File.SetUnixFileMode(passwordFile, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        try
        {
            if (RunAsUser is not null)
            {
                await RunCheckedAsync(context, "chown", [$"{Superuser}:{Superuser}", DataDirectory, passwordFile], cancellationToken);
            }

            await RunCheckedAsync(
                context,
                Path.Combine(BinDirectory!, "initdb"),
                ["-D", DataDirectory, "-U", Superuser, $"--pwfile={passwordFile}", "--auth=scram-sha-256", "-E", "UTF8", "--locale=C.UTF-8", .. _options.IsTesting ? NoSync : []],
                cancellationToken);
        }
        finally
        {
            File.Delete(passwordFile);
        }
    }

    private async Task RunCheckedAsync(ResourceContext context, string command, string[] arguments, CancellationToken cancellationToken)
    {
        var runAs = command == "chown" ? null : RunAsUser;
        var exitCode = await ResourceProcess.RunAsync(
            command, arguments, _options.StateDirectory, (line, isError) => context.Log.Write(Name, line, isError), cancellationToken, runAs);
        if (exitCode != 0)
        {
            throw new DistributedApplicationException(
                $"{Name}: '{Path.GetFileName(command)} {string.Join(' ', arguments)}' failed with exit code {exitCode}" +
                (runAs is null ? "" : $" (run as user '{runAs}': it must be able to reach {DataDirectory})") +
                $":\n{context.Log.Tail()}");
        }
    }

    private async Task StopLeftoverServerAsync(ResourceLog log, CancellationToken cancellationToken)
    {
        var pidFile = Path.Combine(DataDirectory, "postmaster.pid");
        if (!File.Exists(pidFile)
            || !int.TryParse((await File.ReadAllLinesAsync(pidFile, cancellationToken)).FirstOrDefault(), out var pid)
            || !IsPostgresProcess(pid))
        {
            return; // postgres itself deals with a stale pid file.
        }

        log.Write(Name, $"a PostgreSQL server from an earlier run still uses this data directory (pid {pid}); stopping it");
        Signals.Send(pid, Signals.SigInt);
        for (var waited = 0; waited < 100 && IsPostgresProcess(pid); waited++)
        {
            await Task.Delay(100, cancellationToken);
        }
    }

    private static bool IsPostgresProcess(int pid)
    {
        try
        {
            return File.ReadAllText($"/proc/{pid}/comm").Trim() == "postgres";
        }
        catch (IOException)
        {
            return false;
        }
    }

    /// <summary>A generated password kept in the state directory (mode 0600), the same on every run.</summary>
    internal string ReadOrCreateSecret(string fileName)
    {
        var path = Path.Combine(_options.StateDirectory, Name, fileName);
        if (File.Exists(path))
        {
            return File.ReadAllText(path).Trim();
        }

        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var secret = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
        File.WriteAllText(path, secret + "\n");
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        return secret;
    }

    private static string? FindBinDirectory()
    {
        const string debianRoot = "/usr/lib/postgresql";
        var candidates = Directory.Exists(debianRoot)
            ? Directory.GetDirectories(debianRoot)
                .Select(d => (Directory: Path.Combine(d, "bin"), Version: int.TryParse(Path.GetFileName(d), out var v) ? v : 0))
                .Where(c => c.Version >= MinimumVersion)
                .OrderBy(c => c.Version == MinimumVersion ? 0 : 1) // RDS runs 15: prefer it, accept newer.
                .ThenByDescending(c => c.Version)
                .Select(c => c.Directory)
            : [];
        var fromPath = ExecutableLocator.Find("initdb") is { } initdb ? [Path.GetDirectoryName(initdb)!] : Array.Empty<string>();
        return candidates.Concat(fromPath)
            .FirstOrDefault(d => File.Exists(Path.Combine(d, "initdb")) && File.Exists(Path.Combine(d, "postgres")));
    }

    private static bool UserExists(string user) =>
        File.ReadLines("/etc/passwd").Any(line => line.StartsWith(user + ":", StringComparison.Ordinal));

    /// <summary>Healthy when the server accepts a connection and answers a query.</summary>
    private sealed class PostgresProbe(PostgresServerResource server) : IHealthProbe
    {
        public async Task<HealthResult> CheckAsync(DistributedApplication app, ResourceInstance instance, CancellationToken cancellationToken)
        {
            var connectionString = server.ExternalConnectionString ?? server.GetConnectionString(app, "postgres");
            return await PostgresAdmin.ProbeAsync(connectionString, cancellationToken);
        }
    }
}
