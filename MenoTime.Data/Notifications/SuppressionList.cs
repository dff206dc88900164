using Npgsql;

namespace MenoTime.Data.Notifications;

public enum SuppressionReason
{
    /// <summary>The patient used the one-click opt-out link: applies to the address and to the patient.</summary>
    Unsubscribe,

    /// <summary>SES reported a permanent bounce for the address.</summary>
    Bounce,

    /// <summary>The recipient marked a message as spam (SES complaint).</summary>
    Complaint,
}

/// <summary>Addresses and patients no reminder email may go to. The worker checks it when it claims rows.</summary>
public sealed class SuppressionList(NpgsqlDataSource dataSource)
{
    /// <summary>
    /// Records a suppression; true when it is new (the same address and reason again changes nothing).
    /// The source says where it came from: the notification id of an opt-out link, the SNS message id.
    /// </summary>
    public async Task<bool> AddAsync(string address, Guid? patientId, SuppressionReason reason, string source, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("""
            INSERT INTO email_suppressions (address, patient_id, reason, source)
            VALUES (lower($1), $2, $3, $4)
            ON CONFLICT ON CONSTRAINT email_suppressions_once DO NOTHING
            """);
        command.Parameters.Add(new() { Value = address.Trim() });
        command.Parameters.Add(new() { Value = patientId is { } id ? id : DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Uuid });
        command.Parameters.Add(new() { Value = reason.ToString().ToLowerInvariant() });
        command.Parameters.Add(new() { Value = source });
        return await command.ExecuteNonQueryAsync(cancellationToken) == 1;
    }

    /// <summary>Whether email to <paramref name="address"/> for <paramref name="patientId"/> is suppressed.</summary>
    public async Task<bool> IsSuppressedAsync(string address, Guid? patientId, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            "SELECT EXISTS (SELECT 1 FROM email_suppressions WHERE address = lower($1) OR patient_id = $2)");
        command.Parameters.Add(new() { Value = address.Trim() });
        command.Parameters.Add(new() { Value = patientId is { } id ? id : DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Uuid });
        return (bool)(await command.ExecuteScalarAsync(cancellationToken))!;
    }
}
