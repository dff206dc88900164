using System.Globalization;

namespace MenoTime.AppHost.Hosting.Mail;

/// <summary>
/// MailDev from the repository's package.json: an SMTP server that keeps every message, with a web UI and
/// a REST API to read them. In AWS its place is taken by the SES SMTP interface. Services that reference
/// it get the <c>Email__Smtp__*</c> and <c>Email__From</c> settings of the configuration contract.
/// </summary>
public sealed class MailDevResource : ExecutableResource, IResourceWithReferenceEnvironment
{
    public const string SmtpEndpoint = "smtp";
    public const string HttpEndpoint = "http";
    private readonly DistributedApplicationOptions _options;

    internal MailDevResource(string name, DistributedApplicationOptions options) : base(name, "node", options.RepositoryRoot)
    {
        _options = options;
        HealthProbe = new MailDevProbe();
        BeforeStart.Add(InstallPackagesAsync);
    }

    /// <summary>The sender of every email the services send.</summary>
    public string FromAddress { get; set; } = "MenoTime <no-reply@menotime.local>";

    private string EntryPoint => Path.Combine(_options.RepositoryRoot, "node_modules", "maildev", "dist", "bin", "maildev.js");

    public string MailDirectory => Path.Combine(_options.StateDirectory, Name);

    public override IReadOnlyList<string> GetArguments(ResourceInstance instance) =>
    [
        EntryPoint,
        "--smtp", instance.Ports[SmtpEndpoint].ToString(CultureInfo.InvariantCulture),
        "--ip", EndpointAnnotation.Host,
        "--web", instance.Ports[HttpEndpoint].ToString(CultureInfo.InvariantCulture),
        "--web-ip", EndpointAnnotation.Host,
        "--mail-directory", MailDirectory,
    ];

    public IEnumerable<KeyValuePair<string, string>> GetReferenceEnvironment(DistributedApplication app)
    {
        var instance = app.GetInstances(this)[0];
        yield return new("Email__Smtp__Host", EndpointAnnotation.Host);
        yield return new("Email__Smtp__Port", instance.Ports[SmtpEndpoint].ToString(CultureInfo.InvariantCulture));
        yield return new("Email__Smtp__UseStartTls", "false");
        yield return new("Email__From", FromAddress);
    }

    public override IEnumerable<string> MissingPrerequisites(DistributedApplicationOptions options)
    {
        if (ExecutableLocator.Find("node") is null)
        {
            yield return $"{Name}: Node.js was not found on PATH. Install Node.js 20 or newer: sudo apt-get install -y nodejs npm";
        }
        else if (!File.Exists(EntryPoint) && ExecutableLocator.Find("npm") is null)
        {
            yield return $"{Name}: MailDev is not installed and npm was not found on PATH. Install npm: sudo apt-get install -y npm";
        }
    }

    public override IEnumerable<string> Describe(DistributedApplication app)
    {
        var instance = app.GetInstances(this)[0];
        yield return $"{Name,-12} {instance.GetUrl(HttpEndpoint)} (web UI and REST API), SMTP {EndpointAnnotation.Host}:{instance.Ports[SmtpEndpoint]}";
    }

    /// <summary>npm ci when node_modules lacks MailDev; one install at a time per checkout.</summary>
    private async Task InstallPackagesAsync(ResourceContext context, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(MailDirectory);
        if (File.Exists(EntryPoint))
        {
            return;
        }

        var lockPath = Path.Combine(Path.GetTempPath(), $"menotime-npm-{(uint)_options.RepositoryRoot.GetHashCode(StringComparison.Ordinal):x8}.lock");
        await using var installLock = await AcquireFileLockAsync(lockPath, cancellationToken);
        if (File.Exists(EntryPoint))
        {
            return; // Another host installed it while this one waited.
        }

        context.Log.Write(Name, "installing MailDev from package-lock.json (npm ci)");
        var exitCode = await ResourceProcess.RunAsync(
            "npm", ["ci", "--no-audit", "--no-fund"], _options.RepositoryRoot,
            (line, isError) => context.Log.Write(Name, line, isError), cancellationToken);
        if (exitCode != 0 || !File.Exists(EntryPoint))
        {
            throw new DistributedApplicationException($"{Name}: 'npm ci' in {_options.RepositoryRoot} failed with exit code {exitCode}:\n{context.Log.Tail()}");
        }
    }

    private static async Task<FileStream> AcquireFileLockAsync(string path, CancellationToken cancellationToken)
    {
        while (true)
        {
            try
            {
                return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            }
            catch (IOException)
            {
                await Task.Delay(200, cancellationToken);
            }
        }
    }
}

/// <summary>
/// Healthy when both halves answer: the REST API (<c>/api/healthz</c>) and the SMTP server's 220 greeting.
/// The web half comes up first; a sender started on the web half alone would find SMTP refusing.
/// </summary>
internal sealed class MailDevProbe : IHealthProbe
{
    private readonly HttpHealthProbe _web = new(MailDevResource.HttpEndpoint, "/api/healthz");

    public async Task<HealthResult> CheckAsync(DistributedApplication app, ResourceInstance instance, CancellationToken cancellationToken)
    {
        var web = await _web.CheckAsync(app, instance, cancellationToken);
        if (web.Status != HealthStatus.Healthy)
        {
            return web;
        }

        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(TimeSpan.FromSeconds(2));
            using var client = new System.Net.Sockets.TcpClient();
            await client.ConnectAsync(EndpointAnnotation.Host, instance.Ports[MailDevResource.SmtpEndpoint], timeout.Token);
            using var reader = new StreamReader(client.GetStream());
            var greeting = await reader.ReadLineAsync(timeout.Token);
            return greeting?.StartsWith("220", StringComparison.Ordinal) == true
                ? HealthResult.Healthy()
                : HealthResult.Unhealthy($"SMTP greeted with '{greeting}'");
        }
        catch (Exception e) when (e is System.Net.Sockets.SocketException or IOException or OperationCanceledException && !cancellationToken.IsCancellationRequested)
        {
            return HealthResult.Unhealthy("the SMTP port does not greet yet");
        }
    }
}

public static class MailDevBuilderExtensions
{
    /// <summary>MailDev with its SMTP and web ports (any free port when null, and always in tests).</summary>
    public static IResourceBuilder<MailDevResource> AddMailDev(this DistributedApplicationBuilder builder, string name, int? smtpPort = null, int? webPort = null) =>
        builder.AddResource(new MailDevResource(name, builder.Options))
            .WithEndpoint(MailDevResource.SmtpEndpoint, "smtp", smtpPort)
            .WithHttpEndpoint(webPort, MailDevResource.HttpEndpoint);
}
