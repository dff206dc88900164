using Microsoft.Extensions.Options;
using Npgsql;

namespace MenoTime.Worker.Planning;

/// <summary>
/// Runs <see cref="ReminderPlanner"/> every <see cref="PlanningOptions.PollInterval"/> in every replica, but only the one
/// holding the planner's PostgreSQL advisory lock plans: the others find it taken and wait for the next round. The lock
/// belongs to the database session, so a replica that dies or loses its connection frees it at once; the lock is held
/// for one round at a time, so the replicas take turns and any one of them carries on alone.
/// </summary>
public sealed partial class PlanningService(
    NpgsqlDataSource dataSource, ReminderPlanner planner, IOptions<PlanningOptions> options, TimeProvider clock, ILogger<PlanningService> logger)
    : BackgroundService
{
    /// <summary>"MTPLANNR": distinct from the schema migrator's lock.</summary>
    public const long AdvisoryLockKey = 0x4D54504C414E4E52;

    private readonly PlanningOptions _options = options.Value;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var failures = 0;
        while (!stoppingToken.IsCancellationRequested)
        {
            var pause = _options.PollInterval;
            try
            {
                await RunRoundAsync(stoppingToken);
                failures = 0;
            }
            catch (Exception e) when (e is NpgsqlException or TimeoutException && !stoppingToken.IsCancellationRequested)
            {
                // The database is away: back off (up to 5 minutes); every step of a round can simply be done again.
                failures++;
                pause = TimeSpan.FromMilliseconds(Math.Min(300_000, _options.PollInterval.TotalMilliseconds * Math.Pow(2, Math.Min(failures, 10))));
                LogDatabaseUnavailable(logger, e);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }

            try
            {
                await Task.Delay(pause, clock, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }
    }

    /// <returns>The round's result, or null when another replica holds the lock.</returns>
    public async Task<PlanningRound?> RunRoundAsync(CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using (var tryLock = new NpgsqlCommand($"SELECT pg_try_advisory_lock({AdvisoryLockKey})", connection))
        {
            if (!(bool)(await tryLock.ExecuteScalarAsync(cancellationToken))!)
            {
                return null;
            }
        }

        try
        {
            return await planner.RunAsync(connection, cancellationToken);
        }
        finally
        {
            try
            {
                await using var unlock = new NpgsqlCommand($"SELECT pg_advisory_unlock({AdvisoryLockKey})", connection);
                await unlock.ExecuteNonQueryAsync(CancellationToken.None);
            }
            catch (Exception e) when (e is NpgsqlException or TimeoutException or InvalidOperationException)
            {
                // The connection broke: the session, and with it the lock, is gone already. Do not pool it.
                NpgsqlConnection.ClearPool(connection);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Database unavailable for planning; retrying")]
    private static partial void LogDatabaseUnavailable(ILogger logger, Exception exception);
}
