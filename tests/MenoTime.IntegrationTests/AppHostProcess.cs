using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using MenoTime.AppHost.Hosting;

namespace MenoTime.IntegrationTests;

/// <summary>
/// The built AppHost run as a developer runs it: its own process, its own console output, stopped by a
/// signal. Ports are free ones and the state directory is temporary, passed on the command line.
/// </summary>
internal sealed class AppHostProcess : IAsyncDisposable
{
    private static readonly string[] PortOptions = ["api-port", "postgres-port", "smtp-port", "mail-port", "dashboard-port"];
    private readonly Process _process;
    private readonly ConcurrentQueue<string> _output = new();

    private AppHostProcess(Process process, string stateDirectory, IReadOnlyDictionary<string, int> ports)
    {
        _process = process;
        StateDirectory = stateDirectory;
        Ports = ports;
    }

    public string StateDirectory { get; }

    public IReadOnlyDictionary<string, int> Ports { get; }

    public int Id => _process.Id;

    public IEnumerable<string> Output => _output;

    public static AppHostProcess Start(string? path = null)
    {
        var stateDirectory = Path.Combine(Path.GetTempPath(), $"menotime-apphost-{Guid.NewGuid():N}");
        Directory.CreateDirectory(stateDirectory);
        File.SetUnixFileMode(stateDirectory, (UnixFileMode)0b111_101_101);
        var ports = PortOptions.ToDictionary(name => name, _ => FreePort());

        var dotnet = ExecutableLocator.Find("dotnet") ?? throw new InvalidOperationException("dotnet is not on PATH");
        var startInfo = new ProcessStartInfo(dotnet)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        startInfo.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "MenoTime.AppHost.dll"));
        startInfo.ArgumentList.Add($"--state-dir={stateDirectory}");
        foreach (var (name, port) in ports)
        {
            startInfo.ArgumentList.Add($"--{name}={port.ToString(CultureInfo.InvariantCulture)}");
        }

        startInfo.Environment.Remove("ConnectionStrings__menotime");
        if (path is not null)
        {
            startInfo.Environment["PATH"] = path;
        }

        var process = new Process { StartInfo = startInfo };
        var host = new AppHostProcess(process, stateDirectory, ports);
        process.OutputDataReceived += (_, e) => host.Record(e.Data);
        process.ErrorDataReceived += (_, e) => host.Record(e.Data is null ? null : "stderr: " + e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return host;
    }

    public async Task WaitForOutputAsync(string text, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!_output.Any(line => line.Contains(text, StringComparison.Ordinal)))
        {
            if (_process.HasExited || DateTime.UtcNow > deadline)
            {
                Assert.Fail($"The AppHost never printed '{text}'. Its output:\n{string.Join('\n', _output)}");
            }

            await Task.Delay(100);
        }
    }

    public void Signal(int signal) => Signals.Send(_process.Id, signal);

    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        using var cancellation = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(cancellation.Token);
        }
        catch (OperationCanceledException)
        {
            Assert.Fail($"The AppHost did not exit within {timeout.TotalSeconds:F0} s. Its output:\n{string.Join('\n', _output)}");
        }

        return _process.ExitCode;
    }

    /// <summary>Every process below the AppHost (children start their own sessions, but keep it as parent).</summary>
    public IReadOnlyList<int> Descendants()
    {
        var parents = Directory.EnumerateDirectories("/proc")
            .Select(d => (Pid: int.TryParse(Path.GetFileName(d), out var pid) ? pid : 0, Directory: d))
            .Where(p => p.Pid > 0)
            .Select(p => (p.Pid, Parent: ReadParent(p.Directory)))
            .Where(p => p.Parent > 0)
            .ToList();
        var found = new List<int>();
        var frontier = new Queue<int>([_process.Id]);
        while (frontier.TryDequeue(out var parent))
        {
            foreach (var (pid, _) in parents.Where(p => p.Parent == parent))
            {
                found.Add(pid);
                frontier.Enqueue(pid);
            }
        }

        return found;
    }

    public static bool PortIsFree(int port)
    {
        try
        {
            using var listener = new TcpListener(IPAddress.Loopback, port);
            listener.Start();
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
        Directory.Delete(StateDirectory, recursive: true);
    }

    private void Record(string? line)
    {
        if (line is not null)
        {
            _output.Enqueue(line);
        }
    }

    private static int ReadParent(string processDirectory)
    {
        try
        {
            var stat = File.ReadAllText(Path.Combine(processDirectory, "stat"));
            return int.Parse(stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[1], CultureInfo.InvariantCulture);
        }
        catch (Exception e) when (e is IOException or FormatException)
        {
            return 0;
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
