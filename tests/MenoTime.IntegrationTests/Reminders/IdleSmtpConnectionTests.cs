using MenoTime.AppHost.Hosting.Testing;
using static MenoTime.IntegrationTests.Clinical.Clinic;

namespace MenoTime.IntegrationTests.Reminders;

/// <summary>
/// MailDev, like most SMTP servers, hangs up a connection idle for a minute and answers the next command "421
/// Timeout - closing connection". The first reminder after a quiet spell must still go out at its first attempt.
/// A graph of its own: the shared one is never quiet for a minute, and this test waits for that minute. No reconnecting
/// ahead of time (an idle limit of an hour): the lane's connection is the one the server hung up.
/// </summary>
public sealed class IdleSmtpConnectionTests() : OneLaneGraph(TimeSpan.FromHours(1))
{
    private static readonly TimeSpan MailDevIdleTimeout = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task The_first_reminder_after_the_server_hung_up_an_idle_connection_is_sent_at_its_first_attempt()
    {
        await using var store = new ReminderStore(App);
        using var mail = App.CreateMailSinkClient();
        var first = store.Appointment(ReminderStore.NewAddress("before-quiet"));
        Assert.True(await store.Outbox.EnqueueAsync(first, Cancellation));
        await mail.WaitForMessageAsync(m => m.To.Any(t => t.Address == first.Recipient), TimeSpan.FromSeconds(60), Cancellation);

        await Task.Delay(MailDevIdleTimeout + TimeSpan.FromSeconds(5), Cancellation);
        var after = store.Appointment(ReminderStore.NewAddress("after-quiet"));
        Assert.True(await store.Outbox.EnqueueAsync(after, Cancellation));
        await mail.WaitForMessageAsync(m => m.To.Any(t => t.Address == after.Recipient), TimeSpan.FromSeconds(30), Cancellation);
        var sent = await store.WaitForAsync(after, r => r.Status == "sent", TimeSpan.FromSeconds(30), Cancellation);

        Assert.Equal(["queued", "sending", "sent"], await store.HistoryAsync(sent.Id, Cancellation));
    }
}
