using MenoTime.AppHost.Hosting;
using MenoTime.Data.Notifications;
using MenoTime.ServiceDefaults;
using Npgsql;

namespace MenoTime.IntegrationTests.Reminders;

/// <summary>
/// The outbox of a running test graph, as the planner will use it (same classes, same clock as the services),
/// plus what tests read back from PostgreSQL: statuses, histories, suppressions.
/// </summary>
public sealed class ReminderStore : IAsyncDisposable
{
    private readonly NpgsqlDataSource _dataSource;

    public ReminderStore(DistributedApplication app)
    {
        _dataSource = NpgsqlDataSource.Create(app.GetConnectionString("menotime"));
        Clock = new TestClock(app.Options.ClockOffsetFile);
        Outbox = new NotificationOutbox(_dataSource, Clock);
        History = new NotificationHistoryReader(_dataSource);
    }

    /// <summary>The graph's clock: the system clock plus the offset tests moved it by.</summary>
    public TestClock Clock { get; }

    public NotificationOutbox Outbox { get; }

    /// <summary>The read model behind GET /api/v1/notifications?patientId= (mapped with the clinical API's roles).</summary>
    public NotificationHistoryReader History { get; }

    /// <summary>
    /// Withdraws the open reminders of <paramref name="target"/> as the planner does when their appointment is cancelled:
    /// a re-plan of the target that keeps nothing.
    /// </summary>
    /// <returns>How many were retired.</returns>
    public async Task<int> RetireAsync(string target, CancellationToken cancellationToken)
    {
        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken);
        return (await Outbox.ReplanAsync(connection, [target], [], [], cancellationToken)).Retired;
    }

    public static string NewAddress(string label) => $"{label}-{Guid.NewGuid():N}@example.test";

    /// <summary>An appointment reminder for a new patient, due at <paramref name="dueAt"/> (default: a minute ago).</summary>
    public NotificationRequest Appointment(string recipient, DateTimeOffset? dueAt = null, string timeZone = "Europe/Berlin", DateTimeOffset? occursAt = null)
    {
        var due = dueAt ?? Clock.GetUtcNow().AddMinutes(-1);
        return new NotificationRequest(
            "appointment-24h", $"appointment:{Guid.NewGuid()}", occursAt ?? due.AddDays(1), NotificationKind.Appointment,
            Guid.NewGuid(), recipient, timeZone, due);
    }

    public async Task<NotificationRow> GetAsync(NotificationRequest request, CancellationToken cancellationToken)
    {
        await using var command = _dataSource.CreateCommand("""
            SELECT id, status, attempts, last_error, sent_at FROM notifications
            WHERE rule = $1 AND target = $2 AND occurs_at = $3 AND channel = $4
            """);
        command.Parameters.Add(new() { Value = request.Rule });
        command.Parameters.Add(new() { Value = request.Target });
        command.Parameters.Add(new() { Value = request.OccursAt.ToUniversalTime() });
        command.Parameters.Add(new() { Value = request.Channel });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        Assert.True(await reader.ReadAsync(cancellationToken), $"no notification for {request.Target}");
        return new NotificationRow(
            reader.GetGuid(0), reader.GetString(1), reader.GetInt32(2), reader.IsDBNull(3) ? null : reader.GetString(3),
            reader.IsDBNull(4) ? null : reader.GetFieldValue<DateTimeOffset>(4));
    }

    /// <summary>Polls until the row satisfies <paramref name="condition"/>; fails with its last state after the timeout.</summary>
    public async Task<NotificationRow> WaitForAsync(NotificationRequest request, Func<NotificationRow, bool> condition, TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        var row = await GetAsync(request, cancellationToken);
        while (!condition(row))
        {
            try
            {
                await Task.Delay(50, deadline.Token);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                throw new TimeoutException($"notification {row.Id} still {row.Status} (attempts {row.Attempts}, error {row.LastError}) after {timeout.TotalSeconds:F0} s");
            }

            row = await GetAsync(request, cancellationToken);
        }

        return row;
    }

    /// <summary>The statuses the notification went through, in order.</summary>
    public async Task<List<string>> HistoryAsync(Guid id, CancellationToken cancellationToken) =>
        [.. (await HistoryWithErrorsAsync(id, cancellationToken)).Select(h => h.Status)];

    public async Task<List<(string Status, int Attempt, string? Worker, string? Error)>> HistoryWithErrorsAsync(Guid id, CancellationToken cancellationToken)
    {
        await using var command = _dataSource.CreateCommand(
            "SELECT status, attempt, worker, error FROM notification_status_history WHERE notification_id = $1 ORDER BY id");
        command.Parameters.Add(new() { Value = id });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var history = new List<(string, int, string?, string?)>();
        while (await reader.ReadAsync(cancellationToken))
        {
            history.Add((reader.GetString(0), reader.GetInt32(1), reader.IsDBNull(2) ? null : reader.GetString(2), reader.IsDBNull(3) ? null : reader.GetString(3)));
        }

        return history;
    }

    public async Task<List<string>> SuppressionReasonsAsync(string address, CancellationToken cancellationToken)
    {
        await using var command = _dataSource.CreateCommand("SELECT reason FROM email_suppressions WHERE address = lower($1) ORDER BY reason");
        command.Parameters.Add(new() { Value = address });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var reasons = new List<string>();
        while (await reader.ReadAsync(cancellationToken))
        {
            reasons.Add(reader.GetString(0));
        }

        return reasons;
    }

    public async Task<T> ScalarAsync<T>(string sql, CancellationToken cancellationToken, params object[] parameters)
    {
        await using var command = _dataSource.CreateCommand(sql);
        foreach (var parameter in parameters)
        {
            command.Parameters.Add(new() { Value = parameter });
        }

        return (T)(await command.ExecuteScalarAsync(cancellationToken))!;
    }

    /// <summary>Drops pooled connections, e.g. after a test restarted PostgreSQL under them.</summary>
    public void ResetConnections() => _dataSource.Clear();

    public ValueTask DisposeAsync() => _dataSource.DisposeAsync();
}

public sealed record NotificationRow(Guid Id, string Status, int Attempts, string? LastError, DateTimeOffset? SentAt);
