using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using MenoTime.AppHost.Hosting;
using MenoTime.AppHost.Hosting.Testing;
using MenoTime.IntegrationTests.Clinical;
using static MenoTime.IntegrationTests.Clinical.Clinic;

namespace MenoTime.IntegrationTests.Reminders;

/// <summary>A notification as GET /api/v1/notifications shows it.</summary>
public sealed record NotificationItem(
    Guid Id, string Rule, string Target, string Kind, DateTimeOffset OccursAt, DateTimeOffset DueAt, string Status, int Attempts,
    DateTimeOffset? SentAt, IReadOnlyList<NotificationChange> History);

public sealed record NotificationChange(string Status, DateTimeOffset At, int Attempt, string? Error);

/// <summary>
/// A graph of its own for the planner's tests, because they move the clock by days and months (to DST changes) and the
/// shared graph's tests must not see that. The planner looks every half second and plans a week ahead.
/// </summary>
public sealed class PlannerGraph : IAsyncLifetime
{
    private static readonly JsonSerializerOptions WebJson = new(JsonSerializerDefaults.Web);

    public DistributedApplication App { get; private set; } = null!;

    public MailSinkClient Mail { get; private set; } = null!;

    public ReminderStore Store { get; private set; } = null!;

    public Clinic Clinic { get; private set; } = null!;

    private HttpClient _anonymous = null!;

    /// <summary>The services' clock.</summary>
    public DateTimeOffset Now => Store.Clock.GetUtcNow();

    public async ValueTask InitializeAsync()
    {
        App = await DistributedApplicationTestingBuilder.CreateAsync();
        ((ExecutableResource)App.GetResource("worker")).EnvironmentCallbacks.Add(context =>
        {
            context.Variables["Reminders__Planning__PollInterval"] = "00:00:00.500";
            context.Variables["Reminders__Planning__Horizon"] = "7.00:00:00";
            context.Variables["Reminders__Delivery__PollInterval"] = "00:00:00.200";
        });
        await App.StartAsync(TestContext.Current.CancellationToken);
        Mail = App.CreateMailSinkClient();
        Store = new ReminderStore(App);
        _anonymous = App.CreateHttpClient("api");
        Clinic = new Clinic(App, _anonymous);
    }

    /// <summary>Moves the services' clock forward to <paramref name="instant"/> (never back).</summary>
    public void AdvanceTo(DateTimeOffset instant)
    {
        var by = instant - Now;
        if (by > TimeSpan.Zero)
        {
            App.AdvanceClock(by);
        }
    }

    /// <summary>A fresh client of the party: sessions end after 15 minutes of the services' clock without a request.</summary>
    public Task<HttpClient> ClientAsync(Party party, string role = "patient") => Clinic.ClientAsync(party.Subject, role);

    public async Task<IReadOnlyList<NotificationItem>> NotificationsAsync(Party patient)
    {
        using var client = await ClientAsync(patient);
        var page = await Expect(HttpStatusCode.OK, await client.GetAsync($"/api/v1/notifications?patientId={patient.Id}&limit=100", Cancellation));
        return page.GetProperty("items").Deserialize<List<NotificationItem>>(WebJson)!;
    }

    /// <summary>Polls the patient's notifications until <paramref name="done"/> holds for those of <paramref name="target"/>.</summary>
    public async Task<IReadOnlyList<NotificationItem>> WaitForAsync(Party patient, string target, Func<IReadOnlyList<NotificationItem>, bool> done)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(Cancellation);
        deadline.CancelAfter(TimeSpan.FromSeconds(60));
        IReadOnlyList<NotificationItem> items = [];
        while (true)
        {
            items = [.. (await NotificationsAsync(patient)).Where(n => n.Target == target).OrderBy(n => n.OccursAt).ThenBy(n => n.Rule)];
            if (done(items))
            {
                return items;
            }

            try
            {
                await Task.Delay(200, deadline.Token);
            }
            catch (OperationCanceledException) when (!Cancellation.IsCancellationRequested)
            {
                throw new TimeoutException($"{target}: {string.Join("; ", items.Select(n => $"{n.Rule} {n.OccursAt:O} due {n.DueAt:O} {n.Status}"))}");
            }
        }
    }

    /// <summary>
    /// A reminder due now, written straight to the outbox, arrives: claims take due rows oldest first, so the worker
    /// has looked at everything due before it. What has not arrived by then was not sent.
    /// </summary>
    public async Task SentinelArrivesAsync()
    {
        var sentinel = Store.Appointment(ReminderStore.NewAddress("sentinel"));
        await Store.Outbox.EnqueueAsync(sentinel, Cancellation);
        await Mail.WaitForMessageAsync(m => m.To.Any(t => t.Address == sentinel.Recipient), TimeSpan.FromSeconds(60), Cancellation);
    }

    public async Task<IReadOnlyList<SinkMessage>> MessagesToAsync(string address) =>
        [.. (await Mail.GetMessagesAsync(Cancellation)).Where(m => m.To.Any(t => string.Equals(t.Address, address, StringComparison.OrdinalIgnoreCase)))];

    public async Task<(Guid Id, string ETag)> BookAsync(Party patient, Party provider, DateTimeOffset startsAt)
    {
        using var client = await ClientAsync(patient);
        using var response = await client.PostAsJsonAsync("/api/v1/appointments", new { providerId = provider.Id, startsAt }, Cancellation);
        var created = await Expect(HttpStatusCode.Created, response);
        return (created.GetProperty("id").GetGuid(), response.Headers.ETag!.ToString());
    }

    /// <summary>PATCHes a record with the ETag of a fresh GET.</summary>
    public async Task<JsonElement> PatchAsync(Party party, string url, object body)
    {
        using var client = await ClientAsync(party);
        using var current = await client.GetAsync(url, Cancellation);
        await Expect(HttpStatusCode.OK, current);
        return await Expect(HttpStatusCode.OK, await client.SendAsync(Json(HttpMethod.Patch, url, body, current.Headers.ETag!.ToString()), Cancellation));
    }

    public async ValueTask DisposeAsync()
    {
        Mail?.Dispose();
        _anonymous?.Dispose();
        if (Store is not null)
        {
            await Store.DisposeAsync();
        }

        if (App is not null)
        {
            await App.DisposeAsync();
        }
    }
}
