using System.Net;
using System.Net.Sockets;
using MenoTime.AppHost.Hosting;
using MenoTime.AppHost.Hosting.Postgres;

namespace MenoTime.AppHost.Tests;

public sealed class ConfigurationTests
{
    [Fact]
    public async Task A_reference_hands_the_connection_string_to_the_process()
    {
        await using var graph = new TestGraph();
        var db = graph.Builder.AddResource(new FakeConnectionStringResource("menotime", "Host=127.0.0.1;Port=5999"));
        var api = graph.AddBash("api", "echo \"got=$ConnectionStrings__menotime extra=$EXTRA\"; sleep 100")
            .WithReference(db)
            .WithEnvironment("EXTRA", "yes");
        var app = graph.Build();

        await app.StartAsync(TestContext.Current.CancellationToken);

        var instance = Assert.Single(app.GetInstances(api.Resource));
        Assert.Equal("Host=127.0.0.1;Port=5999", instance.Environment["ConnectionStrings__menotime"]);
        await WaitForLineAsync(app, "api", "got=Host=127.0.0.1;Port=5999 extra=yes");
    }

    [Fact]
    public async Task Extra_postgres_settings_reach_the_server_command_line()
    {
        await using var graph = new TestGraph();
        var postgres = graph.Builder.AddPostgres("postgres").Resource;
        postgres.Settings["shared_preload_libraries"] = "pg_stat_statements";
        var instance = new ResourceInstance(postgres, 0, "postgres");
        instance.Ports["tcp"] = 5999;

        var arguments = postgres.GetArguments(instance);

        var at = arguments.ToList().IndexOf("shared_preload_libraries=pg_stat_statements");
        Assert.True(at > 0 && arguments[at - 1] == "-c", string.Join(' ', arguments));
        Assert.Contains("5999", arguments);
    }

    [Fact]
    public async Task Replicas_get_their_own_ports_and_names()
    {
        await using var graph = new TestGraph();
        var worker = graph.AddBash("worker", "echo \"port=$PORT\"; sleep 100").WithEndpoint("http", "http", env: "PORT").WithReplicas(3);
        var app = graph.Build();

        await app.StartAsync(TestContext.Current.CancellationToken);

        var instances = app.GetInstances(worker.Resource);
        Assert.Equal(["worker-0", "worker-1", "worker-2"], instances.Select(i => i.Name));
        Assert.Equal(3, instances.Select(i => i.Ports["http"]).Distinct().Count());
        foreach (var instance in instances)
        {
            await WaitForLineAsync(app, "worker", $"port={instance.Ports["http"]}", instance.Name);
        }
    }

    [Fact]
    public async Task A_fixed_port_that_is_taken_is_explained_and_nothing_starts()
    {
        using var squatter = new TcpListener(IPAddress.Loopback, 0);
        squatter.Start();
        var port = ((IPEndPoint)squatter.LocalEndpoint).Port;
        await using var graph = new TestGraph(isTesting: false);
        graph.AddService("api").WithHttpEndpoint(port);

        var error = await Assert.ThrowsAsync<DistributedApplicationException>(() => graph.Build().StartAsync(TestContext.Current.CancellationToken));

        Assert.Contains($"port {port} (http) on 127.0.0.1 is already in use", error.Message, StringComparison.Ordinal);
        Assert.Empty(graph.Journal());
    }

    [Fact]
    public async Task Under_test_options_a_fixed_port_is_replaced_by_a_free_one()
    {
        using var squatter = new TcpListener(IPAddress.Loopback, 0);
        squatter.Start();
        var port = ((IPEndPoint)squatter.LocalEndpoint).Port;
        await using var graph = new TestGraph(isTesting: true);
        var api = graph.AddService("api").WithHttpEndpoint(port);
        var app = graph.Build();

        await app.StartAsync(TestContext.Current.CancellationToken);

        Assert.NotEqual(port, Assert.Single(app.GetInstances(api.Resource)).Ports["http"]);
    }

    private static async Task WaitForLineAsync(DistributedApplication app, string resource, string text, string? source = null)
    {
        for (var attempt = 0; attempt < 100; attempt++)
        {
            if (app.GetLog(resource).Snapshot().Any(l => l.Text == text && (source is null || l.Source == source)))
            {
                return;
            }

            await Task.Delay(50);
        }

        Assert.Fail($"'{text}' never appeared in the output of {resource}:\n{app.GetLog(resource).Tail()}");
    }
}
