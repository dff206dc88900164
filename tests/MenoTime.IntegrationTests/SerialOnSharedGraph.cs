namespace MenoTime.IntegrationTests;

/// <summary>
/// Tests that move the shared graph's clock (reminders due hours later, sessions idle for 15 minutes, an
/// hour of break-glass) or restart one of its services. They run alone, after every parallel test: a clock
/// hours ahead would expire the sessions of tests running beside them.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class SerialOnSharedGraph
{
    public const string Name = "moves the shared graph's clock or restarts its services";
}
