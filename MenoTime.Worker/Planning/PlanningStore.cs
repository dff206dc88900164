using Npgsql;
using NpgsqlTypes;

namespace MenoTime.Worker.Planning;

/// <summary>The planner's reads, set-wise, on the connection that holds the planner's advisory lock.</summary>
public static class PlanningStore
{
    /// <summary>Open rows of a target: what re-planning may still change.</summary>
    private static string HasOpenRows(string target) =>
        $"EXISTS (SELECT 1 FROM notifications n WHERE n.target = {target} AND n.status IN ('queued', 'failed'))";

    public sealed record State(DateTimeOffset ChangesSeenUntil, DateTimeOffset? HorizonEnd);

    public static async Task<State> ReadStateAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand("SELECT changes_seen_until, horizon_end FROM reminder_planner_state WHERE id = 1", connection);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        if (!await reader.ReadAsync(cancellationToken))
        {
            throw new InvalidOperationException("reminder_planner_state has no row: migration 0033 was not applied.");
        }

        return new State(reader.GetFieldValue<DateTimeOffset>(0), reader.IsDBNull(1) ? null : reader.GetFieldValue<DateTimeOffset>(1));
    }

    public static async Task WriteStateAsync(
        NpgsqlConnection connection, DateTimeOffset changesSeenUntil, DateTimeOffset horizonEnd, DateTimeOffset now, string instance, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand("""
            UPDATE reminder_planner_state
            SET changes_seen_until = $1, horizon_end = $2, last_round_at = $3, last_round_by = $4
            WHERE id = 1
            """, connection);
        command.Parameters.Add(new() { Value = changesSeenUntil.ToUniversalTime() });
        command.Parameters.Add(new() { Value = horizonEnd.ToUniversalTime() });
        command.Parameters.Add(new() { Value = now.ToUniversalTime() });
        command.Parameters.Add(new() { Value = instance });
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>
    /// Appointments to re-plan because they, or their patient, changed after <paramref name="since"/>: those starting
    /// in [<paramref name="from"/>, <paramref name="to"/>), and any that still has open reminders (moved far away,
    /// cancelled). An appointment outside the window with no open reminder has nothing to plan or retire.
    /// </summary>
    public static Task<List<AppointmentFacts>> ChangedAppointmentsAsync(
        NpgsqlConnection connection, DateTimeOffset since, DateTimeOffset from, DateTimeOffset to, CancellationToken cancellationToken) =>
        AppointmentsAsync(connection, $"""
            WITH changed_patients AS (SELECT id FROM patients WHERE updated_at > $1)
            SELECT a.id, a.patient_id, a.starts_at, a.status FROM appointments a
            WHERE a.updated_at > $1
              AND ((a.starts_at >= $2 AND a.starts_at < $3) OR {HasOpenRows("'appointment:' || a.id")})
            UNION
            SELECT a.id, a.patient_id, a.starts_at, a.status FROM appointments a JOIN changed_patients p ON p.id = a.patient_id
            WHERE a.starts_at >= $2 AND a.starts_at < $3
            """, cancellationToken, since, from, to);

    /// <summary>Booked appointments starting in [<paramref name="from"/>, <paramref name="to"/>): those the rolling horizon reaches.</summary>
    public static Task<List<AppointmentFacts>> BookedAppointmentsAsync(
        NpgsqlConnection connection, DateTimeOffset from, DateTimeOffset to, CancellationToken cancellationToken) =>
        AppointmentsAsync(connection, """
            SELECT a.id, a.patient_id, a.starts_at, a.status FROM appointments a
            WHERE a.status = 'booked' AND a.starts_at >= $1 AND a.starts_at < $2
            """, cancellationToken, from, to);

    /// <summary>Medications changed after <paramref name="since"/>, or of a patient who changed, that may have doses after <paramref name="activeFrom"/>.</summary>
    public static Task<List<MedicationFacts>> ChangedMedicationsAsync(
        NpgsqlConnection connection, DateTimeOffset since, DateOnly activeFrom, CancellationToken cancellationToken) =>
        MedicationsAsync(connection, $"""
            SELECT m.id, m.patient_id, m.schedule_times, m.schedule_days, m.start_date, m.stop_date FROM medications m
            WHERE m.updated_at > $1 AND (m.stop_date IS NULL OR m.stop_date >= $2 OR {HasOpenRows("'medication:' || m.id")})
            UNION
            SELECT m.id, m.patient_id, m.schedule_times, m.schedule_days, m.start_date, m.stop_date
            FROM patients p JOIN medications m ON m.patient_id = p.id
            WHERE p.updated_at > $1 AND (m.stop_date IS NULL OR m.stop_date >= $2 OR {HasOpenRows("'medication:' || m.id")})
            """, cancellationToken, since, activeFrom);

    /// <summary>Medications with possible doses in [<paramref name="activeFrom"/>, <paramref name="activeTo"/>] (local dates).</summary>
    public static Task<List<MedicationFacts>> ActiveMedicationsAsync(
        NpgsqlConnection connection, DateOnly activeFrom, DateOnly activeTo, CancellationToken cancellationToken) =>
        MedicationsAsync(connection, """
            SELECT m.id, m.patient_id, m.schedule_times, m.schedule_days, m.start_date, m.stop_date FROM medications m
            WHERE (m.stop_date IS NULL OR m.stop_date >= $1) AND m.start_date <= $2
            """, cancellationToken, activeFrom, activeTo);

    /// <summary>The settings of each patient, with whether their address or they are on the suppression list.</summary>
    public static async Task<Dictionary<Guid, PatientSettings>> PatientsAsync(NpgsqlConnection connection, IReadOnlyCollection<Guid> ids, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand("""
            SELECT p.id, p.email, p.time_zone, p.email_reminders_consent, p.reminder_lead_minutes, p.quiet_hours_start, p.quiet_hours_end,
                   EXISTS (SELECT 1 FROM email_suppressions s WHERE s.address = lower(trim(p.email)) OR s.patient_id = p.id)
            FROM patients p WHERE p.id = ANY($1)
            """, connection);
        command.Parameters.Add(new() { Value = ids.ToArray() });
        var patients = new Dictionary<Guid, PatientSettings>(ids.Count);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            patients[reader.GetGuid(0)] = new PatientSettings(
                reader.GetGuid(0), reader.GetString(1), reader.GetString(2), reader.GetBoolean(3), reader.GetBoolean(7),
                reader.GetFieldValue<int[]>(4),
                reader.IsDBNull(5) ? null : reader.GetFieldValue<TimeOnly>(5),
                reader.IsDBNull(6) ? null : reader.GetFieldValue<TimeOnly>(6));
        }

        return patients;
    }

    private static Task<List<AppointmentFacts>> AppointmentsAsync(
        NpgsqlConnection connection, string sql, CancellationToken cancellationToken, params object[] values) =>
        ReadAsync(connection, sql, r => new AppointmentFacts(r.GetGuid(0), r.GetGuid(1), r.GetFieldValue<DateTimeOffset>(2), r.GetString(3)), values, cancellationToken);

    private static Task<List<MedicationFacts>> MedicationsAsync(
        NpgsqlConnection connection, string sql, CancellationToken cancellationToken, params object[] values) =>
        ReadAsync(connection, sql, r => new MedicationFacts(
            r.GetGuid(0), r.GetGuid(1), r.GetFieldValue<TimeOnly[]>(2), r.GetFieldValue<short[]>(3),
            r.GetFieldValue<DateOnly>(4), r.IsDBNull(5) ? null : r.GetFieldValue<DateOnly>(5)), values, cancellationToken);

    private static async Task<List<T>> ReadAsync<T>(
        NpgsqlConnection connection, string sql, Func<NpgsqlDataReader, T> row, object[] values, CancellationToken cancellationToken)
    {
        await using var command = Command(connection, sql, values);
        var rows = new List<T>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            rows.Add(row(reader));
        }

        return rows;
    }

    private static NpgsqlCommand Command(NpgsqlConnection connection, string sql, object[] values)
    {
        var command = new NpgsqlCommand(sql, connection);
        foreach (var value in values)
        {
            command.Parameters.Add(value switch
            {
                DateTimeOffset instant => new NpgsqlParameter { Value = instant.ToUniversalTime(), NpgsqlDbType = NpgsqlDbType.TimestampTz },
                DateOnly date => new NpgsqlParameter { Value = date, NpgsqlDbType = NpgsqlDbType.Date },
                _ => new NpgsqlParameter { Value = value },
            });
        }

        return command;
    }
}
