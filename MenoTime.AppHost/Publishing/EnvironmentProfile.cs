namespace MenoTime.AppHost.Publishing;

/// <summary>
/// What differs between dev, staging and prod (seed 001 "Environments", seed 000 "ECS Fargate"); everything
/// else is the same topology. Task sizes are Fargate units: 512 = 0.5 vCPU, memory in MiB.
/// </summary>
public sealed record EnvironmentProfile(
    string Name,
    int TaskCpu,
    int TaskMemoryMiB,
    int DesiredTasks,
    int MaxTasks,
    bool RollingDeployment,
    int NatGateways,
    bool DeletionProtection,
    bool RotateDatabaseCredentials,
    string CostCenter,
    string DomainName)
{
    public const string Application = "menotime";
    public const string Owner = "platform@timelessbiotech.com";

    /// <summary>Who gets break-glass alerts: the owning team (seed tag Owner); the seeds name no security mailbox.</summary>
    public const string SecurityAlertRecipient = Owner;
    public const string Region = "us-west-1";
    public const string ZoneName = "menotime.ai";

    /// <summary>Rapid iteration: 0.5 vCPU / 1 GB, one task per service, all-at-once deployments.</summary>
    public static readonly EnvironmentProfile Dev = new("dev", 512, 1024, 1, 1, false, 1, false, false, "engineering", "dev.menotime.ai");

    /// <summary>Pre-production: dev's sizes, its own database and domain.</summary>
    public static readonly EnvironmentProfile Staging = new("staging", 512, 1024, 1, 1, false, 1, false, false, "engineering", "staging.menotime.ai");

    /// <summary>Live patient data: 1 vCPU / 2 GB, 2–4 tasks on CPU and memory, rolling deployments, a NAT per AZ.</summary>
    public static readonly EnvironmentProfile Prod = new("prod", 1024, 2048, 2, 4, true, 2, true, true, "operations", "menotime.ai");

    public static IReadOnlyList<EnvironmentProfile> All { get; } = [Dev, Staging, Prod];

    public bool AutoScales => MaxTasks > DesiredTasks;

    public static EnvironmentProfile? Find(string? name) =>
        All.FirstOrDefault(p => string.Equals(p.Name, name, StringComparison.OrdinalIgnoreCase));
}
