using System.Net;
using System.Net.Http.Json;
using static MenoTime.IntegrationTests.Clinical.Clinic;

namespace MenoTime.IntegrationTests.Clinical;

public sealed class PatientTests(MenoTimeGraph graph)
{
    private readonly Clinic _clinic = new(graph);

    [Fact]
    public async Task A_patient_creates_their_own_profile_and_reads_it_back_as_me()
    {
        var patient = await _clinic.NewPatientAsync("America/New_York");

        var me = await Expect(HttpStatusCode.OK, await patient.Client.GetAsync("/api/v1/patients/me", Cancellation));

        Assert.Equal(patient.Id, me.GetProperty("id").GetGuid());
        Assert.Equal("America/New_York", me.GetProperty("timeZone").GetString());
        Assert.True(me.GetProperty("hasLogin").GetBoolean());
        Assert.Equal([1440, 60], me.GetProperty("reminderLeadMinutes").EnumerateArray().Select(e => e.GetInt32()));
    }

    [Fact]
    public async Task A_second_profile_for_the_same_login_is_a_conflict()
    {
        var patient = await _clinic.NewPatientAsync();

        var again = await patient.Client.PostAsJsonAsync("/api/v1/patients",
            new { givenName = "Ann", familyName = "Lee", dateOfBirth = "1971-05-04", email = "again@example.test", timeZone = "UTC" }, Cancellation);

        await ExpectProblem(HttpStatusCode.Conflict, again, "patient-exists");
    }

    [Fact]
    public async Task Invalid_fields_are_all_reported_with_their_names_and_nothing_is_created()
    {
        var client = await _clinic.ClientAsync($"patient-{Guid.NewGuid():N}", "patient");

        var response = await client.PostAsJsonAsync("/api/v1/patients",
            new { givenName = "", familyName = "Lee", dateOfBirth = "2999-01-01", email = "not-an-email", timeZone = "Mars/Olympus_Mons" }, Cancellation);

        var problem = await ExpectProblem(HttpStatusCode.BadRequest, response, "validation");
        var errors = problem.GetProperty("errors");
        foreach (var field in new[] { "givenName", "dateOfBirth", "email", "timeZone" })
        {
            Assert.True(errors.TryGetProperty(field, out _), $"an error for {field}: {errors}");
        }

        await ExpectProblem(HttpStatusCode.NotFound, await client.GetAsync("/api/v1/patients/me", Cancellation));
    }

    [Fact]
    public async Task A_patient_cannot_set_the_login_link_of_a_record()
    {
        var client = await _clinic.ClientAsync($"patient-{Guid.NewGuid():N}", "patient");

        var response = await client.PostAsJsonAsync("/api/v1/patients",
            new { givenName = "Ann", familyName = "Lee", dateOfBirth = "1971-05-04", email = "a@example.test", timeZone = "UTC", subject = "someone-else" }, Cancellation);

        var problem = await ExpectProblem(HttpStatusCode.BadRequest, response, "validation");
        Assert.True(problem.GetProperty("errors").TryGetProperty("subject", out _));
    }

    [Fact]
    public async Task A_patient_reading_another_patients_record_gets_404_and_none_of_its_contents()
    {
        var ann = await _clinic.NewPatientAsync();
        var bea = await _clinic.NewPatientAsync();

        var response = await ann.Client.GetAsync($"/api/v1/patients/{bea.Id}", Cancellation);

        var problem = await ExpectProblem(HttpStatusCode.NotFound, response, "not-found");
        Assert.DoesNotContain(bea.Subject, problem.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain("dateOfBirth", problem.ToString(), StringComparison.Ordinal);
        // Exactly as for a record that does not exist.
        await ExpectProblem(HttpStatusCode.NotFound, await ann.Client.GetAsync($"/api/v1/patients/{Guid.NewGuid()}", Cancellation), "not-found");
    }

    [Fact]
    public async Task An_unassigned_provider_gets_404_and_an_assigned_one_reads_the_record()
    {
        var patient = await _clinic.NewPatientAsync();
        var provider = await _clinic.NewProviderAsync();
        await ExpectProblem(HttpStatusCode.NotFound, await provider.Client.GetAsync($"/api/v1/patients/{patient.Id}", Cancellation));

        using var admin = await _clinic.AdminAsync();
        await Expect(HttpStatusCode.Created, await admin.PostAsJsonAsync($"/api/v1/patients/{patient.Id}/assignments", new { providerId = provider.Id }, Cancellation));

        var record = await Expect(HttpStatusCode.OK, await provider.Client.GetAsync($"/api/v1/patients/{patient.Id}", Cancellation));
        Assert.Equal(patient.Id, record.GetProperty("id").GetGuid());
    }

    [Fact]
    public async Task An_admin_registers_a_patient_linked_to_a_login_which_then_finds_it_as_me()
    {
        using var admin = await _clinic.AdminAsync();
        var subject = $"patient-{Guid.NewGuid():N}";

        var created = await Expect(HttpStatusCode.Created, await admin.PostAsJsonAsync("/api/v1/patients",
            new { givenName = "Cy", familyName = "Ng", dateOfBirth = "1969-01-02", email = "cy@example.test", timeZone = "Asia/Tokyo", subject }, Cancellation));

        using var patient = await _clinic.ClientAsync(subject, "patient");
        var me = await Expect(HttpStatusCode.OK, await patient.GetAsync("/api/v1/patients/me", Cancellation));
        Assert.Equal(created.GetProperty("id").GetGuid(), me.GetProperty("id").GetGuid());
    }

    [Fact]
    public async Task Updates_need_the_current_etag_missing_is_428_stale_is_412()
    {
        var patient = await _clinic.NewPatientAsync();
        var read = await patient.Client.GetAsync($"/api/v1/patients/{patient.Id}", Cancellation);
        var etag = read.Headers.ETag!.ToString();
        var url = $"/api/v1/patients/{patient.Id}";

        await ExpectProblem(HttpStatusCode.PreconditionRequired, await patient.Client.SendAsync(Json(HttpMethod.Patch, url, new { familyName = "Park" }), Cancellation), "if-match-required");
        var updated = await patient.Client.SendAsync(Json(HttpMethod.Patch, url, new { familyName = "Park", emailRemindersConsent = true }, etag), Cancellation);
        var body = await Expect(HttpStatusCode.OK, updated);
        await ExpectProblem(HttpStatusCode.PreconditionFailed, await patient.Client.SendAsync(Json(HttpMethod.Patch, url, new { familyName = "Kim" }, etag), Cancellation), "stale-etag");

        Assert.Equal("Park", body.GetProperty("familyName").GetString());
        Assert.True(body.GetProperty("emailRemindersConsent").GetBoolean());
        Assert.NotEqual(etag, updated.Headers.ETag!.ToString());
        var current = await Expect(HttpStatusCode.OK, await patient.Client.GetAsync(url, Cancellation));
        Assert.Equal("Park", current.GetProperty("familyName").GetString());
    }

    [Fact]
    public async Task A_patch_changes_only_the_fields_it_names_and_null_clears_quiet_hours()
    {
        var patient = await _clinic.NewPatientAsync();
        var url = $"/api/v1/patients/{patient.Id}";
        var etag = (await patient.Client.GetAsync(url, Cancellation)).Headers.ETag!.ToString();
        var withQuiet = await patient.Client.SendAsync(Json(HttpMethod.Patch, url, new { quietHours = new { start = "22:00", end = "07:00" } }, etag), Cancellation);
        etag = withQuiet.Headers.ETag!.ToString();
        Assert.Equal("22:00:00", (await Expect(HttpStatusCode.OK, withQuiet)).GetProperty("quietHours").GetProperty("start").GetString());

        var cleared = await Expect(HttpStatusCode.OK, await patient.Client.SendAsync(Json(HttpMethod.Patch, url, new { quietHours = (object?)null }, etag), Cancellation));

        Assert.False(cleared.TryGetProperty("quietHours", out _));
        Assert.Equal("Lee", cleared.GetProperty("familyName").GetString());
    }

    [Fact]
    public async Task A_supporter_with_a_grant_sees_the_name_only_and_loses_access_when_revoked()
    {
        var patient = await _clinic.NewPatientAsync();
        var supporterSubject = $"supporter-{Guid.NewGuid():N}";
        using var supporter = await _clinic.ClientAsync(supporterSubject, "supporter");
        await ExpectProblem(HttpStatusCode.NotFound, await supporter.GetAsync($"/api/v1/patients/{patient.Id}", Cancellation));

        var grant = await Expect(HttpStatusCode.Created, await patient.Client.PostAsJsonAsync($"/api/v1/patients/{patient.Id}/supporter-grants",
            new { supporterSubject, scopes = new[] { "appointments" }, expiresAt = DateTimeOffset.UtcNow.AddDays(30) }, Cancellation));
        var seen = await Expect(HttpStatusCode.OK, await supporter.GetAsync($"/api/v1/patients/{patient.Id}", Cancellation));
        Assert.Equal("Ann", seen.GetProperty("givenName").GetString());
        Assert.False(seen.TryGetProperty("dateOfBirth", out _));
        Assert.False(seen.TryGetProperty("email", out _));

        await Expect(HttpStatusCode.NoContent, await patient.Client.DeleteAsync($"/api/v1/patients/{patient.Id}/supporter-grants/{grant.GetProperty("id").GetGuid()}", Cancellation));
        await ExpectProblem(HttpStatusCode.NotFound, await supporter.GetAsync($"/api/v1/patients/{patient.Id}", Cancellation));
    }

    [Fact]
    public async Task A_provider_lists_only_their_own_patients()
    {
        var provider = await _clinic.NewProviderAsync();
        var mine = await _clinic.NewPatientAsync();
        await _clinic.NewPatientAsync();
        await Expect(HttpStatusCode.Created, await mine.Client.PostAsJsonAsync("/api/v1/appointments",
            new { providerId = provider.Id, startsAt = FutureSlot(2) }, Cancellation));

        var page = await Expect(HttpStatusCode.OK, await provider.Client.GetAsync("/api/v1/patients", Cancellation));

        Assert.Equal([mine.Id], page.GetProperty("items").EnumerateArray().Select(p => p.GetProperty("id").GetGuid()));
    }
}
