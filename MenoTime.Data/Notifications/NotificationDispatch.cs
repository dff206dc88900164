using Npgsql;

namespace MenoTime.Data.Notifications;

/// <summary>A notification a worker holds the lease on: everything sending needs, nothing more.</summary>
public sealed record ClaimedNotification(
    Guid Id,
    NotificationKind Kind,
    string Target,
    Guid PatientId,
    string Recipient,
    DateTimeOffset OccursAt,
    string TimeZone,
    DateTimeOffset DueAt,
    int Attempt);

/// <summary>The result of a claim: rows to send now, and how many were dropped because of an opt-out or bounce.</summary>
public sealed record ClaimResult(IReadOnlyList<ClaimedNotification> ToSend, int Suppressed);

/// <summary>
/// The worker's side of the outbox. Status machine: queued → sending → sent | failed → (sending again) … → dead;
/// besides, retired (withdrawn by the planner) and suppressed (opt-out, bounce or complaint found at claim).
/// Every change sets <c>status_changed_at</c>, and a trigger writes it to <c>notification_status_history</c>.
///
/// Due times are compared with the services' clock (TimeProvider: tests move it). Leases use the database's
/// clock (<c>now()</c>), so replicas on different hosts, or a test clock, can never disagree about them.
/// </summary>
public sealed class NotificationDispatch(NpgsqlDataSource dataSource, TimeProvider clock)
{
    /// <summary>
    /// Takes up to <paramref name="max"/> due rows no other worker holds (FOR UPDATE SKIP LOCKED), oldest first,
    /// and leases them to <paramref name="worker"/> for <paramref name="lease"/>. Rows whose address or patient is
    /// on the suppression list become <c>suppressed</c> instead and are not returned.
    /// </summary>
    public async Task<ClaimResult> ClaimAsync(string worker, int max, TimeSpan lease, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("""
            WITH due AS (
                SELECT id FROM notifications
                WHERE status IN ('queued', 'failed') AND next_attempt_at <= $1
                ORDER BY next_attempt_at
                LIMIT $2
                FOR UPDATE SKIP LOCKED
            ), checked AS (
                SELECT n.id, EXISTS (
                    SELECT 1 FROM email_suppressions s
                    -- A patient's opt-out stops their reminders, not an administrator's alert about their record.
                    WHERE s.address = lower(n.recipient) OR (s.patient_id = n.patient_id AND n.kind <> 'emergency-access')) AS suppressed
                FROM notifications n JOIN due USING (id)
            )
            UPDATE notifications n
            SET status = CASE WHEN c.suppressed THEN 'suppressed' ELSE 'sending' END,
                status_changed_at = $1,
                attempts = n.attempts + CASE WHEN c.suppressed THEN 0 ELSE 1 END,
                lease_owner = $3,
                lease_expires_at = CASE WHEN c.suppressed THEN NULL ELSE now() + $4 END
            FROM checked c
            WHERE n.id = c.id
            RETURNING n.id, n.status, n.kind, n.recipient, n.occurs_at, n.time_zone, n.due_at, n.attempts, n.target, n.patient_id
            """);
        command.Parameters.Add(new() { Value = clock.GetUtcNow().ToUniversalTime() });
        command.Parameters.Add(new() { Value = max });
        command.Parameters.Add(new() { Value = worker });
        command.Parameters.Add(new() { Value = lease });

        var toSend = new List<ClaimedNotification>();
        var suppressed = 0;
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            if (reader.GetString(1) == "suppressed")
            {
                suppressed++;
                continue;
            }

            toSend.Add(new ClaimedNotification(
                reader.GetGuid(0),
                NotificationOutbox.ParseKind(reader.GetString(2)),
                reader.GetString(8),
                reader.GetGuid(9),
                reader.GetString(3),
                reader.GetFieldValue<DateTimeOffset>(4),
                reader.GetString(5),
                reader.GetFieldValue<DateTimeOffset>(6),
                reader.GetInt32(7)));
        }

        // Oldest first, as claimed: RETURNING keeps no order of its own.
        toSend.Sort((a, b) => a.DueAt.CompareTo(b.DueAt));
        return new ClaimResult(toSend, suppressed);
    }

    /// <summary>
    /// Records sends the SMTP server accepted, several in one statement (the delivery loop batches them while the
    /// previous statement runs, as a group commit). Also applies when another worker found this lease expired
    /// meanwhile and set the row back to failed (or dead): it was sent, so it must not be sent again.
    /// </summary>
    /// <returns>The ids not recorded because another worker has already claimed them again: a second email is
    /// possible for those, and the caller reports it.</returns>
    public async Task<IReadOnlyList<Guid>> MarkSentAsync(IReadOnlyList<Guid> ids, string worker, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("""
            UPDATE notifications
            SET status = 'sent', status_changed_at = $3, sent_at = $3, lease_owner = $2, lease_expires_at = NULL, last_error = NULL
            WHERE id = ANY($1) AND ((status = 'sending' AND lease_owner = $2) OR status IN ('failed', 'dead'))
            RETURNING id
            """);
        command.Parameters.Add(new() { Value = ids.ToArray() });
        command.Parameters.Add(new() { Value = worker });
        command.Parameters.Add(new() { Value = clock.GetUtcNow().ToUniversalTime() });
        var recorded = new HashSet<Guid>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            recorded.Add(reader.GetGuid(0));
        }

        return [.. ids.Where(id => !recorded.Contains(id))];
    }

    /// <summary>A failed attempt: retried at <paramref name="retryAt"/>, or dead-lettered when it is null.</summary>
    public async Task MarkFailedAsync(Guid id, string worker, string error, DateTimeOffset? retryAt, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("""
            UPDATE notifications
            SET status = CASE WHEN $4::timestamptz IS NULL THEN 'dead' ELSE 'failed' END,
                status_changed_at = $3, next_attempt_at = coalesce($4, next_attempt_at),
                last_error = $5, lease_expires_at = NULL
            WHERE id = $1 AND status = 'sending' AND lease_owner = $2
            """);
        command.Parameters.Add(new() { Value = id });
        command.Parameters.Add(new() { Value = worker });
        command.Parameters.Add(new() { Value = clock.GetUtcNow().ToUniversalTime() });
        command.Parameters.Add(new() { Value = retryAt?.ToUniversalTime() is { } at ? at : DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.TimestampTz });
        command.Parameters.Add(new() { Value = Truncate(error, 1000) });
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>Gives back claimed rows this worker did not start sending (stopping, or its lease running short).</summary>
    public async Task ReleaseAsync(IReadOnlyCollection<Guid> ids, string worker, CancellationToken cancellationToken)
    {
        if (ids.Count == 0)
        {
            return;
        }

        await using var command = dataSource.CreateCommand("""
            UPDATE notifications
            SET status = 'queued', status_changed_at = $3, attempts = attempts - 1, lease_owner = NULL, lease_expires_at = NULL
            WHERE id = ANY($1) AND status = 'sending' AND lease_owner = $2
            """);
        command.Parameters.Add(new() { Value = ids.ToArray() });
        command.Parameters.Add(new() { Value = worker });
        command.Parameters.Add(new() { Value = clock.GetUtcNow().ToUniversalTime() });
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>
    /// The deliberate answer to a lease that expired mid-send (its worker died or froze): whether that send reached
    /// the SMTP server is unknown, so the row goes back to failed and is sent again right away (at least once),
    /// or dead when it has used all its attempts. A duplicate is possible only when the old worker had already handed the end of the
    /// message to its SMTP connection but died before <see cref="MarkSentAsync"/> committed.
    /// </summary>
    /// <returns>How many rows were taken back.</returns>
    public async Task<int> RecoverExpiredLeasesAsync(string worker, int maxAttempts, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("""
            UPDATE notifications n
            SET status = CASE WHEN n.attempts >= $3 THEN 'dead' ELSE 'failed' END,
                status_changed_at = $2, next_attempt_at = $2,
                last_error = 'lease of ' || n.lease_owner || ' expired during the send; delivery unknown',
                lease_owner = $1, lease_expires_at = NULL
            FROM (SELECT id FROM notifications
                  WHERE status = 'sending' AND lease_expires_at <= now()
                  LIMIT 1000
                  FOR UPDATE SKIP LOCKED) AS expired
            WHERE n.id = expired.id
            """);
        command.Parameters.Add(new() { Value = worker });
        command.Parameters.Add(new() { Value = clock.GetUtcNow().ToUniversalTime() });
        command.Parameters.Add(new() { Value = maxAttempts });
        return await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>When the oldest row that should have been sent by now was due, and how many such rows wait.</summary>
    public async Task<(DateTimeOffset? OldestDue, long Waiting)> GetBacklogAsync(CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("""
            SELECT min(next_attempt_at), count(*) FROM notifications
            WHERE status IN ('queued', 'failed') AND next_attempt_at <= $1
            """);
        command.Parameters.Add(new() { Value = clock.GetUtcNow().ToUniversalTime() });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        return (reader.IsDBNull(0) ? null : reader.GetFieldValue<DateTimeOffset>(0), reader.GetInt64(1));
    }

    private static string Truncate(string text, int length) => text.Length <= length ? text : text[..length];
}
