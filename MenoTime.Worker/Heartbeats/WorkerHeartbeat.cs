using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using Npgsql;

namespace MenoTime.Worker.Heartbeats;

public sealed class WorkerHeartbeatOptions
{
    public const string Section = "Worker:Heartbeat";

    /// <summary>How often the worker records that it is alive.</summary>
    public TimeSpan Interval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Unique per process: the ECS task's host name, or this machine's, plus the process id.</summary>
    public string InstanceId { get; set; } = $"{Environment.MachineName}-{Environment.ProcessId}";
}

public static class WorkerHeartbeatExtensions
{
    public static IHostApplicationBuilder AddWorkerHeartbeat(this IHostApplicationBuilder builder)
    {
        builder.Services.Configure<WorkerHeartbeatOptions>(builder.Configuration.GetSection(WorkerHeartbeatOptions.Section));
        builder.Services.AddSingleton<WorkerHeartbeat>();
        builder.Services.AddHostedService(services => services.GetRequiredService<WorkerHeartbeat>());
        builder.Services.AddHealthChecks().AddCheck<WorkerHeartbeatHealthCheck>("heartbeat");
        return builder;
    }
}

/// <summary>
/// Writes this instance's row in <c>worker_heartbeats</c> every interval, and removes it on a clean stop.
/// A worker that cannot write its heartbeat cannot claim reminders either, so health follows it.
/// </summary>
public sealed partial class WorkerHeartbeat(
    NpgsqlDataSource dataSource,
    IOptions<WorkerHeartbeatOptions> options,
    TimeProvider clock,
    IHostEnvironment environment,
    ILogger<WorkerHeartbeat> logger) : BackgroundService
{
    private readonly WorkerHeartbeatOptions _options = options.Value;
    private readonly DateTimeOffset _startedAt = clock.GetUtcNow();
    private long _lastBeatTicks;
    private long _lastBeatTimestamp;

    public string InstanceId => _options.InstanceId;

    public TimeSpan Interval => _options.Interval;

    /// <summary>When the last heartbeat reached the database, or null before the first one.</summary>
    public DateTimeOffset? LastBeat
    {
        get
        {
            var ticks = Interlocked.Read(ref _lastBeatTicks);
            return ticks == 0 ? null : new DateTimeOffset(ticks, TimeSpan.Zero);
        }
    }

    /// <summary>How long ago the last heartbeat reached the database (monotonic: a moved test clock does not count).</summary>
    public TimeSpan? SinceLastBeat
    {
        get
        {
            var timestamp = Interlocked.Read(ref _lastBeatTimestamp);
            return timestamp == 0 ? null : clock.GetElapsedTime(timestamp);
        }
    }

    /// <summary>The first heartbeat is written before the worker starts serving /health.</summary>
    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        await TryBeatAsync(cancellationToken);
        await base.StartAsync(cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(_options.Interval, clock, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                break;
            }

            await TryBeatAsync(stoppingToken);
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        try
        {
            await using var command = dataSource.CreateCommand("DELETE FROM worker_heartbeats WHERE instance_id = $1");
            command.Parameters.Add(new() { Value = _options.InstanceId });
            await command.ExecuteNonQueryAsync(cancellationToken);
        }
        catch (Exception e) when (e is NpgsqlException or TimeoutException or OperationCanceledException)
        {
            // The row then ages out of the status view on its own; stopping must not fail because of it.
            LogDeregisterFailed(logger, e);
        }
    }

    private async Task TryBeatAsync(CancellationToken cancellationToken)
    {
        try
        {
            await BeatAsync(cancellationToken);
            Interlocked.Exchange(ref _lastBeatTicks, clock.GetUtcNow().UtcTicks);
            Interlocked.Exchange(ref _lastBeatTimestamp, clock.GetTimestamp());
        }
        catch (Exception e) when (e is NpgsqlException or TimeoutException)
        {
            LogBeatFailed(logger, e);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Stopping.
        }
    }

    private async Task BeatAsync(CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("""
            INSERT INTO worker_heartbeats (instance_id, service_name, started_at, last_seen_at)
            VALUES ($1, $2, $3, now())
            ON CONFLICT (instance_id) DO UPDATE SET last_seen_at = excluded.last_seen_at
            """);
        command.Parameters.Add(new() { Value = _options.InstanceId });
        command.Parameters.Add(new() { Value = environment.ApplicationName });
        command.Parameters.Add(new() { Value = _startedAt });
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Heartbeat could not be written; health turns unhealthy if this persists")]
    private static partial void LogBeatFailed(ILogger logger, Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Heartbeat row could not be removed at shutdown")]
    private static partial void LogDeregisterFailed(ILogger logger, Exception exception);
}

/// <summary>Unhealthy when no heartbeat reached the database within three intervals.</summary>
public sealed class WorkerHeartbeatHealthCheck(WorkerHeartbeat heartbeat) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var allowed = heartbeat.Interval * 3;
        if (heartbeat.SinceLastBeat is not { } age)
        {
            return Task.FromResult(HealthCheckResult.Unhealthy("no heartbeat written yet"));
        }

        return Task.FromResult(age <= allowed
            ? HealthCheckResult.Healthy($"last heartbeat {age.TotalSeconds:F0} s ago")
            : HealthCheckResult.Unhealthy($"no heartbeat for {age.TotalSeconds:F0} s (allowed {allowed.TotalSeconds:F0} s)"));
    }
}
