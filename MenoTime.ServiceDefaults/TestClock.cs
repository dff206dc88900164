using System.Globalization;

namespace MenoTime.ServiceDefaults;

/// <summary>
/// Test only: the system clock plus an offset read from a file, so that a test can move the services' "now"
/// forward without waiting (a reminder due tomorrow is sent when the test says it is tomorrow). The testing
/// builder gives every service of a test graph the same file (<c>Testing__ClockOffsetFile</c>); services refuse
/// the setting outside Development. Only <see cref="GetUtcNow"/> moves: timers and elapsed-time measurements
/// (leases, health) stay on the real monotonic clock.
/// </summary>
public sealed class TestClock(string offsetFile) : TimeProvider
{
    public const string ConfigurationKey = "Testing:ClockOffsetFile";

    private static readonly TimeSpan RereadAfter = TimeSpan.FromMilliseconds(50);
    private readonly Lock _lock = new();
    private TimeSpan _offset;
    private long _readAt;

    public override DateTimeOffset GetUtcNow() => base.GetUtcNow() + Offset;

    /// <summary>The offset in the file: a TimeSpan in invariant "c" format (e.g. <c>1.02:00:00</c>); zero when absent.</summary>
    public TimeSpan Offset
    {
        get
        {
            lock (_lock)
            {
                if (_readAt == 0 || GetElapsedTime(_readAt) > RereadAfter)
                {
                    _offset = Read(offsetFile);
                    _readAt = GetTimestamp();
                }

                return _offset;
            }
        }
    }

    public static TimeSpan Read(string offsetFile)
    {
        try
        {
            return TimeSpan.ParseExact(File.ReadAllText(offsetFile).Trim(), "c", CultureInfo.InvariantCulture);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            return TimeSpan.Zero;
        }
    }

    /// <summary>Writes the offset so that readers never see a half-written file.</summary>
    public static void Write(string offsetFile, TimeSpan offset)
    {
        var temporary = $"{offsetFile}.{Environment.ProcessId}.tmp";
        File.WriteAllText(temporary, offset.ToString("c", CultureInfo.InvariantCulture));
        File.Move(temporary, offsetFile, overwrite: true);
    }
}
