using System.Globalization;
using MenoTime.AppHost.Hosting.Mail;
using MenoTime.AppHost.Hosting.Testing;
using static MenoTime.IntegrationTests.Clinical.Clinic;

namespace MenoTime.IntegrationTests.Reminders;

/// <summary>
/// A lane reuses its SMTP connection while it is busy, and opens a new one before its next message once it has been
/// idle for Email:Smtp:IdleReconnect, so it never writes into a connection the server (or a NAT gateway on the way to
/// SES) may have dropped meanwhile. Seen from outside: which of the worker's TCP connections reaches the mail server.
/// A 5-second idle limit.
/// </summary>
public sealed class IdleReconnectTests() : OneLaneGraph(IdleReconnect)
{
    private static readonly TimeSpan IdleReconnect = TimeSpan.FromSeconds(5);

    [Fact]
    public async Task A_lane_keeps_its_connection_while_busy_and_opens_a_new_one_after_the_idle_limit()
    {
        await using var store = new ReminderStore(App);
        using var mail = App.CreateMailSinkClient();

        var busy = await SendAsync(store, mail, "first");
        var stillBusy = await SendAsync(store, mail, "second");
        await Task.Delay(IdleReconnect + TimeSpan.FromSeconds(1.5), Cancellation); // idle past the limit, well within MailDev's 60 s
        var afterIdle = await SendAsync(store, mail, "after-idle");

        Assert.Equal(busy, stillBusy);
        Assert.NotEqual(busy, afterIdle);
    }

    /// <summary>Sends one reminder (recorded as sent at its first attempt) and returns the lane's connection to MailDev.</summary>
    private async Task<int> SendAsync(ReminderStore store, MailSinkClient mail, string name)
    {
        var reminder = store.Appointment(ReminderStore.NewAddress(name));
        Assert.True(await store.Outbox.EnqueueAsync(reminder, Cancellation));
        await mail.WaitForMessageAsync(m => m.To.Any(t => t.Address == reminder.Recipient), TimeSpan.FromSeconds(30), Cancellation);
        var sent = await store.WaitForAsync(reminder, r => r.Status == "sent", TimeSpan.FromSeconds(30), Cancellation);
        Assert.Equal(["queued", "sending", "sent"], await store.HistoryAsync(sent.Id, Cancellation));
        return Assert.Single(WorkerConnectionsToMail());
    }

    /// <summary>Local ports of the worker's established TCP connections to MailDev's SMTP port (/proc/net/tcp and tcp6, by socket inode).</summary>
    private List<int> WorkerConnectionsToMail()
    {
        var worker = App.GetInstances(App.GetResource("worker"))[0].ProcessId!.Value;
        var smtpPort = App.GetInstances(App.GetResource("mail"))[0].Ports[MailDevResource.SmtpEndpoint];
        var sockets = Directory.EnumerateFileSystemEntries($"/proc/{worker}/fd")
            .Select(fd => new FileInfo(fd).LinkTarget)
            .Where(target => target?.StartsWith("socket:[", StringComparison.Ordinal) == true)
            .Select(target => target!["socket:[".Length..^1])
            .ToHashSet(StringComparer.Ordinal);
        return [.. new[] { "tcp", "tcp6" }.SelectMany(table => File.ReadLines($"/proc/{worker}/net/{table}").Skip(1))
            .Select(line => line.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .Where(f => f[3] == "01" && Port(f[2]) == smtpPort && sockets.Contains(f[9])) // 01: ESTABLISHED
            .Select(f => Port(f[1]))];

        static int Port(string address) => int.Parse(address[(address.IndexOf(':', StringComparison.Ordinal) + 1)..], NumberStyles.HexNumber, CultureInfo.InvariantCulture);
    }
}
