using MenoTime.Data.Notifications;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using Npgsql;

namespace MenoTime.Worker.Delivery;

/// <summary>
/// What delivery and the backlog monitor last saw; read by /health and the lag gauges. A "round" is any
/// delivery statement that reached the database: a claim, or a batch of sends recorded.
/// </summary>
public sealed class DeliveryState
{
    private long _lastRound;
    private long _lastBacklogCheck;

    /// <summary>How long the oldest due, unsent row has waited (zero when none), at the last check.</summary>
    public TimeSpan OldestDueAge { get; private set; }

    public long Waiting { get; private set; }

    public long LastRound => Interlocked.Read(ref _lastRound);

    public long LastBacklogCheck => Interlocked.Read(ref _lastBacklogCheck);

    public void RecordRound(long timestamp) => Interlocked.Exchange(ref _lastRound, timestamp);

    public void RecordBacklog(TimeSpan oldestDueAge, long waiting, long timestamp)
    {
        OldestDueAge = oldestDueAge;
        Waiting = waiting;
        Interlocked.Exchange(ref _lastBacklogCheck, timestamp);
    }
}

/// <summary>Measures every few seconds how far delivery is behind the due times (for /health and the lag gauge).</summary>
public sealed partial class BacklogMonitor(
    NotificationDispatch dispatch, DeliveryState state, TimeProvider clock, ILogger<BacklogMonitor> logger) : BackgroundService
{
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(5);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        MenoTime.ServiceDefaults.MenoTimeTelemetry.Meter.CreateObservableGauge(
            "menotime.notifications.backlog.age", () => state.OldestDueAge.TotalSeconds, "s",
            "How long the oldest due, unsent reminder has waited");
        MenoTime.ServiceDefaults.MenoTimeTelemetry.Meter.CreateObservableGauge(
            "menotime.notifications.backlog.count", () => state.Waiting, "{notification}", "Due reminders not sent yet");
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                var (oldest, waiting) = await dispatch.GetBacklogAsync(stoppingToken);
                var age = oldest is { } due ? clock.GetUtcNow() - due : TimeSpan.Zero;
                state.RecordBacklog(age < TimeSpan.Zero ? TimeSpan.Zero : age, waiting, clock.GetTimestamp());
            }
            catch (Exception e) when (e is NpgsqlException or TimeoutException && !stoppingToken.IsCancellationRequested)
            {
                LogFailed(logger, e);
            }

            try
            {
                await Task.Delay(Interval, clock, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Backlog could not be measured")]
    private static partial void LogFailed(ILogger logger, Exception exception);
}

/// <summary>
/// Unhealthy when delivery cannot reach the database (no claim or recorded send lately) or falls behind (a due row
/// waited longer than <see cref="DeliveryOptions.MaxLag"/>). Not part of /alive: restarting a worker fixes
/// neither an outage nor a backlog, so ECS should restart on /alive and alarm on this.
/// </summary>
public sealed class DeliveryHealthCheck(DeliveryState state, IOptions<DeliveryOptions> options, TimeProvider clock) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var limit = options.Value;
        var stale = TimeSpan.FromSeconds(Math.Max(30, limit.PollInterval.TotalSeconds * 3));
        if (state.LastRound == 0 || clock.GetElapsedTime(state.LastRound) > stale)
        {
            return Task.FromResult(HealthCheckResult.Unhealthy(
                state.LastRound == 0 ? "no delivery round completed yet" : $"no delivery progress for {clock.GetElapsedTime(state.LastRound).TotalSeconds:F0} s: database (or SMTP server) unreachable?"));
        }

        if (state.LastBacklogCheck != 0 && state.OldestDueAge > limit.MaxLag)
        {
            return Task.FromResult(HealthCheckResult.Unhealthy(
                $"behind: {state.Waiting} due reminders, the oldest waiting {state.OldestDueAge.TotalSeconds:F0} s (allowed {limit.MaxLag.TotalSeconds:F0} s)"));
        }

        return Task.FromResult(HealthCheckResult.Healthy($"{state.Waiting} due, oldest waiting {state.OldestDueAge.TotalSeconds:F0} s"));
    }
}
