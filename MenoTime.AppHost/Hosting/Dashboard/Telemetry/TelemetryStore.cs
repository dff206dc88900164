using System.Text.Json.Serialization;
using OpenTelemetry.Proto.Collector.Logs.V1;
using OpenTelemetry.Proto.Collector.Trace.V1;
using OpenTelemetry.Proto.Trace.V1;

namespace MenoTime.AppHost.Hosting.Dashboard.Telemetry;

public sealed record SpanEventData(DateTimeOffset Time, string Name, IReadOnlyList<Field> Attributes);

public sealed record SpanData(
    string TraceId,
    string SpanId,
    string? ParentSpanId,
    string Name,
    string Kind,
    string Service,
    string Instance,
    string Scope,
    [property: JsonIgnore] ulong StartUnixNano,
    [property: JsonIgnore] ulong EndUnixNano,
    bool IsError,
    string? StatusMessage,
    IReadOnlyList<Field> Attributes,
    IReadOnlyList<SpanEventData> Events)
{
    public DateTimeOffset Start => OtlpConvert.Time(StartUnixNano);

    public double DurationMs => EndUnixNano > StartUnixNano ? (EndUnixNano - StartUnixNano) / 1e6 : 0;
}

public sealed record LogData(
    DateTimeOffset Time,
    string Service,
    string Instance,
    string Category,
    string Severity,
    int SeverityNumber,
    string Message,
    IReadOnlyList<Field> Attributes,
    string? TraceId,
    string? SpanId);

/// <summary>One row of the traces list: a trace as far as its spans have arrived.</summary>
public sealed record TraceSummary(
    string TraceId, string Name, string Service, IReadOnlyList<string> Services, DateTimeOffset Start, double DurationMs, int SpanCount, bool HasError);

/// <summary>A span placed in its trace: milliseconds from the trace's first span, and its depth under its parents.</summary>
public sealed record TraceSpan(SpanData Span, double OffsetMs, int Depth);

public sealed record TraceDetail(TraceSummary Summary, IReadOnlyList<TraceSpan> Spans);

/// <summary>
/// The spans and structured logs the services sent, in ring buffers: the newest <see cref="MaxSpans"/> spans
/// and <see cref="MaxLogs"/> log records are kept, older ones are forgotten.
/// </summary>
public sealed class TelemetryStore
{
    public const int MaxSpans = 10_000;
    public const int MaxLogs = 10_000;

    private static readonly string[] SeverityNames = ["", "trace", "debug", "info", "warn", "error", "fatal"];
    private readonly RingBuffer<SpanData> _spans = new(MaxSpans);
    private readonly RingBuffer<LogData> _logs = new(MaxLogs);

    public MetricsStore Metrics { get; } = new();

    public RingBuffer<SpanData> Spans => _spans;

    public RingBuffer<LogData> Logs => _logs;

    public void Add(ExportTraceServiceRequest request)
    {
        foreach (var resourceSpans in request.ResourceSpans)
        {
            var sender = OtlpConvert.Sender(resourceSpans.Resource);
            foreach (var scopeSpans in resourceSpans.ScopeSpans)
            {
                var scope = scopeSpans.Scope?.Name ?? "";
                foreach (var span in scopeSpans.Spans)
                {
                    if (OtlpConvert.Hex(span.TraceId) is not { } traceId || OtlpConvert.Hex(span.SpanId) is not { } spanId)
                    {
                        continue; // Invalid per the specification: no trace or span id.
                    }

                    var attributes = OtlpConvert.Fields(span.Attributes);
                    _spans.Add(new SpanData(
                        traceId,
                        spanId,
                        OtlpConvert.Hex(span.ParentSpanId),
                        DisplayName(span.Name, attributes),
                        KindName(span.Kind),
                        sender.Service,
                        sender.Instance,
                        scope,
                        span.StartTimeUnixNano,
                        span.EndTimeUnixNano,
                        span.Status?.Code == Status.Types.StatusCode.Error,
                        string.IsNullOrEmpty(span.Status?.Message) ? null : span.Status.Message,
                        attributes,
                        [.. span.Events.Take(OtlpConvert.MaxAttributes).Select(e => new SpanEventData(OtlpConvert.Time(e.TimeUnixNano), e.Name, OtlpConvert.Fields(e.Attributes)))]));
                }
            }
        }
    }

    public void Add(ExportLogsServiceRequest request)
    {
        foreach (var resourceLogs in request.ResourceLogs)
        {
            var sender = OtlpConvert.Sender(resourceLogs.Resource);
            foreach (var scopeLogs in resourceLogs.ScopeLogs)
            {
                var category = scopeLogs.Scope?.Name ?? "";
                foreach (var record in scopeLogs.LogRecords)
                {
                    var number = (int)record.SeverityNumber;
                    var time = record.TimeUnixNano != 0 ? record.TimeUnixNano : record.ObservedTimeUnixNano;
                    _logs.Add(new LogData(
                        time == 0 ? DateTimeOffset.UtcNow : OtlpConvert.Time(time),
                        sender.Service,
                        sender.Instance,
                        category,
                        number > 0 ? SeverityNames[Math.Min((number + 3) / 4, 6)] : record.SeverityText.ToLowerInvariant(),
                        number,
                        OtlpConvert.Text(record.Body),
                        OtlpConvert.Fields(record.Attributes),
                        OtlpConvert.Hex(record.TraceId),
                        OtlpConvert.Hex(record.SpanId)));
                }
            }
        }
    }

    /// <summary>The newest traces first; <paramref name="search"/> matches a trace id, span name, service or attribute value.</summary>
    public IReadOnlyList<TraceSummary> GetTraces(string? search, string? service, int limit)
    {
        return [.. _spans.Snapshot()
            .GroupBy(span => span.TraceId)
            .Where(trace => service is null || trace.Any(span => span.Service == service))
            .Where(trace => string.IsNullOrWhiteSpace(search) || trace.Any(span => Matches(span, search.Trim())))
            .Select(trace => Summarize([.. trace]))
            .OrderByDescending(trace => trace.Start)
            .Take(limit)];
    }

    public TraceDetail? GetTrace(string traceId)
    {
        var spans = _spans.Snapshot().Where(span => span.TraceId == traceId).ToList();
        if (spans.Count == 0)
        {
            return null;
        }

        var start = spans.Min(span => span.StartUnixNano);
        var ids = spans.Select(span => span.SpanId).ToHashSet();
        var children = spans.ToLookup(span => span.ParentSpanId is { } parent && ids.Contains(parent) ? parent : null);
        var ordered = new List<TraceSpan>(spans.Count);
        void Visit(SpanData span, int depth)
        {
            ordered.Add(new TraceSpan(span, (span.StartUnixNano - start) / 1e6, depth));
            foreach (var child in children[span.SpanId].OrderBy(child => child.StartUnixNano))
            {
                Visit(child, depth + 1);
            }
        }

        // A span whose parent never arrived (or came from outside, as a client's traceparent) is shown as a root.
        foreach (var root in children[null].OrderBy(span => span.StartUnixNano))
        {
            Visit(root, 0);
        }

        return new TraceDetail(Summarize(spans), ordered);
    }

    /// <summary>The newest records first, filtered by service, lowest severity, trace and text.</summary>
    public IReadOnlyList<LogData> GetLogs(string? service, int minimumSeverity, string? traceId, string? search, int limit) =>
        [.. _logs.Snapshot()
            .AsEnumerable()
            .Reverse()
            .Where(log => service is null || log.Service == service)
            .Where(log => log.SeverityNumber >= minimumSeverity)
            .Where(log => traceId is null || log.TraceId == traceId)
            .Where(log => string.IsNullOrWhiteSpace(search)
                          || log.Message.Contains(search.Trim(), StringComparison.OrdinalIgnoreCase)
                          || log.Category.Contains(search.Trim(), StringComparison.OrdinalIgnoreCase)
                          || log.Attributes.Any(a => a.Value.Contains(search.Trim(), StringComparison.OrdinalIgnoreCase)))
            .Take(limit)];

    /// <summary>Every service that sent something that is still kept.</summary>
    public IReadOnlyList<string> GetServices() =>
        [.. _spans.Snapshot().Select(s => s.Service).Concat(_logs.Snapshot().Select(l => l.Service)).Distinct().Order(StringComparer.Ordinal)];

    private static TraceSummary Summarize(List<SpanData> spans)
    {
        var ids = spans.Select(span => span.SpanId).ToHashSet();
        var root = spans.Where(span => span.ParentSpanId is null || !ids.Contains(span.ParentSpanId)).MinBy(span => span.StartUnixNano)
                   ?? spans.MinBy(span => span.StartUnixNano)!;
        var start = spans.Min(span => span.StartUnixNano);
        var end = spans.Max(span => span.EndUnixNano);
        return new TraceSummary(
            root.TraceId,
            root.Name,
            root.Service,
            [.. spans.Select(span => span.Service).Distinct().Order(StringComparer.Ordinal)],
            OtlpConvert.Time(start),
            end > start ? (end - start) / 1e6 : 0,
            spans.Count,
            spans.Any(span => span.IsError));
    }

    /// <summary>
    /// ASP.NET Core 10 names its request span after the operation ("Microsoft.AspNetCore.Hosting.HttpRequestIn");
    /// show "GET /api/v1/status" instead, from the span's own HTTP attributes, as .NET 11 will name it.
    /// </summary>
    private static string DisplayName(string name, IReadOnlyList<Field> attributes)
    {
        if (name.Contains(' ', StringComparison.Ordinal) || attributes.FirstOrDefault(a => a.Key == "http.request.method") is not { } method)
        {
            return name;
        }

        var path = attributes.FirstOrDefault(a => a.Key == "http.route") ?? attributes.FirstOrDefault(a => a.Key == "url.path");
        return path is null ? name : $"{method.Value} {path.Value}";
    }

    private static bool Matches(SpanData span, string search) =>
        span.TraceId.StartsWith(search, StringComparison.OrdinalIgnoreCase)
        || span.Name.Contains(search, StringComparison.OrdinalIgnoreCase)
        || span.Service.Contains(search, StringComparison.OrdinalIgnoreCase)
        || span.Attributes.Any(a => a.Value.Contains(search, StringComparison.OrdinalIgnoreCase));

    private static string KindName(Span.Types.SpanKind kind) => kind switch
    {
        Span.Types.SpanKind.Server => "server",
        Span.Types.SpanKind.Client => "client",
        Span.Types.SpanKind.Producer => "producer",
        Span.Types.SpanKind.Consumer => "consumer",
        _ => "internal",
    };
}
