using System.Net;
using System.Security.Cryptography;
using MenoTime.AppHost.Hosting;
using MenoTime.AppHost.Hosting.Testing;
using MenoTime.Data.Notifications;
using MenoTime.ServiceDefaults;
using Microsoft.Playwright;
using Npgsql;
using static Microsoft.Playwright.Assertions;

namespace MenoTime.Dashboard.Tests;

/// <summary>The dashboard in a real browser, as a developer uses it after opening the link the AppHost printed.</summary>
public sealed class DashboardBrowserTests(DashboardGraph graph)
{
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_developer_logs_in_sees_every_resource_healthy_and_follows_an_api_request_into_postgres()
    {
        await using var browser = await Browser.LaunchAsync();
        var page = browser.Page;

        await page.GotoAsync(graph.Dashboard.LoginUrl.ToString());

        await Expect(page.Locator("#resources")).ToBeVisibleAsync();
        foreach (var resource in graph.App.Resources)
        {
            var expected = ResourceGraph.RunsToCompletion(resource, graph.App.Resources) ? "finished" : "healthy";
            await Expect(page.Locator($"tr[data-resource='{resource.Name}'] [data-state]")).ToHaveAttributeAsync("data-state", expected);
        }

        await Expect(page.Locator("tr[data-instance='api'] a[href^='http://127.0.0.1:']")).ToHaveTextAsync(graph.App.GetEndpoint("api").ToString());

        // One request, recognisable by the trace id it carries in (as a calling service would send it).
        var traceId = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
        using (var request = new HttpRequestMessage(HttpMethod.Get, "/api/v1/status"))
        {
            request.Headers.Add("traceparent", $"00-{traceId}-{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8))}-01");
            using var response = await graph.Api.SendAsync(request, Cancellation);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        await page.GetByRole(AriaRole.Link, new() { Name = "Traces" }).ClickAsync();
        await page.GetByLabel("Search traces").FillAsync(traceId);
        await page.Locator($"tr[data-trace-id='{traceId}']").ClickAsync();

        var waterfall = page.Locator("#waterfall");
        var server = waterfall.Locator(".span-row[data-depth='0'][data-service='api'][data-kind='server']");
        var database = waterfall.Locator(".span-row[data-depth='1'][data-service='api'][data-kind='client']", new() { HasText = "→ postgresql" });
        await Expect(server).ToContainTextAsync("GET /api/v1/status");
        await Expect(database.First).ToBeVisibleAsync();
        // The request's transaction has several database spans (begin, the status query, its audit row, commit):
        // open them all; one shows the query the API ran.
        for (var i = 0; i < await database.CountAsync(); i++)
        {
            await database.Nth(i).ClickAsync();
        }

        await Expect(page.Locator(".span-details", new() { HasText = "worker_heartbeats" })).ToBeVisibleAsync();

        var screenshot = await browser.ScreenshotAsync("api-request-trace");
        TestContext.Current.SendDiagnosticMessage($"Dashboard screenshot (trace of GET /api/v1/status into PostgreSQL): {screenshot}");
        TestContext.Current.AddAttachment("dashboard-trace-screenshot", screenshot);
        Assert.Empty(browser.PageErrors);
    }

    [Fact]
    public async Task A_developer_follows_a_reminder_from_the_worker_into_the_mail_server()
    {
        // One reminder due now, for the worker to send into MailDev.
        await using var dataSource = NpgsqlDataSource.Create(graph.App.GetConnectionString("menotime"));
        var clock = new TestClock(graph.App.Options.ClockOffsetFile);
        var recipient = $"dashboard-{Guid.NewGuid():N}@example.test";
        var now = clock.GetUtcNow();
        var request = new NotificationRequest("appointment-1440m", $"appointment:{Guid.NewGuid()}", now.AddDays(1), NotificationKind.Appointment,
            Guid.NewGuid(), recipient, "Europe/London", now.AddMinutes(-1));
        Assert.True(await new NotificationOutbox(dataSource, clock).EnqueueAsync(request, Cancellation));
        using var mail = graph.App.CreateMailSinkClient();
        var message = await mail.WaitForMessageAsync(m => m.To.Any(t => t.Address == recipient), TimeSpan.FromSeconds(60), Cancellation);
        var notificationId = (await mail.GetHeadersAsync(message.Id, Cancellation))["X-MenoTime-Notification-Id"];

        await using var browser = await Browser.LaunchAsync();
        var page = browser.Page;
        await page.GotoAsync(graph.Dashboard.LoginUrl.ToString());
        await page.GetByRole(AriaRole.Link, new() { Name = "Traces" }).ClickAsync();
        // The send's span carries the notification's id (and nothing about the patient): search by it.
        await page.GetByLabel("Search traces").FillAsync(notificationId);
        await page.Locator("#traces tbody tr").First.ClickAsync();

        var waterfall = page.Locator("#waterfall");
        var send = waterfall.Locator(".span-row[data-depth='0'][data-service='worker'][data-kind='internal']");
        var smtp = waterfall.Locator(".span-row[data-depth='1'][data-service='worker'][data-kind='client']", new() { HasText = "smtp send" });
        await Expect(send).ToContainTextAsync("send reminder");
        await Expect(smtp).ToContainTextAsync("→ 127.0.0.1");
        await send.ClickAsync();
        await smtp.ClickAsync();
        await Expect(page.Locator(".span-details").First).ToContainTextAsync(notificationId);
        var smtpPort = graph.App.GetInstances(graph.App.GetResource("mail"))[0].Ports["smtp"].ToString(System.Globalization.CultureInfo.InvariantCulture);
        await Expect(page.Locator(".span-details").Nth(1)).ToContainTextAsync(smtpPort);
        Assert.DoesNotContain(recipient, await waterfall.InnerTextAsync(), StringComparison.OrdinalIgnoreCase);

        var screenshot = await browser.ScreenshotAsync("reminder-trace");
        TestContext.Current.SendDiagnosticMessage($"Dashboard screenshot (trace of a reminder from the worker into MailDev): {screenshot}");
        TestContext.Current.AddAttachment("dashboard-reminder-trace-screenshot", screenshot);
        Assert.Empty(browser.PageErrors);
    }

    [Fact]
    public async Task Restarting_the_worker_from_its_button_shows_in_its_live_console_and_its_restart_count()
    {
        await using var browser = await Browser.LaunchAsync();
        var console = browser.Page;
        await console.GotoAsync(graph.Dashboard.LoginUrl.ToString());
        await console.GotoAsync(new Uri(graph.Dashboard.Url, "#/console/worker").ToString());
        await Expect(console.Locator("#console")).ToContainTextAsync("Now listening on");
        var resources = await console.Context.NewPageAsync();
        await resources.GotoAsync(new Uri(graph.Dashboard.Url, "#/resources").ToString());
        var worker = resources.Locator("tr[data-instance='worker']");
        var pidBefore = await worker.Locator("td.mono").TextContentAsync();

        await worker.GetByRole(AriaRole.Button, new() { Name = "Restart" }).ClickAsync();

        await Expect(worker.Locator("td.restarts")).ToHaveTextAsync("1");
        await Expect(worker.Locator("[data-state]")).ToHaveAttributeAsync("data-state", "healthy");
        await Expect(worker.Locator("td.mono")).Not.ToHaveTextAsync(pidBefore!);
        // The console page, open all along, received the restart as it happened.
        await Expect(console.Locator("#console .line", new() { HasText = "restarting" })).ToHaveCountAsync(1);
        await console.GetByLabel("Search the output").FillAsync("restarting");
        await Expect(console.Locator("#console .line:not(.hidden)")).ToHaveCountAsync(1);
        Assert.Equal(1, Assert.Single(graph.App.GetInstances(graph.App.GetResource("worker"))).Restarts);
        Assert.Empty(browser.PageErrors);
    }
}
