using System.Net;
using System.Net.Http.Json;
using static MenoTime.IntegrationTests.Clinical.Clinic;

namespace MenoTime.IntegrationTests.Clinical;

public sealed class NoteTests(MenoTimeGraph graph)
{
    private readonly Clinic _clinic = new(graph);

    private async Task<(Party Patient, Party Provider)> AssignedPairAsync()
    {
        var patient = await _clinic.NewPatientAsync();
        var provider = await _clinic.NewProviderAsync();
        await Expect(HttpStatusCode.Created, await patient.Client.PostAsJsonAsync("/api/v1/appointments", new { providerId = provider.Id, startsAt = FutureSlot(4) }, Cancellation));
        return (patient, provider);
    }

    [Fact]
    public async Task Only_an_assigned_provider_writes_notes_and_the_patient_reads_the_shared_ones()
    {
        var (patient, provider) = await AssignedPairAsync();
        var url = $"/api/v1/patients/{patient.Id}/notes";

        var byPatient = await patient.Client.PostAsJsonAsync(url, new { content = "I feel better" }, Cancellation);
        await Expect(HttpStatusCode.Created, await provider.Client.PostAsJsonAsync(url, new { content = "Discussed HRT options.", sharedWithPatient = true }, Cancellation));
        await Expect(HttpStatusCode.Created, await provider.Client.PostAsJsonAsync(url, new { content = "Consider referral.", sharedWithPatient = false }, Cancellation));

        await ExpectProblem(HttpStatusCode.NotFound, byPatient);
        var seenByPatient = await Expect(HttpStatusCode.OK, await patient.Client.GetAsync(url, Cancellation));
        var seenByProvider = await Expect(HttpStatusCode.OK, await provider.Client.GetAsync(url, Cancellation));
        Assert.Equal(["Discussed HRT options."], seenByPatient.GetProperty("items").EnumerateArray().Select(n => n.GetProperty("content").GetString()));
        Assert.Equal(2, seenByProvider.GetProperty("items").GetArrayLength());
    }

    [Fact]
    public async Task An_admin_reads_no_clinical_notes()
    {
        var (patient, provider) = await AssignedPairAsync();
        await Expect(HttpStatusCode.Created, await provider.Client.PostAsJsonAsync($"/api/v1/patients/{patient.Id}/notes", new { content = "Private." }, Cancellation));
        using var admin = await _clinic.AdminAsync();

        await ExpectProblem(HttpStatusCode.NotFound, await admin.GetAsync($"/api/v1/patients/{patient.Id}/notes", Cancellation));
        await Expect(HttpStatusCode.OK, await admin.GetAsync($"/api/v1/patients/{patient.Id}", Cancellation));
    }

    [Fact]
    public async Task Every_edit_is_kept_as_a_version_and_a_stale_edit_is_refused()
    {
        var (patient, provider) = await AssignedPairAsync();
        var created = await provider.Client.PostAsJsonAsync($"/api/v1/patients/{patient.Id}/notes", new { content = "v1" }, Cancellation);
        var noteUrl = $"/api/v1/patients/{patient.Id}/notes/{(await Expect(HttpStatusCode.Created, created)).GetProperty("id").GetGuid()}";
        var v1 = created.Headers.ETag!.ToString();

        var edited = await provider.Client.SendAsync(Json(HttpMethod.Put, noteUrl, new { content = "v2", sharedWithPatient = true }, v1), Cancellation);
        var stale = await provider.Client.SendAsync(Json(HttpMethod.Put, noteUrl, new { content = "v2 by someone else" }, v1), Cancellation);
        var versions = await Expect(HttpStatusCode.OK, await provider.Client.GetAsync($"{noteUrl}/versions", Cancellation));

        Assert.Equal(2, (await Expect(HttpStatusCode.OK, edited)).GetProperty("version").GetInt32());
        await ExpectProblem(HttpStatusCode.PreconditionFailed, stale, "stale-etag");
        Assert.Equal(["v1", "v2"], versions.EnumerateArray().Select(v => v.GetProperty("content").GetString()));
        // The patient reads the shared current text, not its history.
        Assert.Equal("v2", (await Expect(HttpStatusCode.OK, await patient.Client.GetAsync(noteUrl, Cancellation))).GetProperty("content").GetString());
        await ExpectProblem(HttpStatusCode.NotFound, await patient.Client.GetAsync($"{noteUrl}/versions", Cancellation));
    }

    [Fact]
    public async Task A_note_is_deleted_softly_with_a_reason_and_disappears_from_reads()
    {
        var (patient, provider) = await AssignedPairAsync();
        var created = await provider.Client.PostAsJsonAsync($"/api/v1/patients/{patient.Id}/notes", new { content = "Wrong patient." }, Cancellation);
        var noteUrl = $"/api/v1/patients/{patient.Id}/notes/{(await Expect(HttpStatusCode.Created, created)).GetProperty("id").GetGuid()}";
        var etag = created.Headers.ETag!.ToString();

        var withoutReason = await provider.Client.SendAsync(Json(HttpMethod.Delete, noteUrl, new { }, etag), Cancellation);
        var deleted = await provider.Client.SendAsync(Json(HttpMethod.Delete, noteUrl, new { reason = "entered in error" }, etag), Cancellation);

        await ExpectProblem(HttpStatusCode.BadRequest, withoutReason, "validation");
        await Expect(HttpStatusCode.NoContent, deleted);
        await ExpectProblem(HttpStatusCode.NotFound, await provider.Client.GetAsync(noteUrl, Cancellation));
        // Kept, with who, when and why.
        await using var connection = new Npgsql.NpgsqlConnection(graph.ConnectionString);
        await connection.OpenAsync(Cancellation);
        await using var command = new Npgsql.NpgsqlCommand("SELECT deleted_reason, deleted_by FROM clinical_notes WHERE id = $1", connection);
        command.Parameters.Add(new() { Value = Guid.Parse(noteUrl[(noteUrl.LastIndexOf('/') + 1)..]) });
        await using var reader = await command.ExecuteReaderAsync(Cancellation);
        Assert.True(await reader.ReadAsync(Cancellation));
        Assert.Equal("entered in error", reader.GetString(0));
        Assert.Equal(provider.Subject, reader.GetString(1));
    }
}
