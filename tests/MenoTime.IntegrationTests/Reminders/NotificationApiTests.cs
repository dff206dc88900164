using System.Net;
using MenoTime.IntegrationTests.Clinical;
using static MenoTime.IntegrationTests.Clinical.Clinic;

namespace MenoTime.IntegrationTests.Reminders;

/// <summary>GET /api/v1/notifications on the shared graph: who sees what, paging, status history, bad input.</summary>
public sealed class NotificationApiTests(MenoTimeGraph graph) : IAsyncLifetime
{
    private readonly Clinic _clinic = new(graph);
    private ReminderStore _store = null!;

    public ValueTask InitializeAsync()
    {
        _store = new ReminderStore(graph.App);
        return ValueTask.CompletedTask;
    }

    public ValueTask DisposeAsync() => _store.DisposeAsync();

    [Fact]
    public async Task A_patient_pages_through_their_own_notifications_with_history_and_an_admin_sees_anyones()
    {
        var patient = await _clinic.NewPatientAsync();
        var other = await _clinic.NewPatientAsync();
        var later = _store.Clock.GetUtcNow().AddDays(30);
        var requests = Enumerable.Range(0, 3)
            .Select(i => _store.Appointment(ReminderStore.NewAddress("listed"), dueAt: later.AddMinutes(i)) with { PatientId = patient.Id })
            .ToList();
        foreach (var request in requests)
        {
            await _store.Outbox.EnqueueAsync(request, Cancellation);
        }

        await _store.Outbox.EnqueueAsync(_store.Appointment(ReminderStore.NewAddress("unlisted"), dueAt: later) with { PatientId = other.Id }, Cancellation);
        await _store.RetireAsync(requests[0].Target, Cancellation);

        var first = await Expect(HttpStatusCode.OK, await patient.Client.GetAsync($"/api/v1/notifications?patientId={patient.Id}&limit=2", Cancellation));
        var cursor = first.GetProperty("nextCursor").GetString()!;
        var second = await Expect(HttpStatusCode.OK, await patient.Client.GetAsync($"/api/v1/notifications?patientId={patient.Id}&limit=2&cursor={cursor}", Cancellation));
        var mine = await Expect(HttpStatusCode.OK, await patient.Client.GetAsync("/api/v1/notifications", Cancellation));

        var pages = first.GetProperty("items").EnumerateArray().Concat(second.GetProperty("items").EnumerateArray()).ToList();
        Assert.Equal(requests.Select(r => r.Target).Reverse(), pages.Select(n => n.GetProperty("target").GetString()));
        Assert.False(second.TryGetProperty("nextCursor", out _), "the last page has no next cursor");
        Assert.Equal(3, mine.GetProperty("items").GetArrayLength());
        var retired = pages[^1];
        Assert.Equal("retired", retired.GetProperty("status").GetString());
        Assert.Equal(["queued", "retired"], retired.GetProperty("history").EnumerateArray().Select(h => h.GetProperty("status").GetString()));
        // What was sent and when, never to which address.
        Assert.DoesNotContain("listed-", first.GetRawText(), StringComparison.Ordinal);

        using var admin = await _clinic.AdminAsync();
        var theirs = await Expect(HttpStatusCode.OK, await admin.GetAsync($"/api/v1/notifications?patientId={other.Id}", Cancellation));
        Assert.Single(theirs.GetProperty("items").EnumerateArray());
        var everyone = await Expect(HttpStatusCode.OK, await admin.GetAsync("/api/v1/notifications?limit=100", Cancellation));
        Assert.True(everyone.GetProperty("items").GetArrayLength() >= 4);
    }

    [Fact]
    public async Task Another_patients_notifications_are_not_found_other_roles_are_refused_and_bad_paging_is_a_400()
    {
        var patient = await _clinic.NewPatientAsync();
        var other = await _clinic.NewPatientAsync();
        var provider = await _clinic.NewProviderAsync();

        await ExpectProblem(HttpStatusCode.NotFound, await patient.Client.GetAsync($"/api/v1/notifications?patientId={other.Id}", Cancellation), "not-found");
        await ExpectProblem(HttpStatusCode.NotFound, await patient.Client.GetAsync($"/api/v1/notifications?patientId={Guid.NewGuid()}", Cancellation), "not-found");
        await ExpectProblem(HttpStatusCode.Forbidden, await provider.Client.GetAsync($"/api/v1/notifications?patientId={patient.Id}", Cancellation));
        foreach (var cursor in new[] { "bm90LWEtY3Vyc29y", "%25%25%25", "AAAA", new string('A', 500) })
        {
            await ExpectProblem(HttpStatusCode.BadRequest, await patient.Client.GetAsync($"/api/v1/notifications?cursor={cursor}", Cancellation), "validation");
        }

        await ExpectProblem(HttpStatusCode.BadRequest, await patient.Client.GetAsync("/api/v1/notifications?limit=0", Cancellation), "validation");
        await ExpectProblem(HttpStatusCode.BadRequest, await patient.Client.GetAsync("/api/v1/notifications?limit=101", Cancellation), "validation");
        await ExpectProblem(HttpStatusCode.BadRequest, await patient.Client.GetAsync("/api/v1/notifications?patientId=not-a-guid", Cancellation));
    }
}
