using System.Diagnostics;
using System.Diagnostics.Metrics;
using MenoTime.Data.Notifications;
using MenoTime.ServiceDefaults;
using Microsoft.Extensions.Options;
using NodaTime;
using Npgsql;

namespace MenoTime.Worker.Planning;

/// <summary>What one planning round did.</summary>
public sealed record PlanningRound(int Targets, int Created, int Replanned, int Retired, bool Extended);

/// <summary>
/// One planning round, run by the replica holding the planner's advisory lock (see <see cref="PlanningService"/>):
/// <list type="number">
/// <item>Roll the horizon: when now + <see cref="PlanningOptions.Horizon"/> has moved an eighth of the horizon past the
/// stored end, plan everything entering it — booked appointments starting up to the longest lead time after the new
/// end, and every active dose schedule.</item>
/// <item>Re-plan what changed: appointments, schedules and patients (zone, lead times, quiet hours, consent, address)
/// whose updated_at is after the mark of the last round (that round's start minus an overlap). Each changed target is re-planned whole: its open
/// reminders that no longer fit are retired, the new ones written (<see cref="NotificationOutbox.ReplanAsync"/>).</item>
/// </list>
/// Every step is idempotent, so a round cut short (crash, lost lock) is simply done again by the next one.
/// </summary>
public sealed partial class ReminderPlanner(
    NotificationOutbox outbox, IOptions<PlanningOptions> options, TimeProvider clock, ILogger<ReminderPlanner> logger)
{
    /// <summary>The longest lead time the API accepts (14 days): how far past the horizon an appointment may start and still be reminded before it.</summary>
    public static readonly TimeSpan MaxLead = TimeSpan.FromDays(14);

    /// <summary>Open dose reminders of occurrences older than this are retired when their schedule is re-planned.</summary>
    public static readonly TimeSpan Lookback = TimeSpan.FromDays(1);

    private static readonly Counter<long> Targets = MenoTimeTelemetry.Meter.CreateCounter<long>(
        "menotime.planner.targets", "{target}", "Appointments and dose schedules (re-)planned");

    private static readonly Counter<long> Planned = MenoTimeTelemetry.Meter.CreateCounter<long>(
        "menotime.notifications.planned", "{notification}", "Reminders the planner wrote to the outbox: new, moved or revived");

    private static readonly Histogram<double> RoundDuration = MenoTimeTelemetry.Meter.CreateHistogram<double>(
        "menotime.planner.round.duration", "s", "Time of one planning round");

    private readonly PlanningOptions _options = options.Value;

    public async Task<PlanningRound> RunAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        using var activity = MenoTimeTelemetry.ActivitySource.StartActivity("plan reminders");
        var started = Stopwatch.GetTimestamp();
        var now = clock.GetUtcNow().ToUniversalTime();
        var state = await PlanningStore.ReadStateAsync(connection, cancellationToken);
        var wantedEnd = now + _options.Horizon;
        var horizonEnd = state.HorizonEnd is not { } end || wantedEnd >= end + (_options.Horizon / 8) ? wantedEnd : end;
        var window = new Window(Instant.FromDateTimeOffset(now), _options.Grace, Instant.FromDateTimeOffset(horizonEnd));
        var total = new Tally();

        // The first round has nothing to extend: every row counts as changed, so the change scan plans it all.
        var extended = state.HorizonEnd is { } oldEnd && horizonEnd > oldEnd;
        if (extended)
        {
            var appointments = await PlanningStore.BookedAppointmentsAsync(connection, state.HorizonEnd!.Value, horizonEnd + MaxLead, cancellationToken);
            var medications = await PlanningStore.ActiveMedicationsAsync(
                connection, DateOnly.FromDateTime(state.HorizonEnd!.Value.UtcDateTime).AddDays(-1), DateOnly.FromDateTime(horizonEnd.UtcDateTime).AddDays(1), cancellationToken);
            await PlanAsync(connection, appointments, medications, window, total, cancellationToken);
        }

        // Everything changed after the mark and committed by now is read. updated_at is taken before commit, so a change
        // stamped up to ChangeOverlap before now may still commit after this scan: the mark moves only to now minus
        // the overlap, and such recent changes are simply read (and re-planned, changing nothing) once more next round.
        var since = state.ChangesSeenUntil;
        var changedAppointments = await PlanningStore.ChangedAppointmentsAsync(connection, since, now - Lookback, horizonEnd + MaxLead, cancellationToken);
        var changedMedications = await PlanningStore.ChangedMedicationsAsync(connection, since, DateOnly.FromDateTime((now - Lookback).UtcDateTime).AddDays(-1), cancellationToken);
        await PlanAsync(connection, changedAppointments, changedMedications, window, total, cancellationToken);
        var mark = now - _options.ChangeOverlap > since ? now - _options.ChangeOverlap : since;

        await PlanningStore.WriteStateAsync(connection, mark, horizonEnd, now, _options.InstanceId, cancellationToken);
        var round = new PlanningRound(total.Targets, total.Created, total.Replanned, total.Retired, extended);
        RoundDuration.Record(Stopwatch.GetElapsedTime(started).TotalSeconds);
        activity?.SetTag("menotime.planner.targets", round.Targets);
        activity?.SetTag("menotime.planner.created", round.Created);
        activity?.SetTag("menotime.planner.retired", round.Retired);
        if (round.Created + round.Replanned + round.Retired > 0)
        {
            LogRound(logger, round.Targets, round.Created, round.Replanned, round.Retired, extended, horizonEnd);
        }

        return round;
    }

    private async Task PlanAsync(
        NpgsqlConnection connection, List<AppointmentFacts> appointments, List<MedicationFacts> medications, Window window, Tally total, CancellationToken cancellationToken)
    {
        var targets = appointments.DistinctBy(a => a.Id).Select(a => (Patient: a.PatientId, Appointment: (AppointmentFacts?)a, Medication: (MedicationFacts?)null))
            .Concat(medications.DistinctBy(m => m.Id).Select(m => (Patient: m.PatientId, Appointment: (AppointmentFacts?)null, Medication: (MedicationFacts?)m)));
        foreach (var batch in targets.Chunk(_options.BatchSize))
        {
            var patients = await PlanningStore.PatientsAsync(connection, batch.Select(t => t.Patient).Distinct().ToList(), cancellationToken);
            var plans = batch.Select(t => t.Appointment is { } a
                ? ReminderSchedule.ForAppointment(a, patients.GetValueOrDefault(a.PatientId), window.Lower, window.End)
                : ReminderSchedule.ForMedication(t.Medication!, patients.GetValueOrDefault(t.Patient), window.KeepFrom, window.Lower, window.End)).ToList();
            var planned = new List<NotificationRequest>();
            foreach (var plan in plans)
            {
                if (plan.ToPlan.All(IsValid))
                {
                    planned.AddRange(plan.ToPlan);
                }
                else
                {
                    // An address or zone the outbox refuses (the API validates both, so only data written around it):
                    // this target is skipped, the others are planned.
                    LogInvalid(logger, plan.Target.Split(':')[0]);
                }
            }

            var result = await outbox.ReplanAsync(
                connection, plans.Select(p => p.Target).ToList(), planned,
                plans.SelectMany(p => p.Kept.Select(k => (p.Target, k.Rule, k.OccursAt))).ToList(), cancellationToken);
            Targets.Add(plans.Count);
            Planned.Add(result.Created + result.Replanned);
            total.Add(plans.Count, result);
        }
    }

    private static bool IsValid(NotificationRequest request)
    {
        try
        {
            request.Validate();
            return true;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }

    /// <summary>The planning window of a round: writes send times from now − grace; plans up to the horizon's end.</summary>
    private sealed record Window(Instant Now, TimeSpan Grace, Instant End)
    {
        public Instant Lower => Now - Duration.FromTimeSpan(Grace);

        public Instant KeepFrom => Now - Duration.FromTimeSpan(Lookback);
    }

    private sealed class Tally
    {
        public int Targets { get; private set; }

        public int Created { get; private set; }

        public int Replanned { get; private set; }

        public int Retired { get; private set; }

        public void Add(int targets, ReplanResult result)
        {
            Targets += targets;
            Created += result.Created;
            Replanned += result.Replanned;
            Retired += result.Retired;
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Planned {Targets} targets: {Created} reminders new, {Replanned} moved or revived, {Retired} retired (horizon extended: {Extended}; planned up to {HorizonEnd:O})")]
    private static partial void LogRound(ILogger logger, int targets, int created, int replanned, int retired, bool extended, DateTimeOffset horizonEnd);

    [LoggerMessage(Level = LogLevel.Warning, Message = "A {TargetKind} was not planned: its patient's address or time zone is not valid")]
    private static partial void LogInvalid(ILogger logger, string targetKind);
}
