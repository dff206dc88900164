using System.Threading.Channels;
using MenoTime.Data.Notifications;
using Npgsql;

namespace MenoTime.Worker.Delivery;

/// <summary>
/// Records accepted sends as "sent" in batches: while one UPDATE runs, the ids accepted meanwhile gather and go in
/// the next one (group commit). This saves a database round trip per email and adds no waiting of its own, so
/// the time between the SMTP server's acceptance and the commit (the duplicate window) stays within two round
/// trips. Each mark's task completes once it is committed: a lane waits for its previous mark before it starts
/// another send, so no lane ever has more than two sends accepted (or in flight) and not recorded.
/// Marks are never dropped: when the database is away they wait and go as soon as it is back.
/// </summary>
public sealed partial class SentRecorder(NotificationDispatch dispatch, string worker, DeliveryState state, TimeProvider clock, ILogger logger)
{
    private const int MaxBatch = 1000;
    private readonly Channel<Mark> _accepted = Channel.CreateUnbounded<Mark>(new UnboundedChannelOptions { SingleReader = true });

    /// <summary>Queues the mark; the task completes when it is committed.</summary>
    public Task Accepted(Guid id, KeyValuePair<string, object?> kind)
    {
        var mark = new Mark(id, kind, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
        return _accepted.Writer.TryWrite(mark) ? mark.Committed.Task : Task.CompletedTask;
    }

    /// <summary>Stops taking marks; <see cref="RunAsync"/> ends once everything taken is recorded.</summary>
    public void Complete() => _accepted.Writer.TryComplete();

    public async Task RunAsync()
    {
        var batch = new List<Mark>(MaxBatch);
        var failures = 0;
        while (batch.Count > 0 || await _accepted.Reader.WaitToReadAsync())
        {
            while (batch.Count < MaxBatch && _accepted.Reader.TryRead(out var item))
            {
                batch.Add(item);
            }

            try
            {
                var notRecorded = await dispatch.MarkSentAsync([.. batch.Select(b => b.Id)], worker, CancellationToken.None);
                foreach (var id in notRecorded)
                {
                    DeliveryMetrics.PossibleDuplicates.Add(1, batch.First(b => b.Id == id).Kind);
                    LogLeaseLost(logger, id);
                }

                batch.ForEach(mark => mark.Committed.TrySetResult());
                batch.Clear();
                failures = 0;
                state.RecordRound(clock.GetTimestamp());
            }
            catch (Exception e) when (e is NpgsqlException or TimeoutException)
            {
                failures++;
                LogRetrying(logger, batch.Count, e);
                await Task.Delay(TimeSpan.FromMilliseconds(Math.Min(5_000, 100 * Math.Pow(2, Math.Min(failures, 6)))));
            }
        }
    }

    private sealed record Mark(Guid Id, KeyValuePair<string, object?> Kind, TaskCompletionSource Committed);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Notification {NotificationId} was sent after another worker had claimed it again: a duplicate is possible")]
    private static partial void LogLeaseLost(ILogger logger, Guid notificationId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not record {Count} sent notifications yet; retrying")]
    private static partial void LogRetrying(ILogger logger, int count, Exception exception);
}
