using MenoTime.AppHost.Hosting;
using MenoTime.AppHost.Hosting.Testing;
using static MenoTime.IntegrationTests.Clinical.Clinic;

namespace MenoTime.IntegrationTests.Reminders;

/// <summary>Three worker replicas on one outbox, one of them killed with SIGKILL in the middle of a batch.</summary>
public sealed class WorkerCrashTests : IAsyncLifetime
{
    private const int Replicas = 3;
    private const int Concurrency = 2;
    private const int Reminders = 1200;
    private const string Victim = "worker-1";
    private DistributedApplication _app = null!;

    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        _app = await DistributedApplicationTestingBuilder.CreateAsync();
        var worker = (ExecutableResource)_app.GetResource("worker");
        worker.Replicas = Replicas;
        worker.EnvironmentCallbacks.Add(context =>
        {
            // Names the replicas in lease_owner and the status history: worker-0, worker-1, worker-2.
            context.Variables["Worker__Heartbeat__InstanceId"] = context.Instance.Name;
            context.Variables["Reminders__Delivery__BatchSize"] = "20";
            context.Variables["Reminders__Delivery__Concurrency"] = Concurrency.ToString(System.Globalization.CultureInfo.InvariantCulture);
            // A short lease so the dead replica's rows come back within seconds.
            context.Variables["Reminders__Delivery__Lease"] = "00:00:08";
            context.Variables["Email__Smtp__Timeout"] = "00:00:05";
        });
        await _app.StartAsync(Cancellation);
    }

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();

    [Fact]
    public async Task A_replica_killed_mid_batch_loses_no_reminder_and_no_other_is_sent_twice()
    {
        await using var store = new ReminderStore(_app);
        using var mail = _app.CreateMailSinkClient();
        var due = store.Clock.GetUtcNow().AddMinutes(-1);
        var requests = Enumerable.Range(0, Reminders)
            .Select(i => store.Appointment($"crash-{i}@example.test", dueAt: due.AddMilliseconds(i)))
            .ToList();
        Assert.Equal(Reminders, await store.Outbox.EnqueueAsync(requests, Cancellation));

        // Mid-batch: the victim has sent some of its rows and still holds leased ones.
        await WaitUntilAsync(async () =>
            await store.ScalarAsync<long>("SELECT count(*) FROM notifications WHERE lease_owner = $1 AND status = 'sent'", Cancellation, Victim) >= 5
            && await store.ScalarAsync<long>("SELECT count(*) FROM notifications WHERE lease_owner = $1 AND status = 'sending'", Cancellation, Victim) >= 5,
            "the victim to be in the middle of a batch");
        await _app.KillInstanceAsync("worker", replica: 1);
        var held = await store.ScalarAsync<Guid[]>(
            "SELECT coalesce(array_agg(id), '{}') FROM notifications WHERE lease_owner = $1 AND status = 'sending'", Cancellation, Victim);

        await WaitUntilAsync(
            async () => await store.ScalarAsync<long>("SELECT count(*) FROM notifications WHERE status = 'sent'", Cancellation) == Reminders,
            "every reminder to be sent");
        var messages = await mail.GetMessagesAsync(Cancellation);
        var perKey = messages.GroupBy(m => m.Header("X-MenoTime-Notification-Id") ?? "").ToDictionary(g => g.Key, g => g.Count());
        var ids = await store.ScalarAsync<Guid[]>("SELECT array_agg(id) FROM notifications", Cancellation);
        var duplicated = perKey.Where(p => p.Value > 1).Select(p => p.Key).ToList();
        TestContext.Current.TestOutputHelper?.WriteLine(
            $"victim held {held.Length} rows when killed; {messages.Count} messages for {Reminders} reminders; duplicated: {duplicated.Count}");

        // Every reminder arrived; the victim's unfinished rows were taken back and finished by the others.
        Assert.Equal(Reminders, perKey.Count);
        Assert.All(ids, id => Assert.True(perKey.ContainsKey(id.ToString()), $"{id} never arrived"));
        Assert.NotEmpty(held);
        foreach (var id in held)
        {
            var history = await store.HistoryWithErrorsAsync(id, Cancellation);
            Assert.Contains(history, h => h.Status == "failed" && h.Error!.StartsWith($"lease of {Victim} expired", StringComparison.Ordinal));
            Assert.True(history[^1].Worker is "worker-0" or "worker-2", $"{id} finished by {history[^1].Worker}");
        }

        // Exactly once, but for the documented window: a message the victim's SMTP server had accepted (the end of
        // DATA handed to its connection) before it could record it. Only rows it held, at most two per lane.
        Assert.All(duplicated, key => Assert.Contains(Guid.Parse(key), held));
        Assert.All(duplicated, key => Assert.Equal(2, perKey[key]));
        Assert.InRange(duplicated.Count, 0, 2 * Concurrency);
        Assert.Equal(Reminders + duplicated.Count, messages.Count);
    }
}
