namespace MenoTime.AppHost.Hosting;

public sealed record LogLine(DateTimeOffset Timestamp, string Source, string Text, bool IsError);

/// <summary>
/// The captured output of one resource (all its replicas): a bounded ring buffer that the console, the
/// failure messages and the dashboard read.
/// </summary>
public sealed class ResourceLog(string resourceName, int capacity = 5000)
{
    private readonly Queue<LogLine> _lines = new();
    private readonly Lock _lock = new();

    public string ResourceName { get; } = resourceName;

    /// <summary>Raised for every line, on the thread that read it.</summary>
    public event Action<LogLine>? LineWritten;

    public void Write(string source, string text, bool isError = false)
    {
        var line = new LogLine(DateTimeOffset.UtcNow, source, text, isError);
        lock (_lock)
        {
            if (_lines.Count == capacity)
            {
                _lines.Dequeue();
            }

            _lines.Enqueue(line);
        }

        LineWritten?.Invoke(line);
    }

    public IReadOnlyList<LogLine> Snapshot()
    {
        lock (_lock)
        {
            return [.. _lines];
        }
    }

    /// <summary>The last lines as text, to explain a failure.</summary>
    public string Tail(int count = 20) =>
        string.Join('\n', Snapshot().TakeLast(count).Select(line => $"  {line.Source} | {line.Text}"));
}
