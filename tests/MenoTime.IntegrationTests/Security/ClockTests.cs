using System.Net;
using System.Net.Http.Json;
using MenoTime.AppHost.Hosting.Testing;
using MenoTime.IntegrationTests.Clinical;
using static MenoTime.IntegrationTests.Clinical.Clinic;

namespace MenoTime.IntegrationTests.Security;

/// <summary>Safeguards that depend on time passing: the services' clock is moved, not waited for.</summary>
[Collection(SerialOnSharedGraph.Name)]
public sealed class ClockTests(MenoTimeGraph graph)
{
    private readonly Clinic _clinic = new(graph);

    [Fact]
    public async Task A_session_idle_for_15_minutes_is_refused_though_its_token_is_still_valid()
    {
        var patient = await _clinic.NewPatientAsync();
        var idle = await _clinic.ClientAsync(patient.Subject, "patient");
        await Expect(HttpStatusCode.OK, await idle.GetAsync("/api/v1/patients/me", Cancellation));
        await Expect(HttpStatusCode.OK, await patient.Client.GetAsync("/api/v1/patients/me", Cancellation));

        // 14 minutes of quiet, then activity on one session only: it goes on, and counts from now.
        graph.App.AdvanceClock(TimeSpan.FromMinutes(14));
        await Expect(HttpStatusCode.OK, await patient.Client.GetAsync("/api/v1/patients/me", Cancellation));
        graph.App.AdvanceClock(TimeSpan.FromMinutes(2));

        var refused = await idle.GetAsync("/api/v1/patients/me", Cancellation);
        var active = await patient.Client.GetAsync("/api/v1/patients/me", Cancellation);

        await ExpectProblem(HttpStatusCode.Unauthorized, refused, "session-expired");
        await Expect(HttpStatusCode.OK, active);
        // Expired stays expired, even with activity afterwards.
        await ExpectProblem(HttpStatusCode.Unauthorized, await idle.GetAsync("/api/v1/patients/me", Cancellation), "session-expired");
    }

    [Fact]
    public async Task Break_glass_access_ends_after_60_minutes()
    {
        var patient = await _clinic.NewPatientAsync();
        var provider = await _clinic.NewProviderAsync();
        await Expect(HttpStatusCode.Created, await provider.Client.PostAsJsonAsync(
            $"/api/v1/patients/{patient.Id}/emergency-access", new { reason = "Collapsed in clinic; checking current HRT." }, Cancellation));
        await Expect(HttpStatusCode.OK, await provider.Client.GetAsync($"/api/v1/patients/{patient.Id}/medications", Cancellation));

        // Keep the provider's session alive across the hour: a request every 10 minutes.
        for (var minutes = 0; minutes < 60; minutes += 10)
        {
            graph.App.AdvanceClock(TimeSpan.FromMinutes(10));
            await provider.Client.GetAsync("/api/v1/providers", Cancellation);
        }

        graph.App.AdvanceClock(TimeSpan.FromMinutes(1));
        await ExpectProblem(HttpStatusCode.NotFound, await provider.Client.GetAsync($"/api/v1/patients/{patient.Id}/medications", Cancellation));
    }
}
