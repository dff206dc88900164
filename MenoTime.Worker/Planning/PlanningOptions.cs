namespace MenoTime.Worker.Planning;

/// <summary>How the worker plans reminders: <c>Reminders__Planning__*</c>.</summary>
public sealed class PlanningOptions
{
    public const string Section = "Reminders:Planning";

    /// <summary>Pause between planning rounds. A change (booking, reschedule, new schedule) is planned within about this long.</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// How far ahead reminders are written to the outbox. The horizon rolls forward as time passes (by at least an
    /// eighth of it at a time, so the scan of everything entering it is rare); a dose schedule has no end, an outbox must.
    /// </summary>
    public TimeSpan Horizon { get; set; } = TimeSpan.FromDays(2);

    /// <summary>A reminder whose send time is further in the past than this when it is planned is not sent.</summary>
    public TimeSpan Grace { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>
    /// How long a change is read again by later rounds: updated_at is taken before commit, so a change stamped before a
    /// round's start may commit after its scan. Longer than any transaction of the API; re-planning an unchanged target
    /// changes nothing, but costs a little, once per round for this long after each change.
    /// </summary>
    public TimeSpan ChangeOverlap { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>Targets (appointments, schedules) re-planned per statement.</summary>
    public int BatchSize { get; set; } = 2000;

    /// <summary>The worker's name in the planner state (the heartbeat's instance id).</summary>
    public string InstanceId { get; set; } = "";
}
