using System.Net;
using static MenoTime.IntegrationTests.Clinical.Clinic;

namespace MenoTime.IntegrationTests.Clinical;

/// <summary>Slots in the provider's zone across DST changes (Europe/London in 2027: 28 March and 31 October).</summary>
public sealed class SlotTests(MenoTimeGraph graph)
{
    private readonly Clinic _clinic = new(graph);

    [Fact]
    public async Task On_the_spring_forward_night_no_slot_starts_in_the_missing_hour()
    {
        var provider = await _clinic.NewProviderAsync("Europe/London", "00:00", "04:00");

        var slots = await SlotsAsync(provider, "2027-03-28T00:00:00Z", "2027-03-28T06:00:00Z");

        // 00:00-04:00 local is 3 real hours that night: 00:00 and 00:30 GMT, then 02:00 .. 03:30 BST.
        Assert.Equal(["2027-03-28T00:00", "2027-03-28T00:30", "2027-03-28T02:00", "2027-03-28T02:30", "2027-03-28T03:00", "2027-03-28T03:30"], slots.Select(s => s.Local));
        Assert.Equal(DateTimeOffset.Parse("2027-03-28T01:00:00Z", System.Globalization.CultureInfo.InvariantCulture), slots[2].Start);
    }

    [Fact]
    public async Task On_the_fall_back_night_the_repeated_hour_has_its_slots_twice()
    {
        var provider = await _clinic.NewProviderAsync("Europe/London", "00:00", "04:00");

        var slots = await SlotsAsync(provider, "2027-10-30T22:00:00Z", "2027-10-31T06:00:00Z");

        // 00:00-04:00 local is 5 real hours: 01:00 and 01:30 happen in BST and again in GMT.
        Assert.Equal(10, slots.Count);
        Assert.Equal(2, slots.Count(s => s.Local == "2027-10-31T01:00"));
        Assert.Equal(slots.Select(s => s.Start).Distinct().Count(), slots.Count);
        Assert.All(slots.Zip(slots.Skip(1)), pair => Assert.Equal(TimeSpan.FromMinutes(30), pair.Second.Start - pair.First.Start));
    }

    [Fact]
    public async Task Summer_hours_are_offset_from_utc_and_time_off_and_bookings_are_left_out()
    {
        var provider = await _clinic.NewProviderAsync("Europe/London", "09:00", "11:00");
        using (var request = Json(HttpMethod.Put, $"/api/v1/providers/{provider.Id}/availability", new
        {
            weeklyHours = Enumerable.Range(1, 7).Select(d => new { dayOfWeek = d, start = "09:00", end = "11:00" }),
            timeOff = new object[] { new { date = "2027-07-06", start = "10:00", end = "10:30" }, new { date = "2027-07-07" } },
        }))
        {
            await Expect(HttpStatusCode.OK, await provider.Client.SendAsync(request, Cancellation));
        }

        var patient = await _clinic.NewPatientAsync();
        await Expect(HttpStatusCode.Created, await patient.Client.PostAsync("/api/v1/appointments",
            System.Net.Http.Json.JsonContent.Create(new { providerId = provider.Id, startsAt = "2027-07-06T08:30:00Z" }), Cancellation));

        var slots = await SlotsAsync(provider, "2027-07-06T00:00:00Z", "2027-07-08T00:00:00Z");

        // 09:00 BST is 08:00 UTC; 09:30 is booked; 10:00 is time off; the 7th is a day off.
        Assert.Equal(["2027-07-06T09:00", "2027-07-06T10:30"], slots.Select(s => s.Local));
        Assert.Equal(DateTimeOffset.Parse("2027-07-06T08:00:00Z", System.Globalization.CultureInfo.InvariantCulture), slots[0].Start);
    }

    [Fact]
    public async Task A_range_longer_than_31_days_or_reversed_is_refused()
    {
        var provider = await _clinic.NewProviderAsync();

        var tooLong = await provider.Client.GetAsync($"/api/v1/providers/{provider.Id}/slots?from=2027-01-01T00:00:00Z&to=2027-03-01T00:00:00Z", Cancellation);
        var reversed = await provider.Client.GetAsync($"/api/v1/providers/{provider.Id}/slots?from=2027-01-02T00:00:00Z&to=2027-01-01T00:00:00Z", Cancellation);

        await ExpectProblem(HttpStatusCode.BadRequest, tooLong, "validation");
        await ExpectProblem(HttpStatusCode.BadRequest, reversed, "validation");
    }

    private static async Task<List<(DateTimeOffset Start, string Local)>> SlotsAsync(Party provider, string from, string to)
    {
        var slots = await Expect(HttpStatusCode.OK, await provider.Client.GetAsync($"/api/v1/providers/{provider.Id}/slots?from={from}&to={to}", Cancellation));
        return slots.EnumerateArray().Select(s => (s.GetProperty("startsAt").GetDateTimeOffset(), s.GetProperty("localStart").GetString()!)).ToList();
    }
}
