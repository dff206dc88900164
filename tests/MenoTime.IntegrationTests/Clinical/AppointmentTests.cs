using System.Net;
using System.Net.Http.Json;
using Npgsql;
using static MenoTime.IntegrationTests.Clinical.Clinic;

namespace MenoTime.IntegrationTests.Clinical;

public sealed class AppointmentTests(MenoTimeGraph graph)
{
    private readonly Clinic _clinic = new(graph);

    [Fact]
    public async Task Concurrent_bookings_of_one_slot_give_exactly_one_201_and_the_others_409()
    {
        var provider = await _clinic.NewProviderAsync();
        var patients = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => _clinic.NewPatientAsync()));
        var slot = FutureSlot(5, 9);

        var responses = await Task.WhenAll(patients.Select(p =>
            p.Client.PostAsJsonAsync("/api/v1/appointments", new { providerId = provider.Id, startsAt = slot }, Cancellation)));

        Assert.Single(responses, r => r.StatusCode == HttpStatusCode.Created);
        Assert.All(responses.Where(r => r.StatusCode != HttpStatusCode.Created), r => Assert.Equal(HttpStatusCode.Conflict, r.StatusCode));
        foreach (var conflict in responses.Where(r => r.StatusCode == HttpStatusCode.Conflict))
        {
            await ExpectProblem(HttpStatusCode.Conflict, conflict, "slot-taken");
        }

        await using var connection = new NpgsqlConnection(graph.ConnectionString);
        await connection.OpenAsync(Cancellation);
        await using var count = new NpgsqlCommand("SELECT count(*) FROM appointments WHERE provider_id = $1 AND status = 'booked'", connection);
        count.Parameters.Add(new() { Value = provider.Id });
        Assert.Equal(1L, await count.ExecuteScalarAsync(Cancellation));
    }

    [Fact]
    public async Task Booking_returns_the_appointment_in_utc_and_in_the_zone_it_was_booked_in_and_assigns_the_provider()
    {
        var provider = await _clinic.NewProviderAsync("Europe/Berlin", "09:00", "17:00");
        var patient = await _clinic.NewPatientAsync();
        var slots = await Expect(HttpStatusCode.OK, await patient.Client.GetAsync(
            $"/api/v1/providers/{provider.Id}/slots?from={Uri.EscapeDataString(FutureSlot(4, 0).ToString("O"))}&to={Uri.EscapeDataString(FutureSlot(5, 0).ToString("O"))}", Cancellation));
        var first = slots.EnumerateArray().First();
        Assert.EndsWith("T09:00", first.GetProperty("localStart").GetString(), StringComparison.Ordinal);

        var booked = await Expect(HttpStatusCode.Created, await patient.Client.PostAsJsonAsync("/api/v1/appointments",
            new { providerId = provider.Id, startsAt = first.GetProperty("startsAt").GetDateTimeOffset() }, Cancellation));

        Assert.Equal("booked", booked.GetProperty("status").GetString());
        Assert.Equal("Europe/Berlin", booked.GetProperty("timeZone").GetString());
        Assert.Equal(first.GetProperty("localStart").GetString(), booked.GetProperty("localStart").GetString());
        Assert.Equal(TimeSpan.FromMinutes(30), booked.GetProperty("endsAt").GetDateTimeOffset() - booked.GetProperty("startsAt").GetDateTimeOffset());
        await Expect(HttpStatusCode.OK, await provider.Client.GetAsync($"/api/v1/patients/{patient.Id}", Cancellation));
    }

    [Fact]
    public async Task A_time_that_is_not_a_slot_or_is_past_is_refused_with_422()
    {
        var provider = await _clinic.NewProviderAsync("UTC", "09:00", "12:00");
        var patient = await _clinic.NewPatientAsync();

        var offHours = await patient.Client.PostAsJsonAsync("/api/v1/appointments", new { providerId = provider.Id, startsAt = FutureSlot(3, 20) }, Cancellation);
        var misaligned = await patient.Client.PostAsJsonAsync("/api/v1/appointments", new { providerId = provider.Id, startsAt = FutureSlot(3, 9).AddMinutes(10) }, Cancellation);
        var past = await patient.Client.PostAsJsonAsync("/api/v1/appointments", new { providerId = provider.Id, startsAt = FutureSlot(-2, 9) }, Cancellation);

        await ExpectProblem(HttpStatusCode.UnprocessableEntity, offHours, "not-a-slot");
        await ExpectProblem(HttpStatusCode.UnprocessableEntity, misaligned, "not-a-slot");
        await ExpectProblem(HttpStatusCode.UnprocessableEntity, past, "slot-in-past");
    }

    [Fact]
    public async Task A_patient_cannot_book_for_another_patient()
    {
        var provider = await _clinic.NewProviderAsync();
        var ann = await _clinic.NewPatientAsync();
        var bea = await _clinic.NewPatientAsync();

        var response = await ann.Client.PostAsJsonAsync("/api/v1/appointments", new { providerId = provider.Id, patientId = bea.Id, startsAt = FutureSlot(3) }, Cancellation);

        await ExpectProblem(HttpStatusCode.NotFound, response);
    }

    [Fact]
    public async Task Rescheduling_moves_to_a_free_slot_and_frees_the_old_one()
    {
        var provider = await _clinic.NewProviderAsync();
        var patient = await _clinic.NewPatientAsync();
        var other = await _clinic.NewPatientAsync();
        var created = await patient.Client.PostAsJsonAsync("/api/v1/appointments", new { providerId = provider.Id, startsAt = FutureSlot(6, 10) }, Cancellation);
        var id = (await Expect(HttpStatusCode.Created, created)).GetProperty("id").GetGuid();
        var etag = created.Headers.ETag!.ToString();

        var moved = await Expect(HttpStatusCode.OK, await patient.Client.SendAsync(
            Json(HttpMethod.Patch, $"/api/v1/appointments/{id}", new { startsAt = FutureSlot(6, 11) }, etag), Cancellation));

        Assert.Equal(FutureSlot(6, 11), moved.GetProperty("startsAt").GetDateTimeOffset());
        await Expect(HttpStatusCode.Created, await other.Client.PostAsJsonAsync("/api/v1/appointments", new { providerId = provider.Id, startsAt = FutureSlot(6, 10) }, Cancellation));
        await ExpectProblem(HttpStatusCode.Conflict, await other.Client.PostAsJsonAsync("/api/v1/appointments", new { providerId = provider.Id, startsAt = FutureSlot(6, 11) }, Cancellation), "slot-taken");
    }

    [Fact]
    public async Task Cancelling_needs_a_reason_frees_the_slot_and_closes_the_appointment()
    {
        var provider = await _clinic.NewProviderAsync();
        var patient = await _clinic.NewPatientAsync();
        var created = await patient.Client.PostAsJsonAsync("/api/v1/appointments", new { providerId = provider.Id, startsAt = FutureSlot(7, 10) }, Cancellation);
        var id = (await Expect(HttpStatusCode.Created, created)).GetProperty("id").GetGuid();
        var etag = created.Headers.ETag!.ToString();
        var url = $"/api/v1/appointments/{id}";

        var noReason = await patient.Client.SendAsync(Json(HttpMethod.Patch, url, new { status = "cancelled" }, etag), Cancellation);
        var cancelled = await patient.Client.SendAsync(Json(HttpMethod.Patch, url, new { status = "cancelled", cancelReason = "travelling" }, etag), Cancellation);
        var body = await Expect(HttpStatusCode.OK, cancelled);
        var again = await patient.Client.SendAsync(Json(HttpMethod.Patch, url, new { startsAt = FutureSlot(7, 12) }, cancelled.Headers.ETag!.ToString()), Cancellation);

        await ExpectProblem(HttpStatusCode.BadRequest, noReason, "validation");
        Assert.Equal("cancelled", body.GetProperty("status").GetString());
        Assert.Equal("travelling", body.GetProperty("cancelReason").GetString());
        await ExpectProblem(HttpStatusCode.Conflict, again, "appointment-closed");
        await Expect(HttpStatusCode.Created, await patient.Client.PostAsJsonAsync("/api/v1/appointments", new { providerId = provider.Id, startsAt = FutureSlot(7, 10) }, Cancellation));
    }

    [Fact]
    public async Task Only_the_provider_records_an_outcome_and_not_before_the_start()
    {
        var provider = await _clinic.NewProviderAsync();
        var patient = await _clinic.NewPatientAsync();
        var created = await patient.Client.PostAsJsonAsync("/api/v1/appointments", new { providerId = provider.Id, startsAt = FutureSlot(8, 10) }, Cancellation);
        var id = (await Expect(HttpStatusCode.Created, created)).GetProperty("id").GetGuid();
        var etag = created.Headers.ETag!.ToString();

        var byPatient = await patient.Client.SendAsync(Json(HttpMethod.Patch, $"/api/v1/appointments/{id}", new { status = "completed" }, etag), Cancellation);
        var early = await provider.Client.SendAsync(Json(HttpMethod.Patch, $"/api/v1/appointments/{id}", new { status = "no_show" }, etag), Cancellation);

        await ExpectProblem(HttpStatusCode.Forbidden, byPatient);
        await ExpectProblem(HttpStatusCode.UnprocessableEntity, early, "appointment-not-started");
    }

    [Fact]
    public async Task Lists_by_patient_and_by_provider_page_in_start_order()
    {
        var provider = await _clinic.NewProviderAsync();
        var patient = await _clinic.NewPatientAsync();
        var starts = Enumerable.Range(0, 5).Select(i => FutureSlot(9, 8 + i)).ToList();
        foreach (var start in starts.AsEnumerable().Reverse())
        {
            await Expect(HttpStatusCode.Created, await patient.Client.PostAsJsonAsync("/api/v1/appointments", new { providerId = provider.Id, startsAt = start }, Cancellation));
        }

        var seen = new List<DateTimeOffset>();
        string? cursor = null;
        do
        {
            var page = await Expect(HttpStatusCode.OK, await provider.Client.GetAsync(
                $"/api/v1/appointments?providerId={provider.Id}&limit=2" + (cursor is null ? "" : $"&cursor={cursor}"), Cancellation));
            seen.AddRange(page.GetProperty("items").EnumerateArray().Select(a => a.GetProperty("startsAt").GetDateTimeOffset()));
            cursor = page.TryGetProperty("nextCursor", out var next) ? next.GetString() : null;
        }
        while (cursor is not null);

        Assert.Equal(starts, seen);
        var mine = await Expect(HttpStatusCode.OK, await patient.Client.GetAsync($"/api/v1/appointments?patientId={patient.Id}", Cancellation));
        Assert.Equal(5, mine.GetProperty("items").GetArrayLength());
        var stranger = await _clinic.NewPatientAsync();
        await ExpectProblem(HttpStatusCode.NotFound, await stranger.Client.GetAsync($"/api/v1/appointments?patientId={patient.Id}", Cancellation));
        await ExpectProblem(HttpStatusCode.NotFound, await stranger.Client.GetAsync($"/api/v1/appointments?providerId={provider.Id}", Cancellation));
    }
}
