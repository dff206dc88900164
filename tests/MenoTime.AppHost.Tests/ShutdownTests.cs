using MenoTime.AppHost.Hosting;

namespace MenoTime.AppHost.Tests;

public sealed class ShutdownTests
{
    [Fact]
    public async Task A_process_that_ignores_SIGTERM_is_killed_with_everything_it_spawned()
    {
        await using var graph = new TestGraph(stopTimeout: TimeSpan.FromSeconds(1));
        // Ignored signals are inherited: the grandchild ignores SIGTERM too, so only a group kill ends it.
        var stubborn = graph.AddBash("stubborn", $"""
            trap '' TERM
            sleep 1000 &
            echo $! > "{graph.WorkDirectory}/grandchild.pid"
            while true; do sleep 0.05; done
            """);
        var app = graph.Build();
        await app.StartAsync(TestContext.Current.CancellationToken);
        var instance = Assert.Single(app.GetInstances(stubborn.Resource));
        var grandchild = await ReadPidAsync(Path.Combine(graph.WorkDirectory, "grandchild.pid"));
        Assert.True(Signals.IsAlive(grandchild), "the grandchild runs before the stop");

        await app.StopAsync();

        Assert.False(Signals.GroupIsAlive(instance.ProcessId!.Value), "no process of the group may survive");
        Assert.False(Signals.IsAlive(grandchild), "the grandchild must be gone");
        Assert.Equal(ResourceState.Stopped, instance.State);
    }

    [Fact]
    public async Task A_process_that_stops_on_SIGTERM_is_not_killed_and_its_exit_code_is_kept()
    {
        await using var graph = new TestGraph(stopTimeout: TimeSpan.FromSeconds(30));
        var service = graph.AddService("service");
        var app = graph.Build();
        await app.StartAsync(TestContext.Current.CancellationToken);
        await graph.WaitForJournalAsync("start service");

        await app.StopAsync();

        var instance = Assert.Single(app.GetInstances(service.Resource));
        Assert.Equal(0, instance.ExitCode); // SIGKILL would have given 137.
        Assert.Contains("stop service", graph.Journal());
    }

    [Fact]
    public async Task Stopping_twice_is_harmless()
    {
        await using var graph = new TestGraph();
        graph.AddService("service");
        var app = graph.Build();
        await app.StartAsync(TestContext.Current.CancellationToken);
        await graph.WaitForJournalAsync("start service");

        await app.StopAsync();
        await app.StopAsync();

        Assert.Single(graph.Journal(), l => l == "stop service");
    }

    private static async Task<int> ReadPidAsync(string path)
    {
        // Exists as soon as bash opens it for writing, which is before the pid is in it.
        for (var attempt = 0; attempt < 100 && !(File.Exists(path) && (await File.ReadAllTextAsync(path)).EndsWith('\n')); attempt++)
        {
            await Task.Delay(50);
        }

        return int.Parse((await File.ReadAllTextAsync(path)).Trim(), System.Globalization.CultureInfo.InvariantCulture);
    }
}
