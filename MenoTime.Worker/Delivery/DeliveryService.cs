using System.Diagnostics;
using MenoTime.Data.Notifications;
using MenoTime.ServiceDefaults;
using Microsoft.Extensions.Options;
using Npgsql;

namespace MenoTime.Worker.Delivery;

/// <summary>
/// Delivers the outbox: claim a batch of due rows (FOR UPDATE SKIP LOCKED, with a lease), send them over SMTP
/// on <see cref="DeliveryOptions.Concurrency"/> lanes, record each outcome the moment it is known. Any number of
/// replicas run side by side: a row is leased to one of them at a time.
///
/// Lease expired mid-send (the worker was killed or froze): the row is sent again — at least once, by design.
/// A reminder that silently never arrives is worse than a rare second copy. The second copy can only happen for
/// a message whose final SMTP reply the dead worker had received (or was about to) but whose "sent" it had not
/// yet committed: at most <see cref="DeliveryOptions.Concurrency"/> messages per dead worker, the window being
/// the server's handling of the end of DATA plus one UPDATE round trip. A live worker never outlasts its lease:
/// it starts no send later than Lease − SMTP timeout after its claim and hands unstarted rows back.
/// </summary>
public sealed partial class DeliveryService(
    NotificationDispatch dispatch,
    ReminderEmail email,
    IOptions<DeliveryOptions> deliveryOptions,
    IOptions<EmailOptions> emailOptions,
    DeliveryState state,
    TimeProvider clock,
    ILogger<DeliveryService> logger) : BackgroundService
{
    private readonly DeliveryOptions _options = deliveryOptions.Value;
    private readonly SmtpOptions _smtp = emailOptions.Value.Smtp;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var senders = Enumerable.Range(0, Math.Max(1, _options.Concurrency)).Select(_ => new SmtpSender(_smtp)).ToList();
        var failures = 0;
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                TimeSpan pause;
                try
                {
                    var recovered = await dispatch.RecoverExpiredLeasesAsync(_options.InstanceId, _options.MaxAttempts, stoppingToken);
                    if (recovered > 0)
                    {
                        DeliveryMetrics.LeasesRecovered.Add(recovered);
                        LogRecovered(logger, recovered);
                    }

                    var sent = await DeliverBatchAsync(senders, stoppingToken);
                    state.RecordRound(clock.GetTimestamp());
                    failures = 0;
                    pause = sent ? TimeSpan.Zero : _options.PollInterval;
                }
                catch (Exception e) when (e is NpgsqlException or TimeoutException && !stoppingToken.IsCancellationRequested)
                {
                    // The database is away: back off (up to 30 s) and try again; /health says so meanwhile.
                    failures++;
                    pause = TimeSpan.FromMilliseconds(Math.Min(30_000, _options.PollInterval.TotalMilliseconds * Math.Pow(2, Math.Min(failures, 10))));
                    LogDatabaseUnavailable(logger, e);
                }

                if (pause > TimeSpan.Zero)
                {
                    await Task.Delay(pause, clock, stoppingToken);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping.
        }
        finally
        {
            senders.ForEach(s => s.Dispose());
        }
    }

    /// <returns>Whether anything was claimed (then look again at once).</returns>
    private async Task<bool> DeliverBatchAsync(List<SmtpSender> senders, CancellationToken stoppingToken)
    {
        var claimedAt = clock.GetTimestamp();
        var claim = await dispatch.ClaimAsync(_options.InstanceId, _options.BatchSize, _options.Lease, stoppingToken);
        if (claim.Suppressed > 0)
        {
            DeliveryMetrics.Suppressed.Add(claim.Suppressed);
        }

        var rows = claim.ToSend;
        if (rows.Count == 0)
        {
            return claim.Suppressed > 0;
        }

        // The last moment a send may start and still finish (or time out) within the lease.
        var lastStart = _options.Lease - _smtp.Timeout - TimeSpan.FromSeconds(1);
        var next = -1;
        var lanes = senders.Select(async sender =>
        {
            while (true)
            {
                if (stoppingToken.IsCancellationRequested || clock.GetElapsedTime(claimedAt) > lastStart)
                {
                    return;
                }

                var index = Interlocked.Increment(ref next);
                if (index >= rows.Count)
                {
                    return;
                }

                // In-flight sends finish even when stopping: cutting one off would leave its outcome unknown.
                await SendOneAsync(sender, rows[index], CancellationToken.None);
            }
        });
        await Task.WhenAll(lanes);

        var untouched = rows.Skip(Math.Min(next + 1, rows.Count)).Select(r => r.Id).ToList();
        await dispatch.ReleaseAsync(untouched, _options.InstanceId, CancellationToken.None);
        return true;
    }

    private async Task SendOneAsync(SmtpSender sender, ClaimedNotification row, CancellationToken cancellationToken)
    {
        var kind = new KeyValuePair<string, object?>(DeliveryMetrics.KindTag, row.Kind.ToString().ToLowerInvariant());
        using var activity = MenoTimeTelemetry.ActivitySource.StartActivity("send reminder");
        activity?.SetTag("menotime.notification.id", row.Id.ToString());
        activity?.SetTag(DeliveryMetrics.KindTag, kind.Value);
        activity?.SetTag("menotime.notification.attempt", row.Attempt);

        var started = clock.GetTimestamp();
        SendResult result;
        try
        {
            using var message = email.Create(row);
            result = await sender.SendAsync(message, cancellationToken);
        }
        catch (FormatException e)
        {
            // The stored address does not make a message (it was validated at enqueue): no attempt can succeed.
            result = new SendResult(SendOutcome.Permanent, $"cannot compose the message: {e.GetType().Name}");
        }

        DeliveryMetrics.SendDuration.Record(clock.GetElapsedTime(started).TotalSeconds, kind);
        switch (result.Outcome)
        {
            case SendOutcome.Accepted:
                if (!await dispatch.MarkSentAsync(row.Id, _options.InstanceId, cancellationToken))
                {
                    DeliveryMetrics.PossibleDuplicates.Add(1, kind);
                    LogLeaseLost(logger, row.Id);
                }

                DeliveryMetrics.Sent.Add(1, kind);
                DeliveryMetrics.Lag.Record(Math.Max(0, (clock.GetUtcNow() - row.DueAt).TotalSeconds), kind);
                break;

            case SendOutcome.Transient when row.Attempt < _options.MaxAttempts:
                var retryAt = clock.GetUtcNow() + Backoff(row.Attempt);
                await dispatch.MarkFailedAsync(row.Id, _options.InstanceId, result.Error!, retryAt, cancellationToken);
                DeliveryMetrics.Retried.Add(1, kind);
                activity?.SetStatus(ActivityStatusCode.Error, "retry scheduled");
                LogRetry(logger, row.Id, row.Attempt, retryAt);
                break;

            default:
                await dispatch.MarkFailedAsync(row.Id, _options.InstanceId, result.Error!, retryAt: null, cancellationToken);
                DeliveryMetrics.Dead.Add(1, kind);
                activity?.SetStatus(ActivityStatusCode.Error, "dead-lettered");
                LogDead(logger, row.Id, row.Attempt, result.Outcome);
                break;
        }
    }

    /// <summary>Exponential backoff with "equal jitter": half the delay fixed, half random, so retries spread out.</summary>
    internal TimeSpan Backoff(int attempt)
    {
        var exponential = _options.RetryBaseDelay.TotalMilliseconds * Math.Pow(2, Math.Min(attempt - 1, 30));
        var capped = Math.Min(exponential, _options.RetryMaxDelay.TotalMilliseconds);
        return TimeSpan.FromMilliseconds((capped / 2) + (Random.Shared.NextDouble() * capped / 2));
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Took back {Count} notifications whose worker's lease expired mid-send; they are sent again")]
    private static partial void LogRecovered(ILogger logger, int count);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Database unavailable for delivery; retrying")]
    private static partial void LogDatabaseUnavailable(ILogger logger, Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Notification {NotificationId} was sent after another worker had claimed it again: a duplicate is possible")]
    private static partial void LogLeaseLost(ILogger logger, Guid notificationId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Notification {NotificationId} attempt {Attempt} failed; retry at {RetryAt:O}")]
    private static partial void LogRetry(ILogger logger, Guid notificationId, int attempt, DateTimeOffset retryAt);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Notification {NotificationId} dead-lettered after attempt {Attempt} ({Outcome})")]
    private static partial void LogDead(ILogger logger, Guid notificationId, int attempt, SendOutcome outcome);
}
