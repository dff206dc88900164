using System.Net;
using System.Net.Http.Json;
using System.Text;
using MenoTime.IntegrationTests.Clinical;
using Npgsql;
using static MenoTime.IntegrationTests.Clinical.Clinic;

namespace MenoTime.IntegrationTests.Security;

/// <summary>Clinical note texts and symptom notes: envelope-encrypted with the stack's KMS key (moto locally).</summary>
public sealed class EncryptionTests(MenoTimeGraph graph)
{
    private readonly Clinic _clinic = new(graph);

    [Fact]
    public async Task The_database_never_holds_the_plaintext_of_notes_their_versions_or_symptom_notes()
    {
        var (patient, provider) = await AssignedPairAsync();
        const string first = "Hot flushes worse since stopping HRT; considering transdermal estradiol.";
        const string second = "Started transdermal estradiol 50 mcg; review in 3 months.";
        const string symptomNote = "Woke three times, soaked.";
        var created = await provider.Client.PostAsJsonAsync($"/api/v1/patients/{patient.Id}/notes", new { content = first, sharedWithPatient = true }, Cancellation);
        var noteId = (await Expect(HttpStatusCode.Created, created)).GetProperty("id").GetGuid();
        await Expect(HttpStatusCode.OK, await provider.Client.SendAsync(
            Json(HttpMethod.Put, $"/api/v1/patients/{patient.Id}/notes/{noteId}", new { content = second }, created.Headers.ETag!.ToString()), Cancellation));
        var symptom = await Expect(HttpStatusCode.Created, await patient.Client.PostAsJsonAsync(
            $"/api/v1/patients/{patient.Id}/symptoms", new { code = "night_sweat", severity = 6, occurredAt = DateTimeOffset.UtcNow, note = symptomNote }, Cancellation));

        await using var connection = new NpgsqlConnection(graph.OwnerConnectionString);
        await connection.OpenAsync(Cancellation);
        var stored = new List<(string? Plaintext, byte[]? Encrypted)>();
        foreach (var (sql, id) in new[]
        {
            ("SELECT content, content_encrypted FROM clinical_notes WHERE id = $1", noteId),
            ("SELECT content, content_encrypted FROM clinical_note_versions WHERE note_id = $1", noteId),
            ("SELECT note, note_encrypted FROM symptom_entries WHERE id = $1", symptom.GetProperty("id").GetGuid()),
        })
        {
            await using var command = new NpgsqlCommand(sql, connection);
            command.Parameters.Add(new() { Value = id });
            await using var reader = await command.ExecuteReaderAsync(Cancellation);
            while (await reader.ReadAsync(Cancellation))
            {
                stored.Add((reader.IsDBNull(0) ? null : reader.GetString(0), reader.IsDBNull(1) ? null : reader.GetFieldValue<byte[]>(1)));
            }
        }

        Assert.Equal(4, stored.Count); // the note, its two versions, the symptom
        Assert.All(stored, row =>
        {
            Assert.Null(row.Plaintext);
            Assert.NotNull(row.Encrypted);
            foreach (var text in new[] { first, second, symptomNote, "estradiol", "soaked" })
            {
                Assert.False(row.Encrypted.AsSpan().IndexOf(Encoding.UTF8.GetBytes(text)) >= 0, $"'{text}' appears in a stored blob");
            }
        });
        // And the API reads them back.
        var note = await Expect(HttpStatusCode.OK, await patient.Client.GetAsync($"/api/v1/patients/{patient.Id}/notes/{noteId}", Cancellation));
        Assert.Equal(second, note.GetProperty("content").GetString());
        var versions = await Expect(HttpStatusCode.OK, await provider.Client.GetAsync($"/api/v1/patients/{patient.Id}/notes/{noteId}/versions", Cancellation));
        Assert.Equal([first, second], versions.EnumerateArray().Select(v => v.GetProperty("content").GetString()));
        var symptoms = await Expect(HttpStatusCode.OK, await patient.Client.GetAsync($"/api/v1/patients/{patient.Id}/symptoms", Cancellation));
        Assert.Equal(symptomNote, symptoms.GetProperty("items")[0].GetProperty("note").GetString());
    }

    [Fact]
    public async Task The_rewrap_command_rewraps_every_data_key_and_the_texts_still_read()
    {
        var (patient, provider) = await AssignedPairAsync();
        var created = await Expect(HttpStatusCode.Created, await provider.Client.PostAsJsonAsync(
            $"/api/v1/patients/{patient.Id}/notes", new { content = "Before the key rotation." }, Cancellation));
        var noteId = created.GetProperty("id").GetGuid();
        var before = await BlobAsync(noteId);

        var (exitCode, output) = await graph.RunApiAsync("rewrap-fields");

        Assert.True(exitCode == 0, output);
        Assert.Contains("Re-wrapped the data keys of", output, StringComparison.Ordinal);
        Assert.NotEqual(before, await BlobAsync(noteId));
        var note = await Expect(HttpStatusCode.OK, await provider.Client.GetAsync($"/api/v1/patients/{patient.Id}/notes/{noteId}", Cancellation));
        Assert.Equal("Before the key rotation.", note.GetProperty("content").GetString());
    }

    private async Task<(Party Patient, Party Provider)> AssignedPairAsync()
    {
        var patient = await _clinic.NewPatientAsync();
        var provider = await _clinic.NewProviderAsync();
        await Expect(HttpStatusCode.Created, await patient.Client.PostAsJsonAsync("/api/v1/appointments", new { providerId = provider.Id, startsAt = FutureSlot(3) }, Cancellation));
        return (patient, provider);
    }

    private async Task<byte[]> BlobAsync(Guid noteId)
    {
        await using var connection = new NpgsqlConnection(graph.OwnerConnectionString);
        await connection.OpenAsync(Cancellation);
        await using var command = new NpgsqlCommand("SELECT content_encrypted FROM clinical_notes WHERE id = $1", connection);
        command.Parameters.Add(new() { Value = noteId });
        return (byte[])(await command.ExecuteScalarAsync(Cancellation))!;
    }
}

/// <summary>Rows stored before encryption existed are encrypted when the API starts (it restarts here: serial).</summary>
[Collection(SerialOnSharedGraph.Name)]
public sealed class LegacyPlaintextTests(MenoTimeGraph graph)
{
    private readonly Clinic _clinic = new(graph);

    [Fact]
    public async Task Plaintext_stored_before_encryption_is_encrypted_and_emptied_when_the_api_starts()
    {
        var patient = await _clinic.NewPatientAsync();
        var provider = await _clinic.NewProviderAsync();
        await Expect(HttpStatusCode.Created, await patient.Client.PostAsJsonAsync("/api/v1/appointments", new { providerId = provider.Id, startsAt = FutureSlot(3) }, Cancellation));
        var noteId = Guid.NewGuid();
        await using (var connection = new NpgsqlConnection(graph.OwnerConnectionString))
        {
            await connection.OpenAsync(Cancellation);
            foreach (var sql in new[]
            {
                "INSERT INTO clinical_notes (id, patient_id, author_subject, current_version, content, shared_with_patient, created_at, updated_at) VALUES ($1, $2, $3, 1, 'Written before encryption.', true, now(), now())",
                "INSERT INTO clinical_note_versions (note_id, version, content, shared_with_patient, edited_by, edited_at) VALUES ($1, 1, 'Written before encryption.', true, $3, now())",
            })
            {
                await using var insert = new NpgsqlCommand(sql, connection);
                insert.Parameters.Add(new() { Value = noteId });
                insert.Parameters.Add(new() { Value = patient.Id });
                insert.Parameters.Add(new() { Value = provider.Subject });
                await insert.ExecuteNonQueryAsync(Cancellation);
            }
        }

        await graph.App.RestartInstanceAsync(graph.App.GetInstances(graph.App.GetResource("api")).Single(), Cancellation);

        await using var check = new NpgsqlConnection(graph.OwnerConnectionString);
        await check.OpenAsync(Cancellation);
        for (var attempt = 0; attempt < 100; attempt++)
        {
            await using var command = new NpgsqlCommand(
                "SELECT count(*) FROM clinical_notes WHERE id = $1 AND content IS NULL AND content_encrypted IS NOT NULL", check);
            command.Parameters.Add(new() { Value = noteId });
            if ((long)(await command.ExecuteScalarAsync(Cancellation))! == 1)
            {
                break;
            }

            await Task.Delay(100, Cancellation);
        }

        await using var plaintext = new NpgsqlCommand(
            "SELECT count(*) FROM clinical_notes WHERE content IS NOT NULL UNION ALL SELECT count(*) FROM clinical_note_versions WHERE content IS NOT NULL", check);
        await using (var reader = await plaintext.ExecuteReaderAsync(Cancellation))
        {
            while (await reader.ReadAsync(Cancellation))
            {
                Assert.Equal(0L, reader.GetInt64(0));
            }
        }

        using var client = await _clinic.ClientAsync(patient.Subject, "patient"); // the restart ended no session, but a fresh client is simplest
        var note = await Expect(HttpStatusCode.OK, await client.GetAsync($"/api/v1/patients/{patient.Id}/notes/{noteId}", Cancellation));
        Assert.Equal("Written before encryption.", note.GetProperty("content").GetString());
    }
}
