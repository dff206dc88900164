using MenoTime.AppHost.Hosting;

namespace MenoTime.AppHost.Tests;

/// <summary>Stopping and restarting one instance while the rest of the application keeps running (the dashboard's buttons).</summary>
public sealed class InstanceOperationTests
{
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_restart_runs_a_new_process_with_the_same_ports_and_configuration()
    {
        await using var graph = new TestGraph();
        var api = graph.AddService("api", beforeLoop: $"""echo "pid=$$ port=$PORT secret=$SECRET"; echo armed >> "{graph.JournalPath}" """)
            .WithEndpoint("http", "http", env: "PORT")
            .WithEnvironment("SECRET", "s3");
        var app = graph.Build();
        await app.StartAsync(Cancellation);
        var instance = Assert.Single(app.GetInstances(api.Resource));
        var port = instance.Ports["http"];
        var firstPid = instance.ProcessId!.Value;
        await graph.WaitForJournalAsync("armed"); // its SIGTERM trap is set

        await app.RestartInstanceAsync(instance, Cancellation);

        await WaitForLinesAsync(app, "api", $"port={port} secret=s3", count: 2);
        Assert.NotEqual(firstPid, instance.ProcessId);
        Assert.False(Signals.GroupIsAlive(firstPid), "the first process must be gone");
        Assert.True(Signals.IsAlive(instance.ProcessId!.Value), "the new process runs");
        Assert.Equal(port, instance.Ports["http"]);
        Assert.Equal("s3", instance.Environment["SECRET"]);
        Assert.Equal(1, instance.Restarts);
        Assert.Equal(ResourceState.Healthy, instance.State);
        Assert.Equal(["start api", "armed", "stop api", "start api", "armed"], graph.Journal());
    }

    [Fact]
    public async Task Stopping_one_replica_leaves_the_others_and_the_application_running()
    {
        await using var graph = new TestGraph();
        var worker = graph.AddService("worker", beforeLoop: $"""echo armed >> "{graph.JournalPath}" """).WithReplicas(2);
        var app = graph.Build();
        await app.StartAsync(Cancellation);
        var (first, second) = (app.GetInstances(worker.Resource)[0], app.GetInstances(worker.Resource)[1]);
        await WaitUntilAsync(() => graph.Journal().Count(l => l == "armed") == 2); // both have their SIGTERM trap set

        await app.StopInstanceAsync(first);

        Assert.Equal(ResourceState.Stopped, first.State);
        Assert.Equal(0, first.ExitCode); // it stopped on its SIGTERM, it was not killed
        Assert.False(Signals.GroupIsAlive(first.ProcessId!.Value));
        Assert.True(Signals.IsAlive(second.ProcessId!.Value), "the other replica keeps running");
        Assert.Equal(ResourceState.Healthy, second.State);
        Assert.Contains(app.GetLog("worker").Snapshot(), l => l.Source == "worker-0" && l.Text == "stopped (exit code 0)");
    }

    [Fact]
    public async Task A_stopped_instance_starts_again_on_restart_and_the_application_still_stops_cleanly()
    {
        await using var graph = new TestGraph();
        var api = graph.AddService("api", beforeLoop: $"""echo armed >> "{graph.JournalPath}" """);
        var app = graph.Build();
        await app.StartAsync(Cancellation);
        var instance = Assert.Single(app.GetInstances(api.Resource));
        await graph.WaitForJournalAsync("armed");
        await app.StopInstanceAsync(instance);

        await app.RestartInstanceAsync(instance, Cancellation);

        Assert.Equal(ResourceState.Healthy, instance.State);
        Assert.Null(instance.ExitCode);
        await WaitUntilAsync(() => graph.Journal().Count(l => l == "armed") == 2);
        await app.StopAsync();
        Assert.Equal(ResourceState.Stopped, instance.State);
        Assert.False(Signals.GroupIsAlive(instance.ProcessId!.Value));
        Assert.Equal(["start api", "armed", "stop api", "start api", "armed", "stop api"], graph.Journal());
    }

    [Fact]
    public async Task A_restart_that_fails_says_why_and_shows_the_instance_as_exited()
    {
        await using var graph = new TestGraph();
        // Runs and reports ready the first time; on its second start it fails, as a broken build would.
        var api = graph.AddBash("api", """
            if [ -f api.started ]; then echo 'cannot bind: address in use' >&2; exit 3; fi
            trap 'rm -f api.ready; exit 0' TERM
            touch api.started api.ready
            while true; do sleep 0.05; done
            """);
        api.Resource.HealthProbe = new ReadyFileProbe(graph.WorkDirectory);
        var app = graph.Build();
        await app.StartAsync(Cancellation);
        var instance = Assert.Single(app.GetInstances(api.Resource));

        var error = await Assert.ThrowsAsync<DistributedApplicationException>(() => app.RestartInstanceAsync(instance, Cancellation));

        Assert.Contains("api exited with code 3 before it was healthy", error.Message, StringComparison.Ordinal);
        Assert.Contains("cannot bind: address in use", error.Message, StringComparison.Ordinal);
        Assert.Equal(3, instance.ExitCode);
        Assert.Equal(ResourceState.Exited, instance.State);
        Assert.Equal(1, instance.Restarts);
    }

    [Fact]
    public async Task A_resource_without_a_process_of_its_own_cannot_be_restarted()
    {
        await using var graph = new TestGraph();
        var db = graph.Builder.AddResource(new FakeConnectionStringResource("db", "Host=x"));
        graph.AddService("api").WithReference(db);
        var app = graph.Build();
        await app.StartAsync(Cancellation);

        var error = await Assert.ThrowsAsync<DistributedApplicationException>(
            () => app.RestartInstanceAsync(Assert.Single(app.GetInstances(db.Resource)), Cancellation));

        Assert.Contains("db has no process of its own here", error.Message, StringComparison.Ordinal);
    }

    private static async Task WaitForLinesAsync(DistributedApplication app, string resource, string text, int count)
    {
        for (var attempt = 0; attempt < 100; attempt++)
        {
            if (app.GetLog(resource).Snapshot().Count(l => l.Text.EndsWith(text, StringComparison.Ordinal)) >= count)
            {
                return;
            }

            await Task.Delay(50);
        }

        Assert.Fail($"'{text}' did not appear {count} times in the output of {resource}:\n{app.GetLog(resource).Tail()}");
    }

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        for (var attempt = 0; attempt < 200 && !condition(); attempt++)
        {
            await Task.Delay(25);
        }

        Assert.True(condition(), "the condition never became true");
    }
}
