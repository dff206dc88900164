using MenoTime.AppHost.Hosting;

namespace MenoTime.IntegrationTests;

/// <summary>The AppHost as a developer runs it: up with everything healthy, then stopped by a signal.</summary>
public sealed class AppHostProcessTests
{
    [Theory]
    [InlineData(Signals.SigTerm)]
    [InlineData(Signals.SigInt)]
    public async Task A_stop_signal_stops_every_resource_and_leaves_no_process_or_port_behind(int signal)
    {
        await using var host = AppHostProcess.Start();
        await host.WaitForOutputAsync("MenoTime is up", TimeSpan.FromMinutes(2));
        var children = host.Descendants();
        Assert.True(children.Count >= 5, $"postgres, mail, api and worker (and postgres' own processes) run: {children.Count}");
        Assert.All(host.Ports.Values, port => Assert.False(AppHostProcess.PortIsFree(port), $"port {port} is served"));

        host.Signal(signal);
        var exitCode = await host.WaitForExitAsync(TimeSpan.FromMinutes(1));

        Assert.Equal(0, exitCode);
        Assert.Contains(host.Output, line => line.Contains("apphost", StringComparison.Ordinal) && line.Contains("stopped in", StringComparison.Ordinal));
        Assert.DoesNotContain(children, Signals.IsAlive);
        Assert.All(host.Ports.Values, port => Assert.True(AppHostProcess.PortIsFree(port), $"port {port} is released"));
    }

    private static readonly string[] ToolsButNode = ["dotnet", "setsid", "setpriv", "chown", "bash"];

    [Fact]
    public async Task Without_node_the_apphost_says_what_to_install_in_one_line_and_exits_1()
    {
        // A PATH with what the host needs, except Node.js and npm.
        var bin = Directory.CreateTempSubdirectory("menotime-path-").FullName;
        try
        {
            foreach (var tool in ToolsButNode)
            {
                File.CreateSymbolicLink(Path.Combine(bin, tool), ExecutableLocator.Find(tool)!);
            }

            await using var host = AppHostProcess.Start(path: bin);
            var exitCode = await host.WaitForExitAsync(TimeSpan.FromMinutes(1));

            Assert.Equal(1, exitCode);
            var errors = host.Output.Where(line => line.StartsWith("stderr:", StringComparison.Ordinal)).ToList();
            var error = Assert.Single(errors);
            Assert.Contains("mail: Node.js was not found on PATH. Install Node.js 20 or newer", error, StringComparison.Ordinal);
            Assert.False(Directory.Exists(Path.Combine(host.StateDirectory, "postgres", "data")), "nothing may start");
        }
        finally
        {
            Directory.Delete(bin, recursive: true);
        }
    }
}
