using System.Net;
using System.Net.Http.Json;
using static MenoTime.IntegrationTests.Clinical.Clinic;

namespace MenoTime.IntegrationTests.Clinical;

/// <summary>Symptoms, HRT medications and doses.</summary>
public sealed class RecordTests(MenoTimeGraph graph)
{
    private readonly Clinic _clinic = new(graph);

    [Fact]
    public async Task Symptoms_are_recorded_and_listed_newest_first_and_a_supporter_sees_them_without_notes()
    {
        var patient = await _clinic.NewPatientAsync();
        var url = $"/api/v1/patients/{patient.Id}/symptoms";
        await Expect(HttpStatusCode.Created, await patient.Client.PostAsJsonAsync(url, new { code = "hot_flush", severity = 7, occurredAt = DateTimeOffset.UtcNow.AddHours(-3), note = "after coffee\nlasted 10 min" }, Cancellation));
        await Expect(HttpStatusCode.Created, await patient.Client.PostAsJsonAsync(url, new { code = "night_sweat", severity = 4, occurredAt = DateTimeOffset.UtcNow.AddHours(-1) }, Cancellation));
        var supporterSubject = $"supporter-{Guid.NewGuid():N}";
        using var supporter = await _clinic.ClientAsync(supporterSubject, "supporter");
        await Expect(HttpStatusCode.Created, await patient.Client.PostAsJsonAsync($"/api/v1/patients/{patient.Id}/supporter-grants",
            new { supporterSubject, scopes = new[] { "symptoms" }, expiresAt = DateTimeOffset.UtcNow.AddDays(1) }, Cancellation));

        var own = await Expect(HttpStatusCode.OK, await patient.Client.GetAsync(url, Cancellation));
        var shared = await Expect(HttpStatusCode.OK, await supporter.GetAsync(url, Cancellation));

        Assert.Equal(["night_sweat", "hot_flush"], own.GetProperty("items").EnumerateArray().Select(s => s.GetProperty("code").GetString()));
        Assert.Equal("after coffee\nlasted 10 min", own.GetProperty("items")[1].GetProperty("note").GetString());
        Assert.Equal(2, shared.GetProperty("items").GetArrayLength());
        Assert.All(shared.GetProperty("items").EnumerateArray(), s => Assert.False(s.TryGetProperty("note", out _)));
        // The grant scopes symptoms only.
        await ExpectProblem(HttpStatusCode.NotFound, await supporter.GetAsync($"/api/v1/patients/{patient.Id}/medications", Cancellation));
        await ExpectProblem(HttpStatusCode.NotFound, await supporter.PostAsJsonAsync(url, new { code = "mood", severity = 1, occurredAt = DateTimeOffset.UtcNow }, Cancellation));
    }

    [Fact]
    public async Task A_symptom_outside_the_list_or_scale_is_refused()
    {
        var patient = await _clinic.NewPatientAsync();

        var response = await patient.Client.PostAsJsonAsync($"/api/v1/patients/{patient.Id}/symptoms",
            new { code = "hiccups", severity = 11, occurredAt = DateTimeOffset.UtcNow.AddDays(2) }, Cancellation);

        var errors = (await ExpectProblem(HttpStatusCode.BadRequest, response, "validation")).GetProperty("errors");
        Assert.True(errors.TryGetProperty("code", out _));
        Assert.True(errors.TryGetProperty("severity", out _));
        Assert.True(errors.TryGetProperty("occurredAt", out _));
    }

    [Fact]
    public async Task A_medication_is_prescribed_changed_with_its_etag_and_doses_are_recorded()
    {
        var patient = await _clinic.NewPatientAsync();
        var url = $"/api/v1/patients/{patient.Id}/medications";
        var created = await patient.Client.PostAsJsonAsync(url, new
        {
            drug = "Estradiol gel", dose = 0.75m, unit = "mg", route = "transdermal",
            schedule = new { times = new[] { "08:00" }, days = new[] { 1, 2, 3, 4, 5, 6, 7 } }, startDate = "2026-12-01",
        }, Cancellation);
        var medication = await Expect(HttpStatusCode.Created, created);
        var id = medication.GetProperty("id").GetGuid();

        var changed = await Expect(HttpStatusCode.OK, await patient.Client.SendAsync(
            Json(HttpMethod.Patch, $"{url}/{id}", new { schedule = new { times = new[] { "20:00", "08:00" }, days = new[] { 1, 3, 5 } } }, created.Headers.ETag!.ToString()), Cancellation));
        var dose = await Expect(HttpStatusCode.Created, await patient.Client.PostAsJsonAsync($"{url}/{id}/doses", new { status = "taken" }, Cancellation));
        var skipped = await Expect(HttpStatusCode.Created, await patient.Client.PostAsJsonAsync($"{url}/{id}/doses", new { status = "skipped", takenAt = DateTimeOffset.UtcNow.AddHours(-12) }, Cancellation));
        var doses = await Expect(HttpStatusCode.OK, await patient.Client.GetAsync($"{url}/{id}/doses", Cancellation));

        Assert.Equal(["08:00:00", "20:00:00"], changed.GetProperty("schedule").GetProperty("times").EnumerateArray().Select(t => t.GetString()));
        Assert.Equal("Estradiol gel", changed.GetProperty("drug").GetString());
        Assert.Equal([dose.GetProperty("id").GetGuid(), skipped.GetProperty("id").GetGuid()], doses.GetProperty("items").EnumerateArray().Select(d => d.GetProperty("id").GetGuid()));
    }

    [Fact]
    public async Task An_invalid_schedule_or_a_stop_before_start_is_refused_on_update_too()
    {
        var patient = await _clinic.NewPatientAsync();
        var url = $"/api/v1/patients/{patient.Id}/medications";
        var created = await patient.Client.PostAsJsonAsync(url, new
        {
            drug = "Progesterone", dose = 100, unit = "mg", route = "oral", schedule = new { times = new[] { "22:00" }, days = new[] { 1 } }, startDate = "2026-12-01",
        }, Cancellation);
        var id = (await Expect(HttpStatusCode.Created, created)).GetProperty("id").GetGuid();

        var badCreate = await patient.Client.PostAsJsonAsync(url, new { drug = "X", dose = -1, unit = "bucket", route = "oral", schedule = new { times = Array.Empty<string>(), days = new[] { 8 } }, startDate = "2026-12-01" }, Cancellation);
        var badUpdate = await patient.Client.SendAsync(Json(HttpMethod.Patch, $"{url}/{id}", new { stopDate = "2026-11-01" }, created.Headers.ETag!.ToString()), Cancellation);

        var errors = (await ExpectProblem(HttpStatusCode.BadRequest, badCreate, "validation")).GetProperty("errors");
        foreach (var field in new[] { "dose", "unit", "schedule.times", "schedule.days" })
        {
            Assert.True(errors.TryGetProperty(field, out _), field);
        }

        Assert.True((await ExpectProblem(HttpStatusCode.BadRequest, badUpdate, "validation")).GetProperty("errors").TryGetProperty("stopDate", out _));
    }
}
