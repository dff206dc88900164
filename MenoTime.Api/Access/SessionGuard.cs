using System.Security.Claims;
using Npgsql;

namespace MenoTime.Api.Access;

/// <summary>The patient and provider records a subject owns.</summary>
public sealed record CallerRecords(Guid? PatientId, Guid? ProviderId);

/// <summary>
/// Automatic logoff (HIPAA 164.312(a)(2)(iii)): the server keeps one session per sign-in (the token's
/// origin_jti) and refuses it after <c>Security:SessionIdleTimeout</c> (15 minutes) without a request,
/// whatever the token's own expiry, and at once after logout. Activity is recorded at most every 30
/// seconds, so a session may end up to 30 seconds before a full idle timeout.
/// </summary>
public sealed class SessionGuard(NpgsqlDataSource dataSource, TimeProvider clock, IConfiguration configuration)
{
    public const string Expired = "session-expired";
    public const string Ended = "session-ended";
    public const string Invalid = "session-invalid";
    private static readonly TimeSpan TouchEvery = TimeSpan.FromSeconds(30);

    public TimeSpan IdleTimeout { get; } = configuration.GetValue("Security:SessionIdleTimeout", TimeSpan.FromMinutes(15));

    /// <summary>
    /// Checks and records the session's activity; in the same round trip, looks up the patient and provider
    /// records the subject owns, for <see cref="CallerHttpContextExtensions.GetCaller"/>.
    /// </summary>
    /// <returns>Null when the session may go on; otherwise the problem code to refuse it with.</returns>
    public async Task<string?> TouchAsync(ClaimsPrincipal principal, HttpContext http, CancellationToken cancellationToken)
    {
        var sessionId = principal.FindFirst("origin_jti")?.Value;
        var subject = principal.FindFirst("sub")?.Value;
        if (string.IsNullOrEmpty(sessionId) || string.IsNullOrEmpty(subject) || sessionId.Length > 200)
        {
            return Invalid;
        }

        var now = clock.GetUtcNow();
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using (var read = new NpgsqlCommand("""
            SELECT s.subject, s.last_seen_at, s.ended_at, s.end_reason,
                   (SELECT id FROM patients WHERE subject = $2), (SELECT id FROM providers WHERE subject = $2)
            FROM (SELECT 1) AS one LEFT JOIN sessions s ON s.session_id = $1
            """, connection))
        {
            read.Parameters.Add(new() { Value = sessionId });
            read.Parameters.Add(new() { Value = subject });
            await using var reader = await read.ExecuteReaderAsync(cancellationToken);
            await reader.ReadAsync(cancellationToken);
            http.Items[typeof(CallerRecords)] = new CallerRecords(
                reader.IsDBNull(4) ? null : reader.GetGuid(4), reader.IsDBNull(5) ? null : reader.GetGuid(5));
            if (!reader.IsDBNull(0))
            {
                var owner = reader.GetString(0);
                var lastSeen = reader.GetFieldValue<DateTimeOffset>(1);
                var endReason = reader.IsDBNull(2) ? null : reader.GetString(3);
                await reader.CloseAsync();
                if (owner != subject)
                {
                    return Invalid;
                }

                if (endReason is not null)
                {
                    return endReason == "logout" ? Ended : Expired;
                }

                if (now - lastSeen > IdleTimeout)
                {
                    await ExecuteAsync(connection, "UPDATE sessions SET ended_at = $2, end_reason = 'idle' WHERE session_id = $1 AND ended_at IS NULL", sessionId, now, cancellationToken);
                    return Expired;
                }

                if (now - lastSeen > TouchEvery)
                {
                    await ExecuteAsync(connection, "UPDATE sessions SET last_seen_at = $2 WHERE session_id = $1 AND last_seen_at < $2", sessionId, now, cancellationToken);
                }

                return null;
            }
        }

        await using var insert = new NpgsqlCommand(
            "INSERT INTO sessions (session_id, subject, started_at, last_seen_at) VALUES ($1, $2, $3, $3) ON CONFLICT (session_id) DO NOTHING", connection);
        insert.Parameters.Add(new() { Value = sessionId });
        insert.Parameters.Add(new() { Value = subject });
        insert.Parameters.Add(new() { Value = now });
        await insert.ExecuteNonQueryAsync(cancellationToken);
        return null;
    }

    /// <summary>Ends the session now: its token is refused from the next request on.</summary>
    public async Task<bool> EndAsync(string sessionId, string subject, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            "UPDATE sessions SET ended_at = $2, end_reason = 'logout' WHERE session_id = $1 AND subject = $3 AND ended_at IS NULL");
        command.Parameters.Add(new() { Value = sessionId });
        command.Parameters.Add(new() { Value = clock.GetUtcNow() });
        command.Parameters.Add(new() { Value = subject });
        return await command.ExecuteNonQueryAsync(cancellationToken) == 1;
    }

    private static async Task ExecuteAsync(NpgsqlConnection connection, string sql, string sessionId, DateTimeOffset now, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        command.Parameters.Add(new() { Value = sessionId });
        command.Parameters.Add(new() { Value = now });
        await command.ExecuteNonQueryAsync(cancellationToken);
    }
}
