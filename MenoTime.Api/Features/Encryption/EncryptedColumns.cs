using MenoTime.Aws.FieldEncryption;
using Npgsql;

namespace MenoTime.Api.Features.Encryption;

/// <summary>
/// The encrypted text columns, for the two jobs that go over every row: encrypting the plaintext left by
/// rows older than encryption (at start-up), and re-wrapping every blob's data key after a key rotation.
/// </summary>
public sealed partial class EncryptedColumns(NpgsqlDataSource dataSource, IFieldEncryptor encryptor, ILogger<EncryptedColumns> logger)
{
    private const int BatchSize = 100;

    private sealed record Column(string Table, string[] Keys, string Plaintext, string Encrypted, Func<object[], string> Context);

    private static readonly Column[] All =
    [
        new("clinical_notes", ["id"], "content", "content_encrypted", k => SensitiveText.NoteContext((Guid)k[0])),
        new("clinical_note_versions", ["note_id", "version"], "content", "content_encrypted", k => SensitiveText.NoteVersionContext((Guid)k[0], (int)k[1])),
        new("symptom_entries", ["id"], "note", "note_encrypted", k => SensitiveText.SymptomNoteContext((Guid)k[0])),
    ];

    /// <summary>Encrypts every remaining plaintext and empties it; safe with several API instances (SKIP LOCKED).</summary>
    public async Task<int> EncryptLegacyPlaintextAsync(CancellationToken cancellationToken)
    {
        var total = 0;
        foreach (var column in All)
        {
            int done;
            do
            {
                await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
                await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
                var rows = await ReadAsync(connection, transaction,
                    $"SELECT {string.Join(", ", column.Keys)}, {column.Plaintext} FROM {column.Table} WHERE {column.Plaintext} IS NOT NULL LIMIT {BatchSize} FOR UPDATE SKIP LOCKED",
                    column.Keys.Length + 1, cancellationToken);
                foreach (var row in rows)
                {
                    var keys = row[..^1];
                    var blob = await encryptor.EncryptAsync((string)row[^1], column.Context(keys), cancellationToken);
                    await UpdateAsync(connection, transaction, $"UPDATE {column.Table} SET {column.Encrypted} = $1, {column.Plaintext} = NULL WHERE {Match(column)}", blob, keys, cancellationToken);
                }

                await transaction.CommitAsync(cancellationToken);
                done = rows.Count;
                total += done;
            }
            while (done == BatchSize);
        }

        if (total > 0)
        {
            LogEncrypted(logger, total);
        }

        return total;
    }

    /// <summary>
    /// Re-wraps the data key of every encrypted value under the current KMS key (KMS ReEncrypt: the values are
    /// not decrypted). Run after a key rotation or a move to another key: <c>dotnet MenoTime.Api.dll rewrap-fields</c>.
    /// </summary>
    public async Task<int> RewrapAllAsync(CancellationToken cancellationToken)
    {
        var total = 0;
        foreach (var column in All)
        {
            object[]? after = null;
            while (true)
            {
                await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
                var keys = string.Join(", ", column.Keys);
                var afterClause = after is null ? "" : $"AND ({keys}) > ({string.Join(", ", column.Keys.Select((_, i) => $"${i + 1}"))})";
                var rows = await ReadAsync(connection, null,
                    $"SELECT {keys}, {column.Encrypted} FROM {column.Table} WHERE {column.Encrypted} IS NOT NULL {afterClause} ORDER BY {keys} LIMIT {BatchSize}",
                    column.Keys.Length + 1, cancellationToken, after);
                if (rows.Count == 0)
                {
                    break;
                }

                foreach (var row in rows)
                {
                    var rowKeys = row[..^1];
                    var rewrapped = await encryptor.RewrapAsync((byte[])row[^1], cancellationToken);
                    // Only if nobody rewrote the value meanwhile (an edit encrypts it anew, under the current key anyway).
                    await UpdateAsync(connection, null, $"UPDATE {column.Table} SET {column.Encrypted} = $1 WHERE {Match(column)} AND {column.Encrypted} = ${column.Keys.Length + 2}",
                        rewrapped, [.. rowKeys, row[^1]], cancellationToken);
                    total++;
                }

                after = rows[^1][..^1];
            }
        }

        LogRewrapped(logger, total);
        return total;
    }

    private static string Match(Column column) => string.Join(" AND ", column.Keys.Select((k, i) => $"{k} = ${i + 2}"));

    private static async Task<List<object[]>> ReadAsync(
        NpgsqlConnection connection, NpgsqlTransaction? transaction, string sql, int fields, CancellationToken cancellationToken, object[]? parameters = null)
    {
        await using var command = new NpgsqlCommand(sql, connection, transaction);
        foreach (var parameter in parameters ?? [])
        {
            command.Parameters.Add(new() { Value = parameter });
        }

        var rows = new List<object[]>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            var row = new object[fields];
            reader.GetValues(row);
            rows.Add(row);
        }

        return rows;
    }

    private static async Task UpdateAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction, string sql, byte[] blob, object[] keys, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(sql, connection, transaction);
        command.Parameters.Add(new() { Value = blob });
        foreach (var key in keys)
        {
            command.Parameters.Add(new() { Value = key });
        }

        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Encrypted {Count} texts stored before encryption; their plaintext is gone")]
    private static partial void LogEncrypted(ILogger logger, int count);

    [LoggerMessage(Level = LogLevel.Information, Message = "Re-wrapped the data keys of {Count} encrypted texts under the current KMS key")]
    private static partial void LogRewrapped(ILogger logger, int count);
}

/// <summary>At start-up, encrypts what was stored in plaintext before encryption existed (migration 0031).</summary>
public sealed class LegacyPlaintextEncryption(EncryptedColumns columns) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken) => await columns.EncryptLegacyPlaintextAsync(stoppingToken);
}

public static class EncryptionSetup
{
    public static IHostApplicationBuilder AddSensitiveText(this IHostApplicationBuilder builder)
    {
        builder.Services.AddSingleton<SensitiveText>();
        builder.Services.AddSingleton<EncryptedColumns>();
        builder.Services.AddHostedService<LegacyPlaintextEncryption>();
        return builder;
    }
}
