using System.Collections.Concurrent;
using System.Diagnostics;
using System.Threading.Channels;
using MenoTime.Data.Notifications;
using MenoTime.ServiceDefaults;
using Microsoft.Extensions.Options;
using Npgsql;

namespace MenoTime.Worker.Delivery;

/// <summary>
/// Delivers the outbox as a pipeline: a claimer takes batches of due rows (FOR UPDATE SKIP LOCKED, with a lease)
/// and keeps up to one batch ready ahead of the senders; <see cref="DeliveryOptions.Concurrency"/> SMTP lanes send
/// them; each outcome is recorded as soon as it is known (accepted sends in group commits, see SentRecorder).
/// Any number of replicas run side by side: a row is leased to one of them at a time.
///
/// Lease expired mid-send (the worker was killed or froze): the row is sent again — at least once, by design,
/// because a reminder that silently never arrives is worse than a second copy. The duplicate window: from the moment
/// the dead worker handed the end of DATA to its socket until "sent" was committed (SentRecorder) — the server's
/// handling and reply, plus at most two UPDATE round trips; at most two messages per lane
/// (2 × <see cref="DeliveryOptions.Concurrency"/>) per dead worker. Nagle's algorithm in System.Net.Mail may hold
/// that last segment until the server acknowledges the previous one (40 ms against a delayed-ACK server), and the
/// kernel of a killed process still sends it, so in practice the messages in flight at a crash are often sent twice.
/// A live worker never outlasts its lease: it starts no send later than Lease − SMTP timeout after its claim and
/// hands unstarted rows back.
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

    /// <summary>Claimed rows no lane will start (stopping, or too close to the lease's end): handed back.</summary>
    private readonly ConcurrentQueue<Guid> _unstarted = new();

    /// <summary>The last moment after its claim a send may start and still finish (or time out) within the lease.</summary>
    private TimeSpan LastStart => _options.Lease - _smtp.Timeout - TimeSpan.FromSeconds(1);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var ready = Channel.CreateBounded<(ClaimedNotification Row, long ClaimedAt)>(
            new BoundedChannelOptions(_options.BatchSize) { SingleWriter = true });
        var recorder = new SentRecorder(dispatch, _options.InstanceId, state, clock, logger);
        var recording = recorder.RunAsync();
        var senders = Enumerable.Range(0, _options.Concurrency).Select(_ => new SmtpSender(_smtp)).ToList();
        var lanes = senders.Select(sender => Task.Run(() => RunLaneAsync(sender, ready.Reader, recorder, stoppingToken), CancellationToken.None)).ToList();
        try
        {
            await ClaimLoopAsync(ready.Writer, stoppingToken);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping.
        }
        finally
        {
            // Sends in flight finish (cutting one off would leave its outcome unknown); rows not started go back.
            ready.Writer.TryComplete();
            await Task.WhenAll(lanes);
            senders.ForEach(s => s.Dispose());
            recorder.Complete();
            await recording;
            await ReleaseUnstartedAsync();
        }
    }

    private async Task ClaimLoopAsync(ChannelWriter<(ClaimedNotification, long)> ready, CancellationToken stoppingToken)
    {
        var failures = 0;
        var recoveredAt = 0L;
        while (!stoppingToken.IsCancellationRequested)
        {
            TimeSpan pause;
            try
            {
                if (recoveredAt == 0 || clock.GetElapsedTime(recoveredAt) > TimeSpan.FromSeconds(5))
                {
                    await RecoverExpiredLeasesAsync(stoppingToken);
                    recoveredAt = clock.GetTimestamp();
                }

                await ReleaseUnstartedAsync();
                var claimedAt = clock.GetTimestamp();
                var claim = await dispatch.ClaimAsync(_options.InstanceId, _options.BatchSize, _options.Lease, stoppingToken);
                state.RecordRound(clock.GetTimestamp());
                failures = 0;
                if (claim.Suppressed > 0)
                {
                    DeliveryMetrics.Suppressed.Add(claim.Suppressed);
                }

                for (var i = 0; i < claim.ToSend.Count; i++)
                {
                    if (!ready.TryWrite((claim.ToSend[i], claimedAt)))
                    {
                        try
                        {
                            await ready.WriteAsync((claim.ToSend[i], claimedAt), stoppingToken);
                        }
                        catch (OperationCanceledException)
                        {
                            foreach (var row in claim.ToSend.Skip(i))
                            {
                                _unstarted.Enqueue(row.Id);
                            }

                            throw;
                        }
                    }
                }

                // A full batch means more may be due: claim again as soon as the lanes have room.
                pause = claim.ToSend.Count + claim.Suppressed >= _options.BatchSize ? TimeSpan.Zero : _options.PollInterval;
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

    private async Task RunLaneAsync(
        SmtpSender sender, ChannelReader<(ClaimedNotification Row, long ClaimedAt)> ready, SentRecorder recorder, CancellationToken stoppingToken)
    {
        // The "sent" marks of this lane's last two sends. The older must be committed before the lane starts another
        // send, so recording overlaps the next SMTP exchange but never more than two sends go unrecorded.
        var olderMark = Task.CompletedTask;
        var lastMark = Task.CompletedTask;
        await foreach (var (row, claimedAt) in ready.ReadAllAsync(CancellationToken.None))
        {
            await olderMark;
            if (stoppingToken.IsCancellationRequested || clock.GetElapsedTime(claimedAt) > LastStart)
            {
                _unstarted.Enqueue(row.Id);
                continue;
            }

            try
            {
                // In-flight sends finish even when stopping: cutting one off would leave its outcome unknown.
                olderMark = lastMark;
                lastMark = await SendOneAsync(sender, recorder, row, CancellationToken.None);
            }
            catch (Exception e) when (e is NpgsqlException or TimeoutException)
            {
                // The failure could not be recorded; the row stays leased and comes back when the lease expires.
                LogDatabaseUnavailable(logger, e);
            }
        }

        await Task.WhenAll(olderMark, lastMark);
    }

    private async Task RecoverExpiredLeasesAsync(CancellationToken cancellationToken)
    {
        var recovered = await dispatch.RecoverExpiredLeasesAsync(_options.InstanceId, _options.MaxAttempts, cancellationToken);
        if (recovered > 0)
        {
            DeliveryMetrics.LeasesRecovered.Add(recovered);
            LogRecovered(logger, recovered);
        }
    }

    private async Task ReleaseUnstartedAsync()
    {
        var ids = new List<Guid>();
        while (_unstarted.TryDequeue(out var id))
        {
            ids.Add(id);
        }

        try
        {
            await dispatch.ReleaseAsync(ids, _options.InstanceId, CancellationToken.None);
        }
        catch (Exception e) when (e is NpgsqlException or TimeoutException)
        {
            // Not handed back: they return when their lease expires, counted as an attempt.
            LogDatabaseUnavailable(logger, e);
        }
    }

    /// <returns>The "sent" mark's commit when the server accepted the message; otherwise a completed task.</returns>
    private async Task<Task> SendOneAsync(SmtpSender sender, SentRecorder recorder, ClaimedNotification row, CancellationToken cancellationToken)
    {
        var kind = new KeyValuePair<string, object?>(DeliveryMetrics.KindTag, NotificationOutbox.KindName(row.Kind));
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
                DeliveryMetrics.Sent.Add(1, kind);
                DeliveryMetrics.Lag.Record(Math.Max(0, (clock.GetUtcNow() - row.DueAt).TotalSeconds), kind);
                return recorder.Accepted(row.Id, kind);

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

        return Task.CompletedTask;
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

    [LoggerMessage(Level = LogLevel.Information, Message = "Notification {NotificationId} attempt {Attempt} failed; retry at {RetryAt:O}")]
    private static partial void LogRetry(ILogger logger, Guid notificationId, int attempt, DateTimeOffset retryAt);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Notification {NotificationId} dead-lettered after attempt {Attempt} ({Outcome})")]
    private static partial void LogDead(ILogger logger, Guid notificationId, int attempt, SendOutcome outcome);
}
