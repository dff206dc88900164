using MenoTime.Data.Model;
using NodaTime;
using NodaTime.TimeZones;

namespace MenoTime.Api.Features.Providers;

/// <summary>
/// Free slots from weekly hours in the provider's IANA zone. Each working window is turned into real
/// instants first and then cut into equal slots, so that across a DST change a window keeps its real
/// length (an hour more or less) and no slot starts at a local time that does not exist or twice.
/// </summary>
public static class SlotCalculator
{
    public static List<(DateTimeOffset Start, DateTimeOffset End)> FreeSlots(
        Provider provider,
        DateTimeOffset from,
        DateTimeOffset to,
        IReadOnlyList<(DateTimeOffset Start, DateTimeOffset End)> booked)
    {
        var zone = DateTimeZoneProviders.Tzdb[provider.TimeZone];
        var length = Duration.FromMinutes(provider.SlotMinutes);
        var firstDate = Instant.FromDateTimeOffset(from).InZone(zone).Date.PlusDays(-1);
        var lastDate = Instant.FromDateTimeOffset(to).InZone(zone).Date;
        var slots = new List<(DateTimeOffset, DateTimeOffset)>();
        for (var date = firstDate; date <= lastDate; date = date.PlusDays(1))
        {
            foreach (var (windowStart, windowEnd) in WorkingWindows(provider, date))
            {
                var start = ToInstant(zone, date, windowStart);
                var end = ToInstant(zone, date, windowEnd);
                for (var slot = start; slot + length <= end; slot += length)
                {
                    var slotStart = slot.ToDateTimeOffset();
                    var slotEnd = (slot + length).ToDateTimeOffset();
                    if (slotStart >= from && slotEnd <= to && !booked.Any(b => b.Start < slotEnd && slotStart < b.End))
                    {
                        slots.Add((slotStart, slotEnd));
                    }
                }
            }
        }

        return slots;
    }

    /// <summary>The day's working hours minus its time off, in local time.</summary>
    private static IEnumerable<(TimeOnly Start, TimeOnly End)> WorkingWindows(Provider provider, LocalDate date)
    {
        var timeOff = provider.TimeOff.Where(t => t.OnDate == new DateOnly(date.Year, date.Month, date.Day)).ToList();
        if (timeOff.Any(t => t.StartTime is null))
        {
            yield break;
        }

        foreach (var hours in provider.WorkingHours.Where(h => h.DayOfWeek == (short)date.DayOfWeek).OrderBy(h => h.StartTime))
        {
            var windows = new List<(TimeOnly Start, TimeOnly End)> { (hours.StartTime, hours.EndTime) };
            foreach (var off in timeOff)
            {
                windows = windows.SelectMany(w => Subtract(w, (off.StartTime!.Value, off.EndTime!.Value))).ToList();
            }

            foreach (var window in windows)
            {
                yield return window;
            }
        }
    }

    private static IEnumerable<(TimeOnly, TimeOnly)> Subtract((TimeOnly Start, TimeOnly End) window, (TimeOnly Start, TimeOnly End) off)
    {
        if (off.End <= window.Start || off.Start >= window.End)
        {
            yield return window;
            yield break;
        }

        if (off.Start > window.Start)
        {
            yield return (window.Start, off.Start);
        }

        if (off.End < window.End)
        {
            yield return (off.End, window.End);
        }
    }

    /// <summary>A local time that falls in a DST gap moves forward by the gap; in an overlap, the earlier instant.</summary>
    private static Instant ToInstant(DateTimeZone zone, LocalDate date, TimeOnly time) =>
        zone.ResolveLocal(date + new LocalTime(time.Hour, time.Minute, time.Second), Resolvers.LenientResolver).ToInstant();

    public static string LocalStart(string timeZone, DateTimeOffset instant) =>
        Instant.FromDateTimeOffset(instant).InZone(DateTimeZoneProviders.Tzdb[timeZone]).LocalDateTime
            .ToString("yyyy-MM-dd'T'HH:mm", System.Globalization.CultureInfo.InvariantCulture);
}
