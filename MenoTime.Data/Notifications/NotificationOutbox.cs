using System.Diagnostics.Metrics;
using MenoTime.ServiceDefaults;
using Npgsql;
using NpgsqlTypes;

namespace MenoTime.Data.Notifications;

/// <summary>
/// The planner's side of the reminder outbox: a row is written before anything is sent, keyed by
/// (rule, target, occurrence instant, channel), so enqueueing twice never yields two emails.
/// The worker's side (claiming and recording sends) is <see cref="NotificationDispatch"/>.
/// </summary>
public sealed class NotificationOutbox(NpgsqlDataSource dataSource, TimeProvider clock)
{
    private static readonly Counter<long> Enqueued = MenoTimeTelemetry.Meter.CreateCounter<long>(
        "menotime.notifications.enqueued", "{notification}", "Reminders written to the outbox (duplicates of an existing key not counted)");

    private static readonly Counter<long> Retired = MenoTimeTelemetry.Meter.CreateCounter<long>(
        "menotime.notifications.retired", "{notification}", "Queued reminders withdrawn before sending (cancelled or rescheduled)");

    /// <summary>Inserts the reminder unless its key exists. True when this call created it.</summary>
    public async Task<bool> EnqueueAsync(NotificationRequest request, CancellationToken cancellationToken) =>
        await EnqueueAsync([request], cancellationToken) == 1;

    /// <summary>Inserts every reminder whose key does not exist yet, in one statement; returns how many were new.</summary>
    /// <exception cref="ArgumentException">A request is invalid; nothing is inserted.</exception>
    public async Task<int> EnqueueAsync(IReadOnlyCollection<NotificationRequest> requests, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return await EnqueueAsync(connection, requests, cancellationToken);
    }

    /// <summary>
    /// As <see cref="EnqueueAsync(IReadOnlyCollection{NotificationRequest}, CancellationToken)"/>, on the caller's
    /// connection and so inside its open transaction: a notification written with the change that causes it (the
    /// API's break-glass alert) exists exactly when the change commits.
    /// </summary>
    public async Task<int> EnqueueAsync(NpgsqlConnection connection, IReadOnlyCollection<NotificationRequest> requests, CancellationToken cancellationToken)
    {
        foreach (var request in requests)
        {
            request.Validate();
        }

        if (requests.Count == 0)
        {
            return 0;
        }

        var now = clock.GetUtcNow().ToUniversalTime();
        await using var command = new NpgsqlCommand($"""
            {InsertRequests}
            ON CONFLICT ON CONSTRAINT notifications_key DO NOTHING
            RETURNING kind
            """, connection);
        AddRequestColumns(command.Parameters, requests);
        command.Parameters.Add(new() { Value = now, NpgsqlDbType = NpgsqlDbType.TimestampTz });

        var created = 0;
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            created++;
            Enqueued.Add(1, new KeyValuePair<string, object?>("menotime.notification.kind", reader.GetString(0)));
        }

        return created;
    }

    /// <summary>
    /// The planner's re-plan of whole targets, in one statement: the open reminders (queued, or failed and waiting for a
    /// retry) of each of <paramref name="targets"/> whose (rule, occurrence) is not in <paramref name="kept"/> are retired;
    /// each of <paramref name="planned"/> is inserted, or, when its key exists, a queued row takes its send time, address
    /// and zone, and a retired one is queued again (an appointment moved back to its first time). Rows being sent, sent,
    /// dead or suppressed are never touched by planning (a failed one only retired), so re-planning never yields a second email.
    /// </summary>
    /// <remarks><paramref name="planned"/> must be a subset of <paramref name="kept"/>, with distinct keys.</remarks>
    public async Task<ReplanResult> ReplanAsync(
        NpgsqlConnection connection,
        IReadOnlyCollection<string> targets,
        IReadOnlyCollection<NotificationRequest> planned,
        IReadOnlyCollection<(string Target, string Rule, DateTimeOffset OccursAt)> kept,
        CancellationToken cancellationToken)
    {
        foreach (var request in planned)
        {
            request.Validate();
        }

        if (targets.Count == 0)
        {
            return new ReplanResult(0, 0, 0);
        }

        var now = clock.GetUtcNow().ToUniversalTime();
        await using var command = new NpgsqlCommand($"""
            WITH kept AS (
                SELECT * FROM unnest($12::text[], $13::text[], $14::timestamptz[]) AS k (target, rule, occurs_at)
            ), retired AS (
                UPDATE notifications n
                SET status = 'retired', status_changed_at = $11, lease_owner = NULL, lease_expires_at = NULL
                WHERE n.target = ANY($15) AND n.status IN ('queued', 'failed')
                  AND NOT EXISTS (SELECT 1 FROM kept k WHERE k.target = n.target AND k.rule = n.rule AND k.occurs_at = n.occurs_at)
                RETURNING n.kind
            ), planned AS (
                {InsertRequests}
                ON CONFLICT ON CONSTRAINT notifications_key DO UPDATE
                SET status = 'queued',
                    status_changed_at = CASE WHEN n.status = 'retired' THEN excluded.status_changed_at ELSE n.status_changed_at END,
                    due_at = excluded.due_at, next_attempt_at = excluded.due_at,
                    recipient = excluded.recipient, time_zone = excluded.time_zone
                WHERE n.status = 'retired'
                   OR (n.status = 'queued'
                       AND (n.due_at, n.recipient, n.time_zone) IS DISTINCT FROM (excluded.due_at, excluded.recipient, excluded.time_zone))
                RETURNING n.kind, xmax = 0 AS created
            )
            SELECT 'retired', kind, count(*) FROM retired GROUP BY kind
            UNION ALL
            SELECT CASE WHEN created THEN 'created' ELSE 'replanned' END, kind, count(*) FROM planned GROUP BY 1, kind
            """, connection);
        var parameters = command.Parameters;
        AddRequestColumns(parameters, planned);
        parameters.Add(new() { Value = now, NpgsqlDbType = NpgsqlDbType.TimestampTz });
        parameters.Add(new() { Value = kept.Select(k => k.Target).ToArray() });
        parameters.Add(new() { Value = kept.Select(k => k.Rule).ToArray() });
        parameters.Add(new() { Value = kept.Select(k => k.OccursAt.ToUniversalTime()).ToArray() });
        parameters.Add(new() { Value = targets.ToArray() });

        int created = 0, replanned = 0, retired = 0;
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            var count = (int)reader.GetInt64(2);
            var kind = new KeyValuePair<string, object?>("menotime.notification.kind", reader.GetString(1));
            switch (reader.GetString(0))
            {
                case "created":
                    created += count;
                    Enqueued.Add(count, kind);
                    break;
                case "replanned":
                    replanned += count;
                    break;
                default:
                    retired += count;
                    Retired.Add(count, kind);
                    break;
            }
        }

        return new ReplanResult(created, replanned, retired);
    }

    /// <summary>
    /// Inserts the requests bound by <see cref="AddRequestColumns"/> ($1–$10) as queued rows stamped $11 (alias n); each
    /// statement adds its own ON CONFLICT.
    /// </summary>
    private const string InsertRequests = """
        INSERT INTO notifications AS n (id, rule, target, occurs_at, channel, kind, patient_id, recipient, time_zone,
                                        due_at, next_attempt_at, status, status_changed_at, created_at)
        SELECT r.id, r.rule, r.target, r.occurs_at, r.channel, r.kind, r.patient_id, r.recipient, r.time_zone,
               r.due_at, r.due_at, 'queued', $11, $11
        FROM unnest($1::uuid[], $2::text[], $3::text[], $4::timestamptz[], $5::text[], $6::text[], $7::uuid[],
                    $8::text[], $9::text[], $10::timestamptz[])
             AS r (id, rule, target, occurs_at, channel, kind, patient_id, recipient, time_zone, due_at)
        """;

    /// <summary>The requests' columns as arrays for unnest: $1 id … $10 due_at, in <see cref="InsertRequests"/>' column order.</summary>
    private static void AddRequestColumns(NpgsqlParameterCollection parameters, IReadOnlyCollection<NotificationRequest> requests)
    {
        parameters.Add(new() { Value = requests.Select(_ => Guid.CreateVersion7()).ToArray() });
        parameters.Add(new() { Value = requests.Select(r => r.Rule).ToArray() });
        parameters.Add(new() { Value = requests.Select(r => r.Target).ToArray() });
        parameters.Add(new() { Value = requests.Select(r => r.OccursAt.ToUniversalTime()).ToArray() });
        parameters.Add(new() { Value = requests.Select(r => r.Channel).ToArray() });
        parameters.Add(new() { Value = requests.Select(r => KindName(r.Kind)).ToArray() });
        parameters.Add(new() { Value = requests.Select(r => r.PatientId).ToArray() });
        parameters.Add(new() { Value = requests.Select(r => r.Recipient.Trim()).ToArray() });
        parameters.Add(new() { Value = requests.Select(r => r.TimeZone).ToArray() });
        parameters.Add(new() { Value = requests.Select(r => r.DueAt.ToUniversalTime()).ToArray() });
    }

    /// <summary>Who a notification went to: what an opt-out from its email applies to. Null when unknown.</summary>
    public async Task<(string Recipient, Guid PatientId)?> FindRecipientAsync(Guid notificationId, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("SELECT recipient, patient_id FROM notifications WHERE id = $1");
        command.Parameters.Add(new() { Value = notificationId });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? (reader.GetString(0), reader.GetGuid(1)) : null;
    }

    /// <summary>The kind as stored and as metrics tag it.</summary>
    public static string KindName(NotificationKind kind) => kind switch
    {
        NotificationKind.Appointment => "appointment",
        NotificationKind.Medication => "medication",
        NotificationKind.EmergencyAccess => "emergency-access",
        _ => throw new ArgumentOutOfRangeException(nameof(kind)),
    };

    internal static NotificationKind ParseKind(string kind) => kind switch
    {
        "appointment" => NotificationKind.Appointment,
        "medication" => NotificationKind.Medication,
        "emergency-access" => NotificationKind.EmergencyAccess,
        _ => throw new InvalidOperationException($"Unknown notification kind '{kind}' in the database."),
    };
}

/// <summary>What a re-plan changed: rows created, rows moved or revived, rows retired.</summary>
public sealed record ReplanResult(int Created, int Replanned, int Retired);
