using MenoTime.AppHost.Hosting;

namespace MenoTime.AppHost.Tests;

/// <summary>Taking single replicas down and up again while the graph runs: what outage and crash tests rely on.</summary>
public sealed class InstanceControlTests
{
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task One_replica_stops_and_starts_again_while_the_other_keeps_running()
    {
        await using var graph = new TestGraph();
        graph.AddService("svc").WithReplicas(2);
        var app = graph.Build();
        await app.StartAsync(Cancellation);
        var instances = app.GetInstances(app.GetResource("svc"));
        var (first, second) = (instances[0].ProcessId!.Value, instances[1].ProcessId!.Value);
        await graph.WaitForJournalAsync("start svc");

        await app.StopInstanceAsync("svc", replica: 0);

        Assert.Equal(ResourceState.Stopped, instances[0].State);
        Assert.Equal(0, instances[0].ExitCode);
        Assert.False(Signals.IsAlive(first));
        Assert.True(Signals.IsAlive(second));
        Assert.Single(graph.Journal(), line => line == "stop svc");

        await app.StartInstanceAsync("svc", replica: 0, Cancellation);

        Assert.Equal(ResourceState.Healthy, instances[0].State);
        Assert.NotEqual(first, instances[0].ProcessId);
        Assert.True(Signals.IsAlive(instances[0].ProcessId!.Value));
        Assert.Equal(second, instances[1].ProcessId);
    }

    [Fact]
    public async Task Killing_a_replica_is_a_SIGKILL_without_its_stop_signal_and_it_can_be_started_again()
    {
        await using var graph = new TestGraph();
        graph.AddService("svc");
        var app = graph.Build();
        await app.StartAsync(Cancellation);
        var instance = app.GetInstances(app.GetResource("svc"))[0];
        var pid = instance.ProcessId!.Value;
        await graph.WaitForJournalAsync("start svc");

        await app.KillInstanceAsync("svc");

        Assert.False(Signals.IsAlive(pid));
        Assert.Equal(128 + 9, instance.ExitCode);
        Assert.Equal(ResourceState.Exited, instance.State);
        Assert.DoesNotContain("stop svc", graph.Journal());

        // And, as a crashed task is replaced, it can be started again; a running one cannot be started twice.
        await app.StartInstanceAsync("svc", cancellationToken: Cancellation);
        Assert.True(Signals.IsAlive(instance.ProcessId!.Value));
        await Assert.ThrowsAsync<InvalidOperationException>(() => app.StartInstanceAsync("svc", cancellationToken: Cancellation));
    }

    [Fact]
    public async Task A_generated_secret_is_made_once_per_state_directory_shared_and_private()
    {
        await using var graph = new TestGraph();
        graph.AddService("a").WithGeneratedSecret("SIGNING_KEY", "signing-key");
        graph.AddService("b").WithGeneratedSecret("SIGNING_KEY", "signing-key");
        var app = graph.Build();
        await app.StartAsync(Cancellation);

        var a = app.GetInstances(app.GetResource("a"))[0].Environment["SIGNING_KEY"];
        var b = app.GetInstances(app.GetResource("b"))[0].Environment["SIGNING_KEY"];
        var file = Path.Combine(graph.WorkDirectory, "secrets", "signing-key");

        Assert.Equal(a, b);
        Assert.Equal(32, Convert.FromBase64String(a).Length);
        Assert.Equal(a, GeneratedSecret.ReadOrCreate(graph.WorkDirectory, "signing-key"));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(file));
        Assert.NotEqual(a, GeneratedSecret.ReadOrCreate(Path.Combine(graph.WorkDirectory, "elsewhere"), "signing-key"));
    }
}
