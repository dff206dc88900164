using System.Net;
using MenoTime.AppHost.Hosting.Testing;

namespace MenoTime.IntegrationTests.Reminders;

/// <summary>Delivery of the outbox on the running graph: PostgreSQL, the worker, MailDev, all real.</summary>
[Collection(SerialOnSharedGraph.Name)]
public sealed class ReminderDeliveryTests(MenoTimeGraph graph) : IAsyncLifetime
{
    private static readonly TimeSpan Arrival = TimeSpan.FromSeconds(60);
    private ReminderStore _store = null!;

    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    public ValueTask InitializeAsync()
    {
        _store = new ReminderStore(graph.App);
        return ValueTask.CompletedTask;
    }

    public ValueTask DisposeAsync() => _store.DisposeAsync();

    [Fact]
    public async Task A_due_reminder_arrives_with_the_time_in_the_patients_zone_the_opt_out_headers_and_no_phi()
    {
        var recipient = ReminderStore.NewAddress("arrives");
        // 01:30 UTC on the day Berlin moves its clocks forward: 03:30 local, summer time already.
        var request = _store.Appointment(recipient, occursAt: new DateTimeOffset(2026, 3, 29, 1, 30, 0, TimeSpan.Zero));

        Assert.True(await _store.Outbox.EnqueueAsync(request, Cancellation));
        var message = await graph.Mail.WaitForMessageAsync(m => m.To.Any(t => t.Address == recipient), Arrival, Cancellation);

        var row = await _store.WaitForAsync(request, r => r.Status == "sent", Arrival, Cancellation);
        Assert.Equal("You have an upcoming appointment", message.Subject);
        Assert.Contains("You have an upcoming appointment on Sunday 29 March 2026 at 03:30 (Europe/Berlin time).", message.Text, StringComparison.Ordinal);
        Assert.Contains($"Sign in to MenoTime for the details: {graph.App.GetEndpoint("api")}", message.Text, StringComparison.Ordinal);
        var headers = await graph.Mail.GetHeadersAsync(message.Id, Cancellation);
        Assert.Equal(row.Id.ToString(), headers["X-MenoTime-Notification-Id"]);
        Assert.Equal("List-Unsubscribe=One-Click", headers["List-Unsubscribe-Post"]);
        Assert.Equal("auto-generated", headers["Auto-Submitted"]);
        var unsubscribe = await UnsubscribeLinkAsync(message);
        Assert.Equal(new Uri(graph.App.GetEndpoint("api"), "api/v1/email/unsubscribe").ToString(), unsubscribe.GetLeftPart(UriPartial.Path));
        Assert.Contains(unsubscribe.ToString(), message.Text, StringComparison.Ordinal);
        Assert.Equal("no-reply@menotime.local", Assert.Single(message.From).Address);

        // No PHI beyond the address it goes to: no patient id, no appointment id, no rule, nothing in the link.
        var everything = $"{await graph.Mail.GetSourceAsync(message.Id, Cancellation)}\n{message.Subject}\n{message.Text}";
        Assert.DoesNotContain(request.PatientId.ToString(), everything, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain(request.Target, everything, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain(request.Target.Split(':')[1], everything, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain(recipient, unsubscribe.ToString(), StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain(recipient, message.Text!, StringComparison.OrdinalIgnoreCase);

        Assert.Equal(["queued", "sending", "sent"], await _store.HistoryAsync(row.Id, Cancellation));
        Assert.Equal(1, row.Attempts);
    }

    [Fact]
    public async Task Enqueueing_the_same_reminder_twice_sends_one_email()
    {
        var recipient = ReminderStore.NewAddress("twice");
        var request = _store.Appointment(recipient);

        // Five planners at once, then one more after: one row, created by exactly one of them.
        var created = await Task.WhenAll(Enumerable.Range(0, 5).Select(_ => _store.Outbox.EnqueueAsync(request, Cancellation)));
        var again = await _store.Outbox.EnqueueAsync(request with { }, Cancellation);
        await graph.Mail.WaitForMessageAsync(m => m.To.Any(t => t.Address == recipient), Arrival, Cancellation);
        var sent = await _store.WaitForAsync(request, r => r.Status == "sent", Arrival, Cancellation);
        // Planning it again after it was sent changes nothing either.
        var afterSent = await _store.Outbox.EnqueueAsync(request, Cancellation);
        await SentinelArrivesAsync();

        Assert.Equal(1, created.Count(c => c));
        Assert.False(again);
        Assert.False(afterSent);
        Assert.Equal(1L, await _store.ScalarAsync<long>("SELECT count(*) FROM notifications WHERE target = $1", Cancellation, request.Target));
        Assert.Single(await graph.Mail.GetMessagesAsync(Cancellation), m => m.To.Any(t => t.Address == recipient));
        Assert.Equal(["queued", "sending", "sent"], await _store.HistoryAsync(sent.Id, Cancellation));
    }

    [Fact]
    public async Task A_reminder_due_later_is_not_sent_early_and_is_sent_once_the_clock_reaches_it()
    {
        var later = _store.Appointment(ReminderStore.NewAddress("later"), dueAt: _store.Clock.GetUtcNow().AddHours(2));
        Assert.True(await _store.Outbox.EnqueueAsync(later, Cancellation));

        // A reminder due now, enqueued after it, arrives: the worker has looked at the outbox since `later` was in it.
        await SentinelArrivesAsync();
        var waiting = await _store.GetAsync(later, Cancellation);
        Assert.Equal("queued", waiting.Status);
        Assert.DoesNotContain(await graph.Mail.GetMessagesAsync(Cancellation), m => m.To.Any(t => t.Address == later.Recipient));

        graph.App.AdvanceClock(TimeSpan.FromHours(3));
        await graph.Mail.WaitForMessageAsync(m => m.To.Any(t => t.Address == later.Recipient), Arrival, Cancellation);

        var sent = await _store.WaitForAsync(later, r => r.Status == "sent", Arrival, Cancellation);
        Assert.True(sent.SentAt >= later.DueAt, $"sent at {sent.SentAt:O}, due at {later.DueAt:O}");
    }

    [Fact]
    public async Task Retiring_a_target_withdraws_its_queued_reminders_and_nothing_is_sent()
    {
        var request = _store.Appointment(ReminderStore.NewAddress("retired"), dueAt: _store.Clock.GetUtcNow().AddHours(1));
        var other = request with { Rule = "appointment-1h", OccursAt = request.OccursAt, DueAt = request.DueAt.AddMinutes(30) };
        await _store.Outbox.EnqueueAsync([request, other], Cancellation);

        var retired = await _store.RetireAsync(request.Target, Cancellation);
        graph.App.AdvanceClock(TimeSpan.FromHours(2));
        await SentinelArrivesAsync();

        Assert.Equal(2, retired);
        Assert.Equal("retired", (await _store.GetAsync(request, Cancellation)).Status);
        Assert.Equal(["queued", "retired"], await _store.HistoryAsync((await _store.GetAsync(other, Cancellation)).Id, Cancellation));
        Assert.DoesNotContain(await graph.Mail.GetMessagesAsync(Cancellation), m => m.To.Any(t => t.Address == request.Recipient));
    }

    [Fact]
    public async Task The_one_click_opt_out_suppresses_the_patients_further_reminders()
    {
        var recipient = ReminderStore.NewAddress("opt-out");
        var first = _store.Appointment(recipient);
        await _store.Outbox.EnqueueAsync(first, Cancellation);
        var message = await graph.Mail.WaitForMessageAsync(m => m.To.Any(t => t.Address == recipient), Arrival, Cancellation);
        var link = await UnsubscribeLinkAsync(message);

        // What a mail client sends for List-Unsubscribe-Post (RFC 8058).
        using var response = await graph.Api.PostAsync(link, new FormUrlEncodedContent([new("List-Unsubscribe", "One-Click")]), Cancellation);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(["unsubscribe"], await _store.SuppressionReasonsAsync(recipient, Cancellation));

        // The same patient's next reminder, even to an address written differently, is not sent.
        var next = first with { Target = $"appointment:{Guid.NewGuid()}", Recipient = recipient.ToUpperInvariant() };
        await _store.Outbox.EnqueueAsync(next, Cancellation);
        await SentinelArrivesAsync();
        var suppressed = await _store.WaitForAsync(next, r => r.Status == "suppressed", Arrival, Cancellation);
        Assert.Equal(["queued", "suppressed"], await _store.HistoryAsync(suppressed.Id, Cancellation));
        Assert.Single(await graph.Mail.GetMessagesAsync(Cancellation), m => m.To.Any(t => string.Equals(t.Address, recipient, StringComparison.OrdinalIgnoreCase)));
    }

    [Fact]
    public async Task Opening_the_opt_out_link_only_asks_and_a_forged_link_is_refused()
    {
        var recipient = ReminderStore.NewAddress("ask");
        await _store.Outbox.EnqueueAsync(_store.Appointment(recipient), Cancellation);
        var link = await UnsubscribeLinkAsync(await graph.Mail.WaitForMessageAsync(m => m.To.Any(t => t.Address == recipient), Arrival, Cancellation));
        var token = link.Query["?token=".Length..];
        var forged = $"{link.GetLeftPart(UriPartial.Path)}?token={(token[^1] == 'A' ? token[..^1] + "B" : token[..^1] + "A")}";

        using var page = await graph.Api.GetAsync(link, Cancellation);
        using var refused = await graph.Api.PostAsync(forged, null, Cancellation);
        using var missing = await graph.Api.PostAsync(link.GetLeftPart(UriPartial.Path), null, Cancellation);

        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Contains("method=\"post\"", await page.Content.ReadAsStringAsync(Cancellation), StringComparison.Ordinal);
        Assert.Empty(await _store.SuppressionReasonsAsync(recipient, Cancellation));
        foreach (var response in new[] { refused, missing })
        {
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        }

        Assert.Empty(await _store.SuppressionReasonsAsync(recipient, Cancellation));
    }

    [Fact]
    public async Task The_status_history_read_model_pages_a_patients_notifications_newest_first()
    {
        var patient = Guid.NewGuid();
        var recipient = ReminderStore.NewAddress("history");
        var sent = _store.Appointment(recipient) with { PatientId = patient };
        var waiting = _store.Appointment(recipient, dueAt: _store.Clock.GetUtcNow().AddDays(30)) with { PatientId = patient };
        var retired = _store.Appointment(recipient, dueAt: _store.Clock.GetUtcNow().AddDays(30)) with { PatientId = patient };
        var someoneElse = _store.Appointment(ReminderStore.NewAddress("other"), dueAt: _store.Clock.GetUtcNow().AddDays(30));
        await _store.Outbox.EnqueueAsync(sent, Cancellation);
        await _store.WaitForAsync(sent, r => r.Status == "sent", Arrival, Cancellation);
        await _store.Outbox.EnqueueAsync(waiting, Cancellation);
        await _store.Outbox.EnqueueAsync(retired, Cancellation);
        await _store.Outbox.EnqueueAsync(someoneElse, Cancellation);
        await _store.RetireAsync(retired.Target, Cancellation);

        var firstPage = await _store.History.ListAsync(patient, includeAlerts: false, null, 2, Cancellation);
        var second = (await _store.History.ListAsync(patient, includeAlerts: false, (firstPage[^1].CreatedAt, firstPage[^1].View.Id), 2, Cancellation))
            .Select(n => n.View).ToList();
        var first = firstPage.Select(n => n.View).ToList();

        Assert.Equal([retired.Target, waiting.Target], first.Select(n => n.Target));
        var last = Assert.Single(second);
        Assert.Equal(sent.Target, last.Target);
        Assert.Equal("sent", last.Status);
        Assert.NotNull(last.SentAt);
        Assert.Equal(["queued", "sending", "sent"], last.History.Select(h => h.Status));
        Assert.Equal(["queued", "retired"], first[0].History.Select(h => h.Status));
        Assert.All(last.History.Zip(last.History.Skip(1)), pair => Assert.True(pair.First.At <= pair.Second.At));
    }

    private async Task<Uri> UnsubscribeLinkAsync(SinkMessage message)
    {
        var header = (await graph.Mail.GetHeadersAsync(message.Id, Cancellation))["List-Unsubscribe"];
        Assert.StartsWith("<", header, StringComparison.Ordinal);
        Assert.EndsWith(">", header, StringComparison.Ordinal);
        return new Uri(header[1..^1]);
    }

    /// <summary>
    /// Enqueues a reminder due now to a fresh address and waits for it. Claims take due rows oldest first, so once
    /// it has arrived the worker has claimed with everything enqueued before it in view.
    /// </summary>
    private async Task SentinelArrivesAsync()
    {
        var sentinel = _store.Appointment(ReminderStore.NewAddress("sentinel"));
        await _store.Outbox.EnqueueAsync(sentinel, Cancellation);
        await graph.Mail.WaitForMessageAsync(m => m.To.Any(t => t.Address == sentinel.Recipient), Arrival, Cancellation);
    }
}
