using Npgsql;

namespace MenoTime.Data.Audit;

/// <summary>
/// Writes and reads the audit trail. Writing goes through the caller's connection and transaction, so an
/// audited change and its audit row commit together; the database seals each row into its hash chain.
/// </summary>
public static class AuditStore
{
    private const int MaxUserAgentLength = 256;

    public static async Task WriteAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction, AuditRecord record, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand("""
            INSERT INTO audit_events (id, chain, seq, occurred_at, subject, role, session_id, action, resource_type, resource_id,
                                      patient_id, status, client_ip, user_agent, trace_id, break_glass, prev_hash, hash)
            VALUES ($1, 0, 0, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, '', '')
            """, connection, transaction);
        command.Parameters.Add(new() { Value = Guid.CreateVersion7() });
        command.Parameters.Add(new() { Value = record.OccurredAt });
        command.Parameters.Add(new() { Value = (object?)record.Subject ?? DBNull.Value });
        command.Parameters.Add(new() { Value = (object?)record.Role ?? DBNull.Value });
        command.Parameters.Add(new() { Value = (object?)record.SessionId ?? DBNull.Value });
        command.Parameters.Add(new() { Value = record.Action });
        command.Parameters.Add(new() { Value = record.ResourceType });
        command.Parameters.Add(new() { Value = (object?)record.ResourceId ?? DBNull.Value });
        command.Parameters.Add(new() { Value = (object?)record.PatientId ?? DBNull.Value });
        command.Parameters.Add(new() { Value = (short)record.Status });
        command.Parameters.Add(new() { Value = (object?)record.ClientIp ?? DBNull.Value });
        command.Parameters.Add(new() { Value = (object?)Truncate(record.UserAgent, MaxUserAgentLength) ?? DBNull.Value });
        command.Parameters.Add(new() { Value = (object?)record.TraceId ?? DBNull.Value });
        command.Parameters.Add(new() { Value = record.BreakGlass });
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>Events in time order after the cursor, filtered; up to <paramref name="limit"/> rows.</summary>
    public static async Task<List<AuditEntry>> SearchAsync(
        NpgsqlDataSource dataSource, Guid? patientId, string? subject, DateTimeOffset? from, DateTimeOffset? to,
        (DateTimeOffset At, Guid Id)? after, string? excludeSubject, int limit, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("""
            SELECT id, occurred_at, subject, role, action, resource_type, resource_id, patient_id, status, client_ip, break_glass, trace_id
            FROM audit_events
            WHERE ($1::uuid IS NULL OR patient_id = $1)
              AND ($2::text IS NULL OR subject = $2)
              AND ($3::timestamptz IS NULL OR occurred_at >= $3)
              AND ($4::timestamptz IS NULL OR occurred_at < $4)
              AND ($5::timestamptz IS NULL OR (occurred_at, id) > ($5, $6))
              AND ($7::text IS NULL OR subject IS DISTINCT FROM $7)
            ORDER BY occurred_at, id
            LIMIT $8
            """);
        command.Parameters.Add(new() { Value = (object?)patientId ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Uuid });
        command.Parameters.Add(new() { Value = (object?)subject ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
        command.Parameters.Add(new() { Value = (object?)from?.ToUniversalTime() ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.TimestampTz });
        command.Parameters.Add(new() { Value = (object?)to?.ToUniversalTime() ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.TimestampTz });
        command.Parameters.Add(new() { Value = (object?)after?.At ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.TimestampTz });
        command.Parameters.Add(new() { Value = (object?)after?.Id ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Uuid });
        command.Parameters.Add(new() { Value = (object?)excludeSubject ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
        command.Parameters.Add(new() { Value = limit });
        var entries = new List<AuditEntry>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            entries.Add(new AuditEntry(
                reader.GetGuid(0), reader.GetFieldValue<DateTimeOffset>(1), NullableString(reader, 2), NullableString(reader, 3),
                reader.GetString(4), reader.GetString(5), NullableString(reader, 6), reader.IsDBNull(7) ? null : reader.GetGuid(7),
                reader.GetInt16(8), NullableString(reader, 9), reader.GetBoolean(10), NullableString(reader, 11)));
        }

        return entries;
    }

    private static string? NullableString(NpgsqlDataReader reader, int ordinal) => reader.IsDBNull(ordinal) ? null : reader.GetString(ordinal);

    private static string? Truncate(string? value, int length) => value is null || value.Length <= length ? value : value[..length];
}
