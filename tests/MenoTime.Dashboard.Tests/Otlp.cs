using System.Net.Http.Headers;
using Google.Protobuf;
using MenoTime.AppHost.Hosting.Dashboard;
using OpenTelemetry.Proto.Collector.Logs.V1;
using OpenTelemetry.Proto.Collector.Metrics.V1;
using OpenTelemetry.Proto.Collector.Trace.V1;
using OpenTelemetry.Proto.Common.V1;
using OpenTelemetry.Proto.Logs.V1;
using OpenTelemetry.Proto.Metrics.V1;
using OpenTelemetry.Proto.Trace.V1;
using OtlpResource = OpenTelemetry.Proto.Resource.V1.Resource;

namespace MenoTime.Dashboard.Tests;

/// <summary>OTLP/HTTP protobuf payloads as an OpenTelemetry SDK sends them, built from the OTLP message types.</summary>
internal static class Otlp
{
    public static ulong UnixNano(DateTimeOffset time) => (ulong)(time - DateTimeOffset.UnixEpoch).Ticks * 100;

    public static OtlpResource Resource(string service) => new()
    {
        Attributes = { Attribute("service.name", service), Attribute("service.instance.id", $"{service}-1") },
    };

    public static KeyValue Attribute(string key, string value) => new() { Key = key, Value = new AnyValue { StringValue = value } };

    public static KeyValue Attribute(string key, long value) => new() { Key = key, Value = new AnyValue { IntValue = value } };

    public static Span Span(byte[] traceId, byte[] spanId, byte[]? parentId, string name, DateTimeOffset start, TimeSpan duration, params KeyValue[] attributes)
    {
        var span = new Span
        {
            TraceId = ByteString.CopyFrom(traceId),
            SpanId = ByteString.CopyFrom(spanId),
            Name = name,
            Kind = parentId is null ? OpenTelemetry.Proto.Trace.V1.Span.Types.SpanKind.Server : OpenTelemetry.Proto.Trace.V1.Span.Types.SpanKind.Client,
            StartTimeUnixNano = UnixNano(start),
            EndTimeUnixNano = UnixNano(start + duration),
            Attributes = { attributes },
        };
        if (parentId is not null)
        {
            span.ParentSpanId = ByteString.CopyFrom(parentId);
        }

        return span;
    }

    public static ExportTraceServiceRequest Traces(string service, params Span[] spans) => new()
    {
        ResourceSpans = { new ResourceSpans { Resource = Resource(service), ScopeSpans = { new ScopeSpans { Scope = new InstrumentationScope { Name = "test" }, Spans = { spans } } } } },
    };

    public static ExportLogsServiceRequest Log(string service, string category, string message, SeverityNumber severity, params KeyValue[] attributes) => new()
    {
        ResourceLogs =
        {
            new ResourceLogs
            {
                Resource = Resource(service),
                ScopeLogs =
                {
                    new ScopeLogs
                    {
                        Scope = new InstrumentationScope { Name = category },
                        LogRecords =
                        {
                            new LogRecord
                            {
                                TimeUnixNano = UnixNano(DateTimeOffset.UtcNow),
                                SeverityNumber = severity,
                                Body = new AnyValue { StringValue = message },
                                Attributes = { attributes },
                            },
                        },
                    },
                },
            },
        },
    };

    public static ExportMetricsServiceRequest Metrics(string service, string scope, params Metric[] metrics) => new()
    {
        ResourceMetrics = { new ResourceMetrics { Resource = Resource(service), ScopeMetrics = { new ScopeMetrics { Scope = new InstrumentationScope { Name = scope }, Metrics = { metrics } } } } },
    };

    public static HttpRequestMessage Post(string path, IMessage message, string? apiKey)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new ByteArrayContent(message.ToByteArray()) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/x-protobuf");
        if (apiKey is not null)
        {
            request.Headers.Add(DashboardAuth.ApiKeyHeader, apiKey);
        }

        return request;
    }
}
