using OpenTelemetry.Proto.Collector.Metrics.V1;
using OpenTelemetry.Proto.Metrics.V1;

namespace MenoTime.AppHost.Hosting.Dashboard.Telemetry;

/// <summary>One export of a series, cumulative since the series started (delta exports are added up on arrival).</summary>
public sealed record MetricPoint(DateTimeOffset Time, double Value, ulong Count, double Sum, ulong[] Buckets, double[] Bounds);

/// <summary>The service's HTTP traffic over the last minute, and its own "MenoTime" counters.</summary>
public sealed record ServiceMetrics(
    string Service, double RequestsPerSecond, double? P50Ms, double? P95Ms, ulong Errors, IReadOnlyList<CounterValue> Counters);

public sealed record CounterValue(string Name, string Unit, double Total, double PerSecond);

public sealed record MetricSummary(string Service, string Scope, string Name, string Unit, string Kind, double Value, ulong Count, int Series);

public sealed record MetricsOverview(IReadOnlyList<ServiceMetrics> Services, IReadOnlyList<MetricSummary> Metrics, int SeriesKept, long PointsDropped);

/// <summary>
/// The services' metrics as bounded time series: at most <see cref="MaxSeries"/> series (one per service
/// instance, metric and attribute set) of the last <see cref="PointsPerSeries"/> exports each.
/// </summary>
public sealed class MetricsStore
{
    public const int MaxSeries = 1_000;
    public const int PointsPerSeries = 90;
    public const string RequestDuration = "http.server.request.duration";
    public const string MenoTimeMeter = "MenoTime";
    public static readonly TimeSpan Window = TimeSpan.FromMinutes(1);

    private readonly Dictionary<string, Series> _series = [];
    private readonly Lock _lock = new();
    private long _dropped; // points of series beyond MaxSeries

    public void Add(ExportMetricsServiceRequest request)
    {
        foreach (var resourceMetrics in request.ResourceMetrics)
        {
            var sender = OtlpConvert.Sender(resourceMetrics.Resource);
            foreach (var scopeMetrics in resourceMetrics.ScopeMetrics)
            {
                foreach (var metric in scopeMetrics.Metrics)
                {
                    AddMetric(sender, scopeMetrics.Scope?.Name ?? "", metric);
                }
            }
        }
    }

    public MetricsOverview GetOverview()
    {
        List<Series> series;
        lock (_lock)
        {
            series = [.. _series.Values];
        }

        var services = series.GroupBy(s => s.Service).OrderBy(g => g.Key, StringComparer.Ordinal).Select(ForService).ToList();
        var metrics = series
            .GroupBy(s => (s.Service, s.Scope, s.Name))
            .Select(g =>
            {
                var latest = g.Select(s => s.Points.Last()).OfType<MetricPoint>().ToList();
                var first = g.First();
                return new MetricSummary(g.Key.Service, g.Key.Scope, g.Key.Name, first.Unit, first.Kind, latest.Sum(p => p.Value), (ulong)latest.Sum(p => (double)p.Count), g.Count());
            })
            .OrderBy(m => m.Service, StringComparer.Ordinal).ThenBy(m => m.Name, StringComparer.Ordinal)
            .ToList();
        return new MetricsOverview(services, metrics, series.Count, Interlocked.Read(ref _dropped));
    }

    private static ServiceMetrics ForService(IGrouping<string, Series> service)
    {
        var requests = service.Where(s => s.Name == RequestDuration).Select(s => (Series: s, Change: s.ChangeOverWindow())).Where(r => r.Change is not null).ToList();
        var seconds = requests.Count == 0 ? 0 : requests.Max(r => r.Change!.Seconds);
        var count = requests.Sum(r => (double)r.Change!.Count);
        var buckets = MergeBuckets(requests.Select(r => r.Change!));
        var toMs = requests.FirstOrDefault().Series?.Unit == "ms" ? 1 : 1000;
        var errors = requests.Where(r => r.Series.IsError).Aggregate(0UL, (total, r) => total + r.Change!.Count);
        var counters = service
            .Where(s => s.Scope == MenoTimeMeter && s.Kind == "counter")
            .GroupBy(s => s.Name)
            .Select(g =>
            {
                var changes = g.Select(s => s.ChangeOverWindow()).OfType<Change>().ToList();
                var window = changes.Count == 0 ? 0 : changes.Max(c => c.Seconds);
                return new CounterValue(g.Key, g.First().Unit, g.Sum(s => s.Points.Last()?.Value ?? 0), window > 0 ? changes.Sum(c => c.Value) / window : 0);
            })
            .OrderBy(c => c.Name, StringComparer.Ordinal)
            .ToList();
        return new ServiceMetrics(
            service.Key,
            seconds > 0 ? count / seconds : 0,
            buckets is null ? null : Quantile(buckets.Value, 0.5) * toMs,
            buckets is null ? null : Quantile(buckets.Value, 0.95) * toMs,
            errors,
            counters);
    }

    private void AddMetric(Sender sender, string scope, Metric metric)
    {
        switch (metric.DataCase)
        {
            case Metric.DataOneofCase.Gauge:
                foreach (var point in metric.Gauge.DataPoints)
                {
                    Record(sender, scope, metric, "gauge", OtlpConvert.Fields(point.Attributes), delta: false, Number(point));
                }

                break;
            case Metric.DataOneofCase.Sum:
                var sumIsDelta = metric.Sum.AggregationTemporality == AggregationTemporality.Delta;
                var sumKind = metric.Sum.IsMonotonic ? "counter" : "updowncounter";
                foreach (var point in metric.Sum.DataPoints)
                {
                    Record(sender, scope, metric, sumKind, OtlpConvert.Fields(point.Attributes), sumIsDelta, Number(point));
                }

                break;
            case Metric.DataOneofCase.Histogram:
                var histogramIsDelta = metric.Histogram.AggregationTemporality == AggregationTemporality.Delta;
                foreach (var point in metric.Histogram.DataPoints)
                {
                    var value = new MetricPoint(
                        OtlpConvert.Time(point.TimeUnixNano), 0, point.Count, point.Sum, [.. point.BucketCounts], [.. point.ExplicitBounds]);
                    Record(sender, scope, metric, "histogram", OtlpConvert.Fields(point.Attributes), histogramIsDelta, value);
                }

                break;
            default:
                break; // Exponential histograms and summaries: not shown (the .NET SDK sends neither by default).
        }
    }

    private static MetricPoint Number(NumberDataPoint point) =>
        new(OtlpConvert.Time(point.TimeUnixNano), point.ValueCase == NumberDataPoint.ValueOneofCase.AsInt ? point.AsInt : point.AsDouble, 0, 0, [], []);

    private void Record(Sender sender, string scope, Metric metric, string kind, IReadOnlyList<Field> attributes, bool delta, MetricPoint point)
    {
        var key = $"{sender.Instance}\n{scope}\n{metric.Name}\n{string.Join('\n', attributes.OrderBy(a => a.Key, StringComparer.Ordinal).Select(a => $"{a.Key}={a.Value}"))}";
        Series? series;
        lock (_lock)
        {
            if (!_series.TryGetValue(key, out series))
            {
                if (_series.Count >= MaxSeries)
                {
                    Interlocked.Increment(ref _dropped);
                    return;
                }

                series = new Series(sender.Service, scope, metric.Name, metric.Unit, kind, IsErrorRequest(attributes));
                _series[key] = series;
            }
        }

        series.Add(point, delta);
    }

    /// <summary>A failed request: a 5xx status, or an error.type (set for exceptions and aborted requests).</summary>
    private static bool IsErrorRequest(IReadOnlyList<Field> attributes) =>
        attributes.Any(a => a.Key == "error.type" || (a.Key == "http.response.status_code" && a.Value.Length == 3 && a.Value[0] >= '5'));

    private static (ulong[] Counts, double[] Bounds)? MergeBuckets(IEnumerable<Change> changes)
    {
        (ulong[] Counts, double[] Bounds)? merged = null;
        foreach (var change in changes.Where(c => c.Buckets.Length > 0 && c.Count > 0))
        {
            if (merged is null)
            {
                merged = ([.. change.Buckets], change.Bounds);
            }
            else if (merged.Value.Bounds.SequenceEqual(change.Bounds))
            {
                for (var i = 0; i < change.Buckets.Length; i++)
                {
                    merged.Value.Counts[i] += change.Buckets[i];
                }
            }
        }

        return merged;
    }

    /// <summary>The q-quantile of a histogram, interpolating linearly inside the bucket it falls in.</summary>
    private static double? Quantile((ulong[] Counts, double[] Bounds) histogram, double q)
    {
        var (counts, bounds) = histogram;
        var total = counts.Aggregate(0UL, (sum, c) => sum + c);
        if (total == 0 || bounds.Length == 0)
        {
            return null;
        }

        var rank = q * total;
        double seen = 0;
        for (var i = 0; i < counts.Length; i++)
        {
            if (seen + counts[i] >= rank && counts[i] > 0)
            {
                var lower = i == 0 ? 0 : bounds[i - 1];
                var upper = i < bounds.Length ? bounds[i] : bounds[^1];
                return lower + ((upper - lower) * (rank - seen) / counts[i]);
            }

            seen += counts[i];
        }

        return bounds[^1];
    }

    /// <summary>How a series changed over the window: its growth in value, count and buckets, over how many seconds.</summary>
    private sealed record Change(double Seconds, double Value, ulong Count, ulong[] Buckets, double[] Bounds);

    private sealed class Series(string service, string scope, string name, string unit, string kind, bool isError)
    {
        public string Service { get; } = service;

        public string Scope { get; } = scope;

        public string Name { get; } = name;

        public string Unit { get; } = unit;

        public string Kind { get; } = kind;

        public bool IsError { get; } = isError;

        public RingBuffer<MetricPoint> Points { get; } = new(PointsPerSeries);

        public void Add(MetricPoint point, bool delta)
        {
            var previous = Points.Last();
            if (previous is not null && previous.Bounds.AsSpan().SequenceEqual(point.Bounds))
            {
                point = point with { Bounds = previous.Bounds }; // one copy of the bucket bounds per series
            }

            if (delta && previous is not null)
            {
                // Keep every series cumulative, so that one calculation serves both temporalities.
                point = point with
                {
                    Value = previous.Value + point.Value,
                    Count = previous.Count + point.Count,
                    Sum = previous.Sum + point.Sum,
                    Buckets = previous.Buckets.Length == point.Buckets.Length ? [.. previous.Buckets.Zip(point.Buckets, (a, b) => a + b)] : point.Buckets,
                };
            }

            Points.Add(point);
        }

        /// <summary>Growth over the last minute; a drop means the process restarted and counted from zero again.</summary>
        public Change? ChangeOverWindow()
        {
            var points = Points.Snapshot();
            if (points.Count < 2)
            {
                return null;
            }

            var since = points[^1].Time - Window;
            var inWindow = points.SkipWhile(p => p.Time < since).ToList();
            if (inWindow.Count < 2)
            {
                inWindow = points[^2..];
            }

            double value = 0;
            ulong count = 0;
            var buckets = new ulong[inWindow[^1].Buckets.Length];
            for (var i = 1; i < inWindow.Count; i++)
            {
                var (before, after) = (inWindow[i - 1], inWindow[i]);
                var reset = after.Count < before.Count || after.Value < before.Value;
                value += reset ? after.Value : after.Value - before.Value;
                count += reset ? after.Count : after.Count - before.Count;
                for (var b = 0; b < buckets.Length && b < after.Buckets.Length; b++)
                {
                    var previous = b < before.Buckets.Length && !reset ? before.Buckets[b] : 0;
                    buckets[b] += after.Buckets[b] >= previous ? after.Buckets[b] - previous : after.Buckets[b];
                }
            }

            return new Change((inWindow[^1].Time - inWindow[0].Time).TotalSeconds, value, count, buckets, inWindow[^1].Bounds);
        }
    }
}
