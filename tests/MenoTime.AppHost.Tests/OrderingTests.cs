using MenoTime.AppHost.Hosting;

namespace MenoTime.AppHost.Tests;

public sealed class OrderingTests
{
    [Fact]
    public async Task A_dependent_starts_only_after_what_it_waits_for_is_healthy()
    {
        await using var graph = new TestGraph();
        // "db" becomes healthy half a second after it starts, by writing its ready file.
        var db = graph.AddService("db", beforeLoop: $"""sleep 0.5; echo "ready db" >> "{graph.JournalPath}"; touch db.ready""");
        db.Resource.HealthProbe = new ReadyFileProbe(graph.WorkDirectory);
        graph.AddService("api").WaitFor(db);

        await graph.Build().StartAsync(TestContext.Current.CancellationToken);

        await graph.WaitForJournalAsync("start api");
        Assert.Equal(["start db", "ready db", "start api"], graph.Journal());
    }

    [Fact]
    public async Task Stopping_stops_dependents_before_their_dependencies()
    {
        await using var graph = new TestGraph();
        var db = graph.AddService("db");
        var api = graph.AddService("api").WaitFor(db);
        graph.AddService("worker").WaitFor(api);
        var app = graph.Build();
        await app.StartAsync(TestContext.Current.CancellationToken);
        await graph.WaitForJournalAsync("start db", "start api", "start worker");

        await app.StopAsync();

        Assert.Equal(["stop worker", "stop api", "stop db"], graph.Journal().Where(l => l.StartsWith("stop", StringComparison.Ordinal)));
        Assert.All(app.Resources.SelectMany(app.GetInstances), i => Assert.Equal(ResourceState.Stopped, i.State));
    }

    [Fact]
    public async Task References_also_order_shutdown()
    {
        await using var graph = new TestGraph();
        var mail = graph.AddService("mail");
        graph.AddService("api").WithReference(graph.Builder.AddResource(new FakeConnectionStringResource("db", "x"))).WaitFor(mail);
        var app = graph.Build();
        await app.StartAsync(TestContext.Current.CancellationToken);
        await graph.WaitForJournalAsync("start mail", "start api");

        await app.StopAsync();

        Assert.Equal(["stop api", "stop mail"], graph.Journal().Where(l => l.StartsWith("stop", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task A_completion_step_runs_to_the_end_before_its_dependents_start()
    {
        await using var graph = new TestGraph();
        var migrations = graph.AddBash("migrations", $"""sleep 0.3; echo "migrated" >> "{graph.JournalPath}" """);
        graph.AddService("api").WaitForCompletion(migrations);
        var app = graph.Build();

        await app.StartAsync(TestContext.Current.CancellationToken);

        await graph.WaitForJournalAsync("start api");
        Assert.Equal(["migrated", "start api"], graph.Journal());
        var step = Assert.Single(app.GetInstances(migrations.Resource));
        Assert.Equal(ResourceState.Finished, step.State);
        Assert.Equal(0, step.ExitCode);
    }

    [Fact]
    public async Task A_failing_completion_step_fails_the_start_names_itself_and_leaves_nothing_running()
    {
        await using var graph = new TestGraph();
        var db = graph.AddService("db");
        var migrations = graph.AddBash("migrations", "echo 'relation \"x\" already exists' >&2; exit 3").WaitFor(db);
        graph.AddService("api").WaitForCompletion(migrations);
        var app = graph.Build();

        var error = await Assert.ThrowsAsync<DistributedApplicationException>(() => app.StartAsync(TestContext.Current.CancellationToken));

        Assert.Contains("migrations exited with code 3", error.Message, StringComparison.Ordinal);
        Assert.Contains("relation \"x\" already exists", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("start api", graph.Journal());
        var dbInstance = Assert.Single(app.GetInstances(db.Resource));
        Assert.False(Signals.GroupIsAlive(dbInstance.ProcessId!.Value), "db must have been stopped after the failed start");
    }

    [Fact]
    public async Task A_cycle_is_refused_with_its_path()
    {
        await using var graph = new TestGraph();
        var a = graph.AddService("a");
        var b = graph.AddService("b").WaitFor(a);
        a.WaitFor(b);

        var error = await Assert.ThrowsAsync<DistributedApplicationException>(() => graph.Build().StartAsync(TestContext.Current.CancellationToken));

        Assert.Contains("cycle: a -> b -> a", error.Message, StringComparison.Ordinal);
        Assert.Empty(graph.Journal());
    }

    [Fact]
    public void Start_order_puts_every_resource_after_what_it_waits_for()
    {
        var graph = new TestGraph();
        var worker = graph.AddService("worker");
        var api = graph.AddService("api");
        var db = graph.AddService("db");
        worker.WaitFor(api).WaitFor(db);
        api.WaitFor(db);

        var order = ResourceGraph.StartOrder(graph.Builder.Resources).Select(r => r.Name);

        Assert.Equal(["db", "api", "worker"], order);
        Directory.Delete(graph.WorkDirectory, recursive: true);
    }
}
