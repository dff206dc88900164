using MenoTime.AppHost.Hosting;
using MenoTime.AppHost.Hosting.Testing;

namespace MenoTime.IntegrationTests.Reminders;

/// <summary>
/// A graph of its own for tests that take parts of it down (MailDev, PostgreSQL) or hold rows locked, so that
/// the shared graph's tests never see the outage. Three attempts per reminder; lag allowed: one minute.
/// </summary>
public sealed class OutageGraph : IAsyncLifetime
{
    public const int MaxAttempts = 3;

    public DistributedApplication App { get; private set; } = null!;

    public MailSinkClient Mail { get; private set; } = null!;

    public HttpClient Worker { get; private set; } = null!;

    public ReminderStore Store { get; private set; } = null!;

    public async ValueTask InitializeAsync()
    {
        App = await DistributedApplicationTestingBuilder.CreateAsync();
        ((ExecutableResource)App.GetResource("worker")).EnvironmentCallbacks.Add(context =>
        {
            context.Variables["Reminders__Delivery__MaxAttempts"] = MaxAttempts.ToString(System.Globalization.CultureInfo.InvariantCulture);
            context.Variables["Reminders__Delivery__MaxLag"] = "00:01:00";
        });
        await App.StartAsync(TestContext.Current.CancellationToken);
        Mail = App.CreateMailSinkClient();
        Worker = App.CreateHttpClient("worker");
        Store = new ReminderStore(App);
    }

    public async ValueTask DisposeAsync()
    {
        Mail?.Dispose();
        Worker?.Dispose();
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
