using Npgsql;

namespace MenoTime.Data.Notifications;

/// <summary>One status a notification went through.</summary>
public sealed record NotificationStatusChange(string Status, DateTimeOffset At, int Attempt, string? Error);

/// <summary>A notification as a patient or an administrator sees it: what and when, never the message itself.</summary>
public sealed record NotificationView(
    Guid Id,
    string Rule,
    string Target,
    string Kind,
    string Channel,
    DateTimeOffset OccursAt,
    DateTimeOffset DueAt,
    string Status,
    int Attempts,
    DateTimeOffset? SentAt,
    string? LastError,
    IReadOnlyList<NotificationStatusChange> History);

/// <summary>A notification and when it was planned: the key lists are ordered and paged by, with its id.</summary>
public sealed record NotificationListItem(DateTimeOffset CreatedAt, NotificationView View);

/// <summary>
/// The read model behind <c>GET /api/v1/notifications?patientId=</c>: a patient's notifications (or everyone's),
/// newest first, each with its status history, keyset-paginated on (created_at, id) so pages stay stable while new
/// rows arrive. The API turns the key into its opaque cursor. Authorization is the caller's.
/// </summary>
public sealed class NotificationHistoryReader(NpgsqlDataSource dataSource)
{
    /// <summary>
    /// Up to <paramref name="limit"/> notifications of <paramref name="patientId"/> (of every patient when it is null)
    /// planned before <paramref name="before"/>, newest first. Break-glass alerts about the patient's record went to
    /// administrators, not to the patient: only <paramref name="includeAlerts"/> lists them.
    /// </summary>
    public async Task<List<NotificationListItem>> ListAsync(
        Guid? patientId, bool includeAlerts, (DateTimeOffset CreatedAt, Guid Id)? before, int limit, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("""
            SELECT n.id, n.rule, n.target, n.kind, n.channel, n.occurs_at, n.due_at, n.status, n.attempts, n.sent_at,
                   n.last_error, n.created_at,
                   coalesce(array_agg(h.status ORDER BY h.id) FILTER (WHERE h.id IS NOT NULL), '{}'),
                   coalesce(array_agg(h.changed_at ORDER BY h.id) FILTER (WHERE h.id IS NOT NULL), '{}'),
                   coalesce(array_agg(h.attempt ORDER BY h.id) FILTER (WHERE h.id IS NOT NULL), '{}'),
                   coalesce(array_agg(h.error ORDER BY h.id) FILTER (WHERE h.id IS NOT NULL), '{}')
            FROM (SELECT * FROM notifications
                  WHERE ($1::uuid IS NULL OR patient_id = $1) AND ($2::timestamptz IS NULL OR (created_at, id) < ($2, $3))
                    AND ($5 OR kind <> 'emergency-access')
                  ORDER BY created_at DESC, id DESC
                  LIMIT $4) AS n
            LEFT JOIN notification_status_history h ON h.notification_id = n.id
            GROUP BY n.id, n.rule, n.target, n.kind, n.channel, n.occurs_at, n.due_at, n.status, n.attempts, n.sent_at,
                     n.last_error, n.created_at
            ORDER BY n.created_at DESC, n.id DESC
            """);
        command.Parameters.Add(new() { Value = patientId is { } id ? id : DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Uuid });
        command.Parameters.Add(new() { Value = before is { } key ? key.CreatedAt.ToUniversalTime() : DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.TimestampTz });
        command.Parameters.Add(new() { Value = before?.Id ?? Guid.Empty });
        command.Parameters.Add(new() { Value = limit });
        command.Parameters.Add(new() { Value = includeAlerts });

        var items = new List<NotificationListItem>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            var statuses = reader.GetFieldValue<string[]>(12);
            var times = reader.GetFieldValue<DateTimeOffset[]>(13);
            var attempts = reader.GetFieldValue<int[]>(14);
            var errors = reader.GetFieldValue<string?[]>(15);
            items.Add(new NotificationListItem(reader.GetFieldValue<DateTimeOffset>(11), new NotificationView(
                reader.GetGuid(0), reader.GetString(1), reader.GetString(2), reader.GetString(3), reader.GetString(4),
                reader.GetFieldValue<DateTimeOffset>(5), reader.GetFieldValue<DateTimeOffset>(6), reader.GetString(7),
                reader.GetInt32(8), reader.IsDBNull(9) ? null : reader.GetFieldValue<DateTimeOffset>(9),
                reader.IsDBNull(10) ? null : reader.GetString(10),
                [.. statuses.Select((status, i) => new NotificationStatusChange(status, times[i], attempts[i], errors[i]))])));
        }

        return items;
    }
}
