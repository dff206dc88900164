using MenoTime.Data.Notifications;
using NodaTime;
using NodaTime.TimeZones;

namespace MenoTime.Worker.Planning;

/// <summary>What planning needs of a patient: where to send, in which zone, when, and whether at all.</summary>
public sealed record PatientSettings(
    Guid Id,
    string Email,
    string TimeZone,
    bool Consent,
    bool Suppressed,
    int[] LeadMinutes,
    TimeOnly? QuietStart,
    TimeOnly? QuietEnd)
{
    /// <summary>No consent, an opt-out, a bounce or a complaint, or a zone the database cannot name: no reminder.</summary>
    public bool WantsReminders => Consent && !Suppressed && Zone is not null;

    public DateTimeZone? Zone { get; } = DateTimeZoneProviders.Tzdb.GetZoneOrNull(TimeZone);
}

public sealed record AppointmentFacts(Guid Id, Guid PatientId, DateTimeOffset StartsAt, string Status);

public sealed record MedicationFacts(Guid Id, Guid PatientId, TimeOnly[] Times, short[] Days, DateOnly StartDate, DateOnly? StopDate);

/// <summary>
/// The reminders one target should have: <see cref="Kept"/> are every key that may stay open (older rows of the
/// target not among them are retired); <see cref="ToPlan"/> are the ones to write now (new, moved or revived).
/// </summary>
public sealed record TargetPlan(string Target, IReadOnlyList<NotificationRequest> ToPlan, IReadOnlyList<(string Rule, DateTimeOffset OccursAt)> Kept);

/// <summary>
/// The planning rules, pure (no I/O), in NodaTime:
/// <list type="bullet">
/// <item>Appointment reminders at each of the patient's lead times before the start (rule <c>appointment-{minutes}m</c>).</item>
/// <item>Dose reminders at each schedule time on each scheduled ISO day between start and stop date, in the patient's
/// zone (rule <c>medication-dose</c>). A local time that falls in a DST gap (spring forward) is moved forward by the
/// length of the gap (02:30 on a day 02:00 becomes 03:00 is reminded at 03:30); a local time that occurs twice (fall
/// back) is reminded once, at its first occurrence (NodaTime's lenient resolver).</item>
/// <item>Quiet hours (local, may span midnight; start inclusive, end exclusive): a reminder that would go out in them
/// is deferred to their end — unless the end is at or after the occurrence it reminds of (the appointment's start,
/// the dose time): then it goes at its planned time, inside the quiet hours, because a reminder after the event is
/// useless and being disturbed is the lesser harm. Dose reminders are due at the dose time, so they are never deferred.</item>
/// <item>A reminder is written when its planned time (before deferral) is before the horizon's end and its send time
/// is not more than the grace period in the past: a reminder whose time has gone by is not sent late.</item>
/// </list>
/// </summary>
public static class ReminderSchedule
{
    public const string MedicationRule = "medication-dose";

    public static string AppointmentTarget(Guid id) => $"appointment:{id}";

    public static string MedicationTarget(Guid id) => $"medication:{id}";

    public static string AppointmentRule(int leadMinutes) => $"appointment-{leadMinutes}m";

    /// <param name="lower">Send times before this are not written (now minus the grace period).</param>
    /// <param name="horizonEnd">Reminders planned for this instant or later are left for a later extension.</param>
    public static TargetPlan ForAppointment(AppointmentFacts appointment, PatientSettings? patient, Instant lower, Instant horizonEnd)
    {
        var target = AppointmentTarget(appointment.Id);
        if (patient is not { WantsReminders: true } || appointment.Status != "booked")
        {
            return new TargetPlan(target, [], []);
        }

        var zone = patient.Zone!;
        var start = Instant.FromDateTimeOffset(appointment.StartsAt);
        var toPlan = new List<NotificationRequest>();
        var kept = new List<(string, DateTimeOffset)>();
        foreach (var lead in patient.LeadMinutes.Distinct())
        {
            var rule = AppointmentRule(lead);
            kept.Add((rule, appointment.StartsAt));
            var planned = start - Duration.FromMinutes(lead);
            var due = Defer(planned, start, zone, patient);
            if (planned < horizonEnd && due >= lower)
            {
                toPlan.Add(Request(rule, target, start, NotificationKind.Appointment, patient, due));
            }
        }

        return new TargetPlan(target, toPlan, kept);
    }

    /// <param name="keepFrom">Open dose reminders of occurrences before this are retired when the target is re-planned.</param>
    public static TargetPlan ForMedication(MedicationFacts medication, PatientSettings? patient, Instant keepFrom, Instant lower, Instant horizonEnd)
    {
        var target = MedicationTarget(medication.Id);
        if (patient is not { WantsReminders: true })
        {
            return new TargetPlan(target, [], []);
        }

        var zone = patient.Zone!;
        var toPlan = new List<NotificationRequest>();
        var kept = new List<(string, DateTimeOffset)>();
        foreach (var occurrence in DoseTimes(medication, zone, keepFrom, horizonEnd))
        {
            kept.Add((MedicationRule, occurrence.ToDateTimeOffset()));
            var due = Defer(occurrence, occurrence, zone, patient);
            if (due >= lower)
            {
                toPlan.Add(Request(MedicationRule, target, occurrence, NotificationKind.Medication, patient, due));
            }
        }

        return new TargetPlan(target, toPlan, kept);
    }

    /// <summary>Each dose instant in [from, to), once (two local times resolving to one instant make one reminder).</summary>
    public static IEnumerable<Instant> DoseTimes(MedicationFacts medication, DateTimeZone zone, Instant from, Instant to)
    {
        var firstDate = from.InZone(zone).Date.PlusDays(-1);
        var lastDate = to.InZone(zone).Date.PlusDays(1);
        var start = LocalDate.FromDateOnly(medication.StartDate);
        if (start > firstDate)
        {
            firstDate = start;
        }

        if (medication.StopDate is { } stopDate && LocalDate.FromDateOnly(stopDate) < lastDate)
        {
            lastDate = LocalDate.FromDateOnly(stopDate);
        }

        var seen = new HashSet<Instant>();
        for (var date = firstDate; date <= lastDate; date = date.PlusDays(1))
        {
            if (!medication.Days.Contains((short)(int)date.DayOfWeek))
            {
                continue;
            }

            foreach (var time in medication.Times.Order())
            {
                var instant = zone.ResolveLocal(date + LocalTime.FromTimeOnly(time), Resolvers.LenientResolver).ToInstant();
                if (instant >= from && instant < to && seen.Add(instant))
                {
                    yield return instant;
                }
            }
        }
    }

    /// <summary>Moves <paramref name="planned"/> out of the patient's quiet hours unless that reaches <paramref name="occurrence"/>.</summary>
    public static Instant Defer(Instant planned, Instant occurrence, DateTimeZone zone, PatientSettings patient)
    {
        if (patient.QuietStart is not { } startTime || patient.QuietEnd is not { } endTime || startTime == endTime)
        {
            return planned;
        }

        var local = planned.InZone(zone).LocalDateTime;
        var time = local.TimeOfDay;
        var quietStart = LocalTime.FromTimeOnly(startTime);
        var quietEnd = LocalTime.FromTimeOnly(endTime);
        LocalDate endDate;
        if (quietStart < quietEnd)
        {
            if (time < quietStart || time >= quietEnd)
            {
                return planned;
            }

            endDate = local.Date;
        }
        else
        {
            // Spans midnight, e.g. 22:00–07:00: quiet from the start to midnight, and from midnight to the end.
            if (time < quietStart && time >= quietEnd)
            {
                return planned;
            }

            endDate = time >= quietStart ? local.Date.PlusDays(1) : local.Date;
        }

        var end = zone.ResolveLocal(endDate + quietEnd, Resolvers.LenientResolver).ToInstant();
        return end < occurrence ? end : planned;
    }

    private static NotificationRequest Request(string rule, string target, Instant occurrence, NotificationKind kind, PatientSettings patient, Instant due) =>
        new(rule, target, occurrence.ToDateTimeOffset(), kind, patient.Id, patient.Email.Trim(), patient.TimeZone, due.ToDateTimeOffset());
}
