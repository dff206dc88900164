using System.Net;
using System.Text.Json;
using MenoTime.AppHost.Hosting.Testing;
using Npgsql;

namespace MenoTime.IntegrationTests.Reminders;

/// <summary>Delivery through outages of the real parts: MailDev stopped, PostgreSQL stopped, a row held by someone else.</summary>
public sealed class OutageTests(OutageGraph graph) : IClassFixture<OutageGraph>
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task While_the_smtp_server_is_down_sends_are_retried_dead_lettered_at_the_limit_and_delivered_once_it_is_back()
    {
        var store = graph.Store;
        await graph.App.StopInstanceAsync("mail");

        // A: fails on every attempt while MailDev is down. The backoff is minutes; the test moves the clock instead.
        var doomed = store.Appointment(ReminderStore.NewAddress("doomed"));
        await store.Outbox.EnqueueAsync(doomed, Cancellation);
        var row = await store.WaitForAsync(doomed, r => r is { Status: "failed", Attempts: 1 }, Patience, Cancellation);
        for (var attempt = 2; attempt <= OutageGraph.MaxAttempts; attempt++)
        {
            var expected = attempt;
            graph.App.AdvanceClock(TimeSpan.FromHours(2));
            row = await store.WaitForAsync(doomed, r => r.Attempts == expected && r.Status is "failed" or "dead", Patience, Cancellation);
        }

        Assert.Equal("dead", row.Status);
        Assert.Equal(OutageGraph.MaxAttempts, row.Attempts);
        Assert.NotNull(row.LastError);
        var history = await store.HistoryWithErrorsAsync(row.Id, Cancellation);
        Assert.Equal(["queued", "sending", "failed", "sending", "failed", "sending", "dead"], history.Select(h => h.Status));
        Assert.All(history.Where(h => h.Status is "failed" or "dead"), h => Assert.False(string.IsNullOrWhiteSpace(h.Error)));

        // B: fails once, then MailDev comes back and the retry delivers it.
        var retried = store.Appointment(ReminderStore.NewAddress("retried"));
        await store.Outbox.EnqueueAsync(retried, Cancellation);
        await store.WaitForAsync(retried, r => r is { Status: "failed", Attempts: 1 }, Patience, Cancellation);
        await graph.App.StartInstanceAsync("mail", cancellationToken: Cancellation);
        graph.App.AdvanceClock(TimeSpan.FromHours(2));

        await graph.Mail.WaitForMessageAsync(m => m.To.Any(t => t.Address == retried.Recipient), Patience, Cancellation);
        var sent = await store.WaitForAsync(retried, r => r.Status == "sent", Patience, Cancellation);
        Assert.Equal(2, sent.Attempts);
        Assert.Equal(["queued", "sending", "failed", "sending", "sent"], await store.HistoryAsync(sent.Id, Cancellation));

        // The dead one stays dead: a reminder enqueued after it arrives, it does not.
        var sentinel = store.Appointment(ReminderStore.NewAddress("sentinel"));
        await store.Outbox.EnqueueAsync(sentinel, Cancellation);
        await graph.Mail.WaitForMessageAsync(m => m.To.Any(t => t.Address == sentinel.Recipient), Patience, Cancellation);
        Assert.Equal("dead", (await store.GetAsync(doomed, Cancellation)).Status);
        Assert.DoesNotContain(await graph.Mail.GetMessagesAsync(Cancellation), m => m.To.Any(t => t.Address == doomed.Recipient));
    }

    [Fact]
    public async Task The_worker_is_unhealthy_while_it_cannot_reach_the_database_and_healthy_again_after()
    {
        await WaitForHealthAsync(HttpStatusCode.OK);

        await graph.App.StopInstanceAsync("postgres");
        try
        {
            var down = await WaitForHealthAsync(HttpStatusCode.ServiceUnavailable);
            Assert.Equal("Unhealthy", down.GetProperty("checks").GetProperty("database").GetProperty("status").GetString());
        }
        finally
        {
            await graph.App.StartInstanceAsync("postgres", cancellationToken: Cancellation);
            graph.Store.ResetConnections();
        }

        var up = await WaitForHealthAsync(HttpStatusCode.OK);
        Assert.Equal("Healthy", up.GetProperty("checks").GetProperty("delivery").GetProperty("status").GetString());
    }

    [Fact]
    public async Task The_worker_is_unhealthy_while_a_due_reminder_waits_longer_than_allowed()
    {
        var store = graph.Store;
        var held = store.Appointment(ReminderStore.NewAddress("held"), dueAt: store.Clock.GetUtcNow().AddHours(1));
        await store.Outbox.EnqueueAsync(held, Cancellation);
        await WaitForHealthAsync(HttpStatusCode.OK);

        // Someone else holds the row (as a stuck worker would): no replica can claim it, it just gets late.
        await using (var connection = new NpgsqlConnection(graph.App.GetConnectionString("menotime")))
        {
            await connection.OpenAsync(Cancellation);
            await using var transaction = await connection.BeginTransactionAsync(Cancellation);
            await using (var command = new NpgsqlCommand("SELECT id FROM notifications WHERE target = $1 FOR SHARE", connection, transaction))
            {
                command.Parameters.Add(new() { Value = held.Target });
                Assert.NotNull(await command.ExecuteScalarAsync(Cancellation));
            }

            graph.App.AdvanceClock(TimeSpan.FromHours(3));
            var behind = await WaitForHealthAsync(HttpStatusCode.ServiceUnavailable);
            var delivery = behind.GetProperty("checks").GetProperty("delivery");
            Assert.Equal("Unhealthy", delivery.GetProperty("status").GetString());
            Assert.StartsWith("behind:", delivery.GetProperty("description").GetString(), StringComparison.Ordinal);
            await transaction.RollbackAsync(Cancellation);
        }

        await graph.Mail.WaitForMessageAsync(m => m.To.Any(t => t.Address == held.Recipient), Patience, Cancellation);
        await WaitForHealthAsync(HttpStatusCode.OK);
    }

    private async Task<JsonElement> WaitForHealthAsync(HttpStatusCode status)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(Cancellation);
        deadline.CancelAfter(Patience);
        var last = "";
        try
        {
            while (true)
            {
                try
                {
                    using var response = await graph.Worker.GetAsync("/health", deadline.Token);
                    last = await response.Content.ReadAsStringAsync(deadline.Token);
                    if (response.StatusCode == status)
                    {
                        return JsonDocument.Parse(last).RootElement.Clone();
                    }
                }
                catch (HttpRequestException e)
                {
                    last = e.Message;
                }

                await Task.Delay(200, deadline.Token);
            }
        }
        catch (OperationCanceledException) when (!Cancellation.IsCancellationRequested)
        {
            throw new TimeoutException($"worker /health never answered {(int)status} within {Patience.TotalSeconds:F0} s; last: {last}");
        }
    }
}
