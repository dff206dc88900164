using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Npgsql;

namespace MenoTime.Data.Audit;

/// <summary>Where a chain stops being intact, and why.</summary>
public sealed record BrokenLink(int Chain, long Seq, Guid? EventId, DateTimeOffset? OccurredAt, string Problem);

public sealed record AuditVerification(bool Verified, long RowsChecked, int Chains, BrokenLink? FirstBrokenLink, IReadOnlyList<BrokenLink> BrokenChains);

/// <summary>
/// Recomputes every chain of the audit trail from its genesis, independently of the database's own
/// sealing function: a row edited, removed or inserted out of band breaks its chain from that row on,
/// and a removed tail no longer matches the chain head.
/// </summary>
public static class AuditChainVerifier
{
    public static async Task<AuditVerification> VerifyAsync(NpgsqlDataSource dataSource, CancellationToken cancellationToken)
    {
        // One snapshot for heads and rows: rows keep arriving while we read, and a head and its row commit together.
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var snapshot = await connection.BeginTransactionAsync(System.Data.IsolationLevel.RepeatableRead, cancellationToken);
        var heads = new Dictionary<int, (long Seq, byte[] Hash)>();
        await using (var command = new NpgsqlCommand("SELECT chain, last_seq, last_hash FROM audit_chain_heads", connection, snapshot))
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                heads[reader.GetInt16(0)] = (reader.GetInt64(1), reader.GetFieldValue<byte[]>(2));
            }
        }

        var broken = new Dictionary<int, BrokenLink>();
        // Every chain the heads table knows, from its genesis (migration 0030 made 16, 0032 64).
        var expected = heads.Keys.ToDictionary(c => c, c => (Seq: 1L, Prev: Genesis(c)));
        long rows = 0;
        await using (var command = new NpgsqlCommand("""
            SELECT chain, seq, id, occurred_at, subject, role, session_id, action, resource_type, resource_id,
                   patient_id, status, client_ip, user_agent, trace_id, break_glass, prev_hash, hash
            FROM audit_events ORDER BY chain, seq
            """, connection, snapshot))
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                rows++;
                int chain = reader.GetInt16(0);
                var seq = reader.GetInt64(1);
                var id = reader.GetGuid(2);
                var occurredAt = reader.GetFieldValue<DateTimeOffset>(3);
                if (broken.ContainsKey(chain))
                {
                    continue; // Only the first break of a chain is reported: everything after it is suspect anyway.
                }

                if (!expected.TryGetValue(chain, out var next))
                {
                    broken[chain] = new(chain, seq, id, occurredAt, "row on an unknown chain");
                    continue;
                }

                var prev = reader.GetFieldValue<byte[]>(16);
                var hash = reader.GetFieldValue<byte[]>(17);
                var problem = seq != next.Seq ? $"sequence jumps from {next.Seq - 1} to {seq}: rows are missing"
                    : !prev.AsSpan().SequenceEqual(next.Prev) ? "previous-hash does not match the row before it"
                    : !hash.AsSpan().SequenceEqual(Hash(prev, Canonical(reader))) ? "content does not match its hash: the row was changed"
                    : null;
                if (problem is not null)
                {
                    broken[chain] = new(chain, seq, id, occurredAt, problem);
                    continue;
                }

                expected[chain] = (seq + 1, hash);
            }
        }

        foreach (var (chain, (nextSeq, last)) in expected)
        {
            if (!broken.ContainsKey(chain) && heads.TryGetValue(chain, out var head) && (head.Seq != nextSeq - 1 || !head.Hash.AsSpan().SequenceEqual(last)))
            {
                broken[chain] = new(chain, nextSeq, null, null, $"chain ends at {nextSeq - 1} but its head records {head.Seq}: rows were removed from the end");
            }
        }

        var ordered = broken.Values.OrderBy(b => b.OccurredAt ?? DateTimeOffset.MaxValue).ThenBy(b => b.Chain).ToList();
        return new AuditVerification(ordered.Count == 0, rows, heads.Count, ordered.FirstOrDefault(), ordered);
    }

    public static byte[] Genesis(int chain) => SHA256.HashData(Encoding.UTF8.GetBytes($"menotime audit chain {chain}"));

    private static byte[] Hash(byte[] prev, string canonical) => SHA256.HashData([.. prev, .. Encoding.UTF8.GetBytes(canonical)]);

    /// <summary>The same canonical text as the database's audit_canonical(): length-prefixed fields joined by '|'.</summary>
    private static string Canonical(NpgsqlDataReader row)
    {
        // PostgreSQL's length() counts characters (code points), not UTF-16 units.
        static string Counted(string? value) => $"{(value ?? "").EnumerateRunes().Count().ToString(CultureInfo.InvariantCulture)}:{value}";
        string? Text(int ordinal) => row.IsDBNull(ordinal) ? null : row.GetString(ordinal);
        var microseconds = (row.GetFieldValue<DateTimeOffset>(3).UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) / 10;
        return string.Join('|',
            row.GetInt16(0).ToString(CultureInfo.InvariantCulture),
            row.GetInt64(1).ToString(CultureInfo.InvariantCulture),
            row.GetGuid(2).ToString("D"),
            microseconds.ToString(CultureInfo.InvariantCulture),
            Counted(Text(4)),
            Counted(Text(5)),
            Counted(Text(6)),
            row.GetString(7),
            Counted(row.GetString(8)),
            Counted(Text(9)),
            row.IsDBNull(10) ? "" : row.GetGuid(10).ToString("D"),
            row.GetInt16(11).ToString(CultureInfo.InvariantCulture),
            Counted(Text(12)),
            Counted(Text(13)),
            Counted(Text(14)),
            row.GetBoolean(15) ? "t" : "f");
    }
}
