using System.Net;
using System.Net.Sockets;
using Google.Protobuf;
using MenoTime.AppHost.Hosting;
using MenoTime.AppHost.Hosting.Dashboard;
using MenoTime.AppHost.Hosting.Dashboard.Telemetry;
using OpenTelemetry.Proto.Collector.Trace.V1;
using OpenTelemetry.Proto.Common.V1;
using OpenTelemetry.Proto.Trace.V1;
using OtlpResource = OpenTelemetry.Proto.Resource.V1.Resource;

namespace MenoTime.AppHost.Tests;

/// <summary>The dashboard's own rules: when it runs, masked secrets, bounded telemetry.</summary>
public sealed class DashboardTests
{
    [Fact]
    public void The_dashboard_is_on_when_developers_run_the_apphost_and_off_under_test_options_unless_asked()
    {
        Assert.True(new DistributedApplicationOptions().DashboardEnabled);
        Assert.Equal(18888, new DistributedApplicationOptions().DashboardPort);
        Assert.False(new DistributedApplicationOptions { IsTesting = true }.DashboardEnabled);
        Assert.True(new DistributedApplicationOptions { IsTesting = true, DashboardEnabled = true }.DashboardEnabled);
    }

    [Fact]
    public async Task A_dashboard_port_that_is_taken_is_explained_and_nothing_starts()
    {
        using var squatter = new TcpListener(IPAddress.Loopback, 0);
        squatter.Start();
        var port = ((IPEndPoint)squatter.LocalEndpoint).Port;
        await using var graph = new TestGraph(isTesting: false);
        graph.Options.DashboardEnabled = true;
        graph.Options.DashboardPort = port;
        graph.AddService("api");

        var error = await Assert.ThrowsAsync<DistributedApplicationException>(() => graph.Build().StartAsync(TestContext.Current.CancellationToken));

        Assert.Contains($"dashboard: port {port} on 127.0.0.1 is already in use", error.Message, StringComparison.Ordinal);
        Assert.Contains("--dashboard-port", error.Message, StringComparison.Ordinal);
        Assert.Empty(graph.Journal());
    }

    [Theory]
    [InlineData("ConnectionStrings__menotime", "Host=127.0.0.1;Port=5432;Username=postgres;Password=abc123;Database=menotime",
        "Host=127.0.0.1;Port=5432;Username=postgres;Password=••••••;Database=menotime")]
    [InlineData("ConnectionStrings__other", "Server=db;User Id=app;Pwd='a;b';Timeout=5", "Server=db;User Id=app;Pwd=••••••;Timeout=5")]
    [InlineData("OTEL_EXPORTER_OTLP_HEADERS", "x-otlp-api-key=abc,x-other=visible", "x-otlp-api-key=••••••,x-other=visible")]
    [InlineData("Email__Smtp__Password", "hunter2", "••••••")]
    [InlineData("AWS__Resources__ClientSecret", "s", "••••••")]
    [InlineData("Github_Token", "t", "••••••")]
    [InlineData("AWS_SECRET_ACCESS_KEY", "k", "••••••")]
    [InlineData("ASPNETCORE_URLS", "http://127.0.0.1:8000", "http://127.0.0.1:8000")]
    [InlineData("Email__Smtp__Host", "127.0.0.1", "127.0.0.1")]
    public void Secrets_are_masked_and_the_rest_is_shown(string name, string value, string shown)
    {
        Assert.Equal(shown, SecretMasker.MaskValue(name, value));
    }

    [Fact]
    public void A_ring_buffer_keeps_the_newest_items_in_order()
    {
        var buffer = new RingBuffer<int>(3);

        foreach (var item in Enumerable.Range(1, 5))
        {
            buffer.Add(item);
        }

        Assert.Equal([3, 4, 5], buffer.Snapshot());
        Assert.Equal(2, buffer.Evicted);
        Assert.Equal(5, buffer.Last());
    }

    [Fact]
    public void The_store_keeps_at_most_its_limit_of_spans_and_forgets_the_oldest_traces()
    {
        var store = new TelemetryStore();
        var traceIds = Enumerable.Range(0, TelemetryStore.MaxSpans + 10).Select(i => TraceId(i)).ToList();

        foreach (var batch in traceIds.Chunk(500))
        {
            store.Add(new ExportTraceServiceRequest
            {
                ResourceSpans =
                {
                    new ResourceSpans
                    {
                        Resource = new OtlpResource { Attributes = { new KeyValue { Key = "service.name", Value = new AnyValue { StringValue = "api" } } } },
                        ScopeSpans = { new ScopeSpans { Spans = { batch.Select(id => new Span { TraceId = id, SpanId = ByteString.CopyFrom(1, 2, 3, 4, 5, 6, 7, 8), Name = "GET /" }) } } },
                    },
                },
            });
        }

        Assert.Equal(TelemetryStore.MaxSpans, store.Spans.Count);
        Assert.Equal(10, store.Spans.Evicted);
        Assert.Null(store.GetTrace(Convert.ToHexStringLower(traceIds[9].Span)));
        Assert.NotNull(store.GetTrace(Convert.ToHexStringLower(traceIds[10].Span)));
        Assert.NotNull(store.GetTrace(Convert.ToHexStringLower(traceIds[^1].Span)));
    }

    [Fact]
    public void Spans_without_valid_ids_are_not_kept()
    {
        var store = new TelemetryStore();

        store.Add(new ExportTraceServiceRequest
        {
            ResourceSpans = { new ResourceSpans { ScopeSpans = { new ScopeSpans { Spans = { new Span { Name = "no ids" }, new Span { TraceId = ByteString.CopyFrom(new byte[16]), SpanId = ByteString.CopyFrom(1, 2, 3, 4, 5, 6, 7, 8) } } } } } },
        });

        Assert.Equal(0, store.Spans.Count);
    }

    private static ByteString TraceId(int i)
    {
        var bytes = new byte[16];
        BitConverter.TryWriteBytes(bytes, i + 1);
        return ByteString.CopyFrom(bytes);
    }
}
