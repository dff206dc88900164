using System.Globalization;
using MenoTime.AppHost.Hosting;
using MenoTime.AppHost.Hosting.Testing;
using static MenoTime.IntegrationTests.Clinical.Clinic;

namespace MenoTime.IntegrationTests.Reminders;

/// <summary>
/// A graph of its own for the tests of one SMTP lane's connection: the worker has a single lane, so every reminder
/// goes over the connection under test and no other test's reminders share it, and the idle limit is the test's.
/// </summary>
public abstract class OneLaneGraph(TimeSpan idleReconnect) : IAsyncLifetime
{
    protected DistributedApplication App { get; private set; } = null!;

    public async ValueTask InitializeAsync()
    {
        App = await DistributedApplicationTestingBuilder.CreateAsync();
        ((ExecutableResource)App.GetResource("worker")).EnvironmentCallbacks.Add(context =>
        {
            context.Variables["Reminders__Delivery__Concurrency"] = "1";
            context.Variables["Email__Smtp__IdleReconnect"] = idleReconnect.ToString("c", CultureInfo.InvariantCulture);
        });
        await App.StartAsync(Cancellation);
    }

    public async ValueTask DisposeAsync()
    {
        await App.DisposeAsync();
        GC.SuppressFinalize(this);
    }
}
