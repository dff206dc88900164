using MenoTime.AppHost.Hosting;
using MenoTime.AppHost.Hosting.Postgres;

namespace MenoTime.AppHost.Tests;

public sealed class StartupFailureTests
{
    [Fact]
    public async Task Every_missing_prerequisite_is_reported_at_once_before_anything_starts()
    {
        await using var graph = new TestGraph();
        graph.AddService("fine");
        graph.Builder.AddExecutable("ghost", "no-such-program-menotime", graph.WorkDirectory);
        var postgres = graph.Builder.AddPostgres("postgres");
        postgres.Resource.BinDirectory = null;

        var error = await Assert.ThrowsAsync<DistributedApplicationException>(() => graph.Build().StartAsync(TestContext.Current.CancellationToken));

        var lines = error.Message.Split('\n');
        Assert.Equal(2, lines.Length);
        Assert.Contains(lines, l => l == "ghost: 'no-such-program-menotime' was not found on PATH.");
        Assert.Contains(lines, l => l.StartsWith("postgres: PostgreSQL 15 server binaries", StringComparison.Ordinal)
                                    && l.Contains("sudo apt-get install -y postgresql-15", StringComparison.Ordinal));
        Assert.Empty(graph.Journal());
    }

    [Fact]
    public async Task A_process_that_exits_before_it_is_healthy_fails_the_start_with_its_last_output()
    {
        await using var graph = new TestGraph();
        var api = graph.AddBash("api", "echo 'Unhandled exception: no connection string' >&2; exit 4");
        api.Resource.HealthProbe = new ReadyFileProbe(graph.WorkDirectory);

        var error = await Assert.ThrowsAsync<DistributedApplicationException>(() => graph.Build().StartAsync(TestContext.Current.CancellationToken));

        Assert.Contains("api exited with code 4 before it was healthy", error.Message, StringComparison.Ordinal);
        Assert.Contains("Unhandled exception: no connection string", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_resource_that_never_turns_healthy_times_out_with_its_last_health_result()
    {
        await using var graph = new TestGraph(startupTimeout: TimeSpan.FromSeconds(1));
        var api = graph.AddService("api");
        api.Resource.HealthProbe = new ReadyFileProbe(graph.WorkDirectory);
        var app = graph.Build();

        var error = await Assert.ThrowsAsync<DistributedApplicationException>(() => app.StartAsync(TestContext.Current.CancellationToken));

        Assert.Contains("api was not healthy within 1 s", error.Message, StringComparison.Ordinal);
        Assert.Contains("api.ready not written yet", error.Message, StringComparison.Ordinal);
        Assert.Contains("stop api", graph.Journal());
    }
}
