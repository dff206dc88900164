using System.Diagnostics;

namespace MenoTime.AppHost.Hosting.Aws;

/// <summary>
/// moto, the local AWS emulator (S3, KMS, SNS, CloudFormation…), run as <c>python3 -m moto.server</c> on
/// loopback with its state in memory: every run provisions afresh. It stands in for an AWS account.
/// </summary>
public sealed class AwsEmulatorResource : ExecutableResource
{
    public const string HttpEndpoint = "http";

    internal AwsEmulatorResource(string name, string region, DistributedApplicationOptions options)
        : base(name, "python3", options.StateDirectory)
    {
        Region = region;
        HealthProbe = new HttpHealthProbe(HttpEndpoint, "/moto-api/");
        BeforeStart.Add((_, _) =>
        {
            Directory.CreateDirectory(options.StateDirectory);
            Command = PythonWithMoto.Value ?? Command;
            return Task.CompletedTask;
        });
    }

    public string Region { get; }

    /// <summary>The first Python interpreter on this machine that can import moto's server; null when none can.</summary>
    public static Lazy<string?> PythonWithMoto { get; } = new(FindPythonWithMoto);

    public Uri GetEndpoint(DistributedApplication app) => app.GetInstances(this)[0].GetUrl(HttpEndpoint);

    /// <summary>
    /// <c>moto.server</c>'s own entry point, without its per-request access log (the health probe alone would
    /// print a line every five seconds) and without its warnings about template types it skips.
    /// </summary>
    public override IReadOnlyList<string> GetArguments(ResourceInstance instance) =>
    [
        "-W", "ignore", "-c", "import logging, moto.server; logging.getLogger('werkzeug').setLevel(logging.ERROR); moto.server.main()",
        "-H", EndpointAnnotation.Host, "-p", instance.Ports[HttpEndpoint].ToString(System.Globalization.CultureInfo.InvariantCulture),
    ];

    public override IEnumerable<string> MissingPrerequisites(DistributedApplicationOptions options)
    {
        if (PythonWithMoto.Value is null)
        {
            yield return $"{Name}: no Python 3 here can import moto (the local AWS emulator). Install it: pip install 'moto[server]==5.2.1' " +
                         "(or use a real AWS account: --aws-profile <name>).";
        }
    }

    public override IEnumerable<string> Describe(DistributedApplication app) =>
        [$"{Name,-12} {GetEndpoint(app)} (moto, region {Region}; any access key works)"];

    /// <summary>
    /// python3 on PATH first, then pyenv's interpreters and the system ones: a bare environment (CI) may
    /// lack pyenv's shims on PATH although moto is installed for one of its Pythons.
    /// </summary>
    private static string? FindPythonWithMoto()
    {
        var home = Environment.GetEnvironmentVariable("HOME") ?? "/root";
        var pyenvRoots = new[] { Environment.GetEnvironmentVariable("PYENV_ROOT"), Path.Combine(home, ".pyenv"), "/root/.pyenv" }
            .OfType<string>().Distinct().Where(Directory.Exists);
        var pyenvPythons = pyenvRoots
            .SelectMany(root => Directory.Exists(Path.Combine(root, "versions")) ? Directory.GetDirectories(Path.Combine(root, "versions")) : [])
            .OrderByDescending(d => d, StringComparer.Ordinal)
            .Select(d => Path.Combine(d, "bin", "python3"));
        var candidates = new[] { ExecutableLocator.Find("python3") }
            .Concat(pyenvPythons)
            .Concat(["/usr/local/bin/python3", "/usr/bin/python3"])
            .OfType<string>()
            .Where(File.Exists)
            .Distinct();
        return candidates.FirstOrDefault(ImportsMoto);
    }

    private static bool ImportsMoto(string python)
    {
        try
        {
            using var process = Process.Start(new ProcessStartInfo(python, ["-c", "import moto.server"])
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            })!;
            process.StandardOutput.ReadToEnd();
            process.StandardError.ReadToEnd();
            return process.WaitForExit(TimeSpan.FromSeconds(30)) && process.ExitCode == 0;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return false;
        }
    }
}
