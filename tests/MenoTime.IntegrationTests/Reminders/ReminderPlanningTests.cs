using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using MenoTime.IntegrationTests.Clinical;
using NodaTime;
using NodaTime.Text;
using static MenoTime.IntegrationTests.Clinical.Clinic;

namespace MenoTime.IntegrationTests.Reminders;

/// <summary>
/// Planning on the running graph: patients, appointments and dose schedules made through the API, reminders read back
/// through GET /api/v1/notifications, emails from MailDev, the services' clock moved with AdvanceClock.
/// </summary>
public sealed class ReminderPlanningTests(PlannerGraph graph) : IClassFixture<PlannerGraph>
{
    private static readonly TimeSpan Arrival = TimeSpan.FromSeconds(60);
    private static readonly LocalDateTimePattern EmailTime = LocalDateTimePattern.Create("dddd d MMMM uuuu 'at' HH:mm", CultureInfo.GetCultureInfo("en-GB"));
    private static readonly DateTimeZone NewYork = DateTimeZoneProviders.Tzdb["America/New_York"];

    [Fact]
    public async Task An_appointment_reminder_arrives_at_the_patients_lead_time_with_the_time_in_their_zone()
    {
        var provider = await graph.Clinic.NewProviderAsync();
        var (patient, email) = await NewPatientAsync("America/New_York", leads: [90]);
        var start = Slot(graph.Now.AddDays(1));

        var (appointment, _) = await graph.BookAsync(patient, provider, start);
        var planned = Assert.Single(await graph.WaitForAsync(patient, $"appointment:{appointment}", items => items.Count > 0));

        Assert.Equal(("appointment-90m", "appointment", "queued"), (planned.Rule, planned.Kind, planned.Status));
        Assert.Equal(start, planned.OccursAt);
        Assert.Equal(start.AddMinutes(-90), planned.DueAt);

        // Two minutes before it is due: not sent.
        graph.AdvanceTo(planned.DueAt.AddMinutes(-2));
        await graph.SentinelArrivesAsync();
        Assert.Empty(await graph.MessagesToAsync(email));

        graph.AdvanceTo(planned.DueAt.AddMinutes(1));
        var message = await graph.Mail.WaitForMessageAsync(m => m.To.Any(t => t.Address == email), Arrival, Cancellation);
        var local = EmailTime.Format(Instant.FromDateTimeOffset(start).InZone(NewYork).LocalDateTime);
        Assert.Equal("You have an upcoming appointment", message.Subject);
        Assert.Contains($"You have an upcoming appointment on {local} (America/New_York time).", message.Text, StringComparison.Ordinal);
        var sent = Assert.Single(await graph.WaitForAsync(patient, $"appointment:{appointment}", items => items.All(n => n.Status == "sent")));
        Assert.Equal(["queued", "sending", "sent"], sent.History.Select(h => h.Status));
        Assert.True(sent.SentAt >= sent.DueAt);
    }

    [Fact]
    public async Task A_dose_time_in_the_spring_forward_gap_is_reminded_when_the_gap_ends_and_the_days_around_it_at_their_own_time()
    {
        // The next day New York's clocks jump from 02:00 to 03:00; the dose is at 02:30, which does not exist that day.
        var change = NextTransition(NewYork, Instant.FromDateTimeOffset(graph.Now).Plus(Duration.FromDays(3)), springForward: true);
        var day = change.InZone(NewYork).Date;
        graph.AdvanceTo(change.Minus(Duration.FromHours(36)).ToDateTimeOffset());
        var (patient, email) = await NewPatientAsync("America/New_York");

        var medication = await AddMedicationAsync(patient, ["02:30"], day.PlusDays(-1), day.PlusDays(1));
        var planned = await graph.WaitForAsync(patient, $"medication:{medication}", items => items.Count > 0);

        var before = (day.PlusDays(-1) + new LocalTime(2, 30)).InZoneStrictly(NewYork).ToInstant();
        var inGap = (day + new LocalTime(3, 30)).InZoneStrictly(NewYork).ToInstant();
        var after = (day.PlusDays(1) + new LocalTime(2, 30)).InZoneStrictly(NewYork).ToInstant();
        Assert.Equal(change.Plus(Duration.FromMinutes(30)), inGap);
        Assert.Equal([before, inGap, after], planned.Select(n => Instant.FromDateTimeOffset(n.OccursAt)));
        Assert.All(planned, n => Assert.Equal((n.OccursAt, "medication-dose", "medication"), (n.DueAt, n.Rule, n.Kind)));

        // Past the reminder of the gap day: that day's and the day before's have arrived, the day after's has not.
        graph.AdvanceTo(inGap.Plus(Duration.FromMinutes(1)).ToDateTimeOffset());
        await graph.Mail.WaitForMessageAsync(m => m.To.Any(t => t.Address == email) && m.Text!.Contains(Local(inGap), StringComparison.Ordinal), Arrival, Cancellation);
        await graph.SentinelArrivesAsync();
        var texts = (await graph.MessagesToAsync(email)).Select(m => m.Text!).ToList();
        Assert.Equal(2, texts.Count);
        Assert.Contains(texts, t => t.Contains($"You have a scheduled reminder for {Local(before)} (America/New_York time).", StringComparison.Ordinal));
        Assert.Contains(texts, t => t.Contains($"You have a scheduled reminder for {Local(inGap)} (America/New_York time).", StringComparison.Ordinal));
        Assert.Contains("at 03:30", Local(inGap), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_dose_time_that_occurs_twice_when_clocks_fall_back_is_reminded_once_at_its_first_occurrence()
    {
        // The next day New York's clocks go back from 02:00 to 01:00: 01:30 happens twice, an hour apart.
        var change = NextTransition(NewYork, Instant.FromDateTimeOffset(graph.Now).Plus(Duration.FromDays(3)), springForward: false);
        var day = change.InZone(NewYork).Date;
        graph.AdvanceTo(change.Minus(Duration.FromHours(36)).ToDateTimeOffset());
        var (patient, email) = await NewPatientAsync("America/New_York");

        var medication = await AddMedicationAsync(patient, ["01:30"], day, day);
        var planned = await graph.WaitForAsync(patient, $"medication:{medication}", items => items.Count > 0);

        var first = change.Minus(Duration.FromMinutes(30));
        var second = change.Plus(Duration.FromMinutes(30));
        Assert.Equal(new LocalTime(1, 30), first.InZone(NewYork).TimeOfDay);
        Assert.Equal(new LocalTime(1, 30), second.InZone(NewYork).TimeOfDay);
        Assert.Equal(first.ToDateTimeOffset(), Assert.Single(planned).OccursAt);

        graph.AdvanceTo(second.Plus(Duration.FromMinutes(1)).ToDateTimeOffset());
        var message = await graph.Mail.WaitForMessageAsync(m => m.To.Any(t => t.Address == email), Arrival, Cancellation);
        await graph.SentinelArrivesAsync();
        Assert.Single(await graph.MessagesToAsync(email));
        Assert.Contains($"You have a scheduled reminder for {Local(first)} (America/New_York time).", message.Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_reminder_in_quiet_hours_waits_for_their_end_unless_that_would_pass_the_appointment()
    {
        var london = DateTimeZoneProviders.Tzdb["Europe/London"];
        var day = QuietDay(london, graph.Now.AddDays(2));
        var provider = await graph.Clinic.NewProviderAsync();
        var (patient, email) = await NewPatientAsync("Europe/London", leads: [180], quietHours: ("22:00", "07:00"));
        var early = (day + new LocalTime(6, 30)).InZoneStrictly(london).ToDateTimeOffset();
        var later = (day.PlusDays(1) + new LocalTime(9, 0)).InZoneStrictly(london).ToDateTimeOffset();

        var (earlyId, _) = await graph.BookAsync(patient, provider, early);
        var (laterId, _) = await graph.BookAsync(patient, provider, later);
        var earlyReminder = Assert.Single(await graph.WaitForAsync(patient, $"appointment:{earlyId}", items => items.Count > 0));
        var laterReminder = Assert.Single(await graph.WaitForAsync(patient, $"appointment:{laterId}", items => items.Count > 0));

        // 06:30 − 3 h = 03:30, in the quiet hours; their end (07:00) would be after the appointment: sent at 03:30.
        Assert.Equal(early.AddHours(-3), earlyReminder.DueAt);
        // 09:00 − 3 h = 06:00, in the quiet hours: deferred to 07:00, still before the appointment.
        var quietEnd = (day.PlusDays(1) + new LocalTime(7, 0)).InZoneStrictly(london).ToDateTimeOffset();
        Assert.Equal(quietEnd, laterReminder.DueAt);

        graph.AdvanceTo(earlyReminder.DueAt.AddMinutes(1));
        var first = await graph.Mail.WaitForMessageAsync(m => m.To.Any(t => t.Address == email), Arrival, Cancellation);
        Assert.Contains("at 06:30 (Europe/London time)", first.Text, StringComparison.Ordinal);

        // 06:01 local, when the reminder would have gone without quiet hours: nothing yet.
        graph.AdvanceTo(later.AddHours(-3).AddMinutes(1));
        await graph.SentinelArrivesAsync();
        Assert.Single(await graph.MessagesToAsync(email));

        graph.AdvanceTo(quietEnd.AddMinutes(1));
        await graph.Mail.WaitForMessageAsync(m => m.To.Any(t => t.Address == email) && m.Text!.Contains("at 09:00 (Europe/London time)", StringComparison.Ordinal), Arrival, Cancellation);
    }

    [Fact]
    public async Task Without_consent_nothing_is_planned_and_withdrawing_it_retires_what_was_planned()
    {
        var provider = await graph.Clinic.NewProviderAsync();
        var (without, withoutEmail) = await NewPatientAsync("Europe/London", consent: false);
        var (withdrawing, withdrawingEmail) = await NewPatientAsync("Europe/London");
        var start = Slot(graph.Now.AddDays(2));

        await graph.BookAsync(without, provider, start);
        var (planned, _) = await graph.BookAsync(withdrawing, provider, Slot(start.AddHours(1)));
        // Once the second booking is planned, the planner has read the first one too (it was committed before).
        var reminders = await graph.WaitForAsync(withdrawing, $"appointment:{planned}", items => items.Count == 2);
        Assert.All(reminders, n => Assert.Equal("queued", n.Status));
        Assert.Empty(await graph.NotificationsAsync(without));

        await graph.PatchAsync(withdrawing, $"/api/v1/patients/{withdrawing.Id}", new { emailRemindersConsent = false });
        var retired = await graph.WaitForAsync(withdrawing, $"appointment:{planned}", items => items.All(n => n.Status == "retired"));

        graph.AdvanceTo(start.AddHours(2));
        await graph.SentinelArrivesAsync();
        Assert.Empty(await graph.MessagesToAsync(withoutEmail));
        Assert.Empty(await graph.MessagesToAsync(withdrawingEmail));
        Assert.All(retired, n => Assert.Equal(["queued", "retired"], n.History.Select(h => h.Status)));
        Assert.Empty(await graph.NotificationsAsync(without));
    }

    [Fact]
    public async Task After_the_one_click_opt_out_the_patients_next_appointments_are_not_planned()
    {
        var provider = await graph.Clinic.NewProviderAsync();
        var (patient, email) = await NewPatientAsync("Europe/London", leads: [60]);
        var (control, _) = await NewPatientAsync("Europe/London", leads: [60]);
        var (first, _) = await graph.BookAsync(patient, provider, Slot(graph.Now.AddHours(3)));
        var reminder = Assert.Single(await graph.WaitForAsync(patient, $"appointment:{first}", items => items.Count > 0));
        graph.AdvanceTo(reminder.DueAt.AddMinutes(1));
        var message = await graph.Mail.WaitForMessageAsync(m => m.To.Any(t => t.Address == email), Arrival, Cancellation);
        var header = (await graph.Mail.GetHeadersAsync(message.Id, Cancellation))["List-Unsubscribe"];
        using (var anonymous = new HttpClient())
        {
            using var optOut = await anonymous.PostAsync(header[1..^1], new FormUrlEncodedContent([new("List-Unsubscribe", "One-Click")]), Cancellation);
            Assert.Equal(HttpStatusCode.OK, optOut.StatusCode);
        }

        var (next, _) = await graph.BookAsync(patient, provider, Slot(graph.Now.AddDays(1)));
        var (controlAppointment, _) = await graph.BookAsync(control, provider, Slot(graph.Now.AddDays(1).AddHours(1)));
        await graph.WaitForAsync(control, $"appointment:{controlAppointment}", items => items.Count > 0);

        Assert.DoesNotContain(await graph.NotificationsAsync(patient), n => n.Target == $"appointment:{next}");
        graph.AdvanceTo(Slot(graph.Now.AddDays(1)).AddHours(2));
        await graph.SentinelArrivesAsync();
        Assert.Single(await graph.MessagesToAsync(email));
    }

    [Fact]
    public async Task Cancelling_an_appointment_retires_its_reminders_and_nothing_is_sent()
    {
        var provider = await graph.Clinic.NewProviderAsync();
        var (patient, email) = await NewPatientAsync("Europe/London");
        var start = Slot(graph.Now.AddDays(2));
        var (appointment, _) = await graph.BookAsync(patient, provider, start);
        var target = $"appointment:{appointment}";
        var planned = await graph.WaitForAsync(patient, target, items => items.Count == 2);
        Assert.Equal(["appointment-1440m", "appointment-60m"], planned.OrderBy(n => n.DueAt).Select(n => n.Rule));

        await graph.PatchAsync(patient, $"/api/v1/appointments/{appointment}", new { status = "cancelled", cancelReason = "feeling better" });
        var retired = await graph.WaitForAsync(patient, target, items => items.All(n => n.Status == "retired"));

        graph.AdvanceTo(start.AddMinutes(1));
        await graph.SentinelArrivesAsync();
        Assert.Empty(await graph.MessagesToAsync(email));
        Assert.All(retired, n => Assert.Equal(["queued", "retired"], n.History.Select(h => h.Status)));
    }

    [Fact]
    public async Task Rescheduling_retires_the_old_reminder_and_only_the_new_time_is_reminded()
    {
        var provider = await graph.Clinic.NewProviderAsync();
        var (patient, email) = await NewPatientAsync("Europe/London", leads: [60]);
        var before = Slot(graph.Now.AddDays(1));
        var after = Slot(before.AddHours(3));
        var (appointment, _) = await graph.BookAsync(patient, provider, before);
        var target = $"appointment:{appointment}";
        await graph.WaitForAsync(patient, target, items => items.Count == 1);

        await graph.PatchAsync(patient, $"/api/v1/appointments/{appointment}", new { startsAt = after });
        var replanned = await graph.WaitForAsync(patient, target, items => items.Count == 2 && items.Any(n => n.Status == "retired"));

        Assert.Equal([(before, "retired"), (after, "queued")], replanned.Select(n => (n.OccursAt, n.Status)));
        graph.AdvanceTo(after.AddMinutes(-30));
        var message = await graph.Mail.WaitForMessageAsync(m => m.To.Any(t => t.Address == email), Arrival, Cancellation);
        await graph.SentinelArrivesAsync();
        Assert.Single(await graph.MessagesToAsync(email));
        Assert.Contains(Local(Instant.FromDateTimeOffset(after), DateTimeZoneProviders.Tzdb["Europe/London"]), message.Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Changing_the_patients_zone_re_plans_dose_reminders_at_the_same_local_time_in_the_new_zone()
    {
        var london = DateTimeZoneProviders.Tzdb["Europe/London"];
        var tokyo = DateTimeZoneProviders.Tzdb["Asia/Tokyo"];
        var (patient, email) = await NewPatientAsync("Europe/London");
        var today = Instant.FromDateTimeOffset(graph.Now).InZone(london).Date;
        var medication = await AddMedicationAsync(patient, ["08:00"], today, null);
        var target = $"medication:{medication}";
        var inLondon = await graph.WaitForAsync(patient, target, items => items.Count > 0);
        Assert.All(inLondon, n => Assert.Equal(new LocalTime(8, 0), Instant.FromDateTimeOffset(n.OccursAt).InZone(london).TimeOfDay));

        await graph.PatchAsync(patient, $"/api/v1/patients/{patient.Id}", new { timeZone = "Asia/Tokyo" });
        var replanned = await graph.WaitForAsync(patient, target, items => items.Where(n => n.Status == "queued").Any(n => Instant.FromDateTimeOffset(n.OccursAt).InZone(tokyo).TimeOfDay == new LocalTime(8, 0)));

        Assert.All(replanned.Where(n => inLondon.Any(l => l.Id == n.Id)), n => Assert.Equal("retired", n.Status));
        Assert.All(replanned.Where(n => n.Status == "queued"), n => Assert.Equal(new LocalTime(8, 0), Instant.FromDateTimeOffset(n.OccursAt).InZone(tokyo).TimeOfDay));

        // Past the next 08:00 in London and then the next 08:00 in Tokyo: only Tokyo's arrives.
        var londonNext = inLondon.Select(n => n.OccursAt).Where(t => t > graph.Now).Min();
        var tokyoNext = replanned.Where(n => n.Status == "queued").Select(n => n.OccursAt).Where(t => t > londonNext).Min();
        graph.AdvanceTo(tokyoNext.AddMinutes(1));
        var message = await graph.Mail.WaitForMessageAsync(m => m.To.Any(t => t.Address == email) && m.Text!.Contains(Local(Instant.FromDateTimeOffset(tokyoNext), tokyo), StringComparison.Ordinal), Arrival, Cancellation);
        await graph.SentinelArrivesAsync();
        var texts = (await graph.MessagesToAsync(email)).Select(m => m.Text!).ToList();
        Assert.Contains("(Asia/Tokyo time)", message.Text, StringComparison.Ordinal);
        Assert.DoesNotContain(texts, t => t.Contains("Europe/London", StringComparison.Ordinal));
    }

    private async Task<(Party Patient, string Email)> NewPatientAsync(
        string timeZone, int[]? leads = null, (string Start, string End)? quietHours = null, bool consent = true)
    {
        var email = ReminderStore.NewAddress("planned");
        var patient = await graph.Clinic.NewPatientAsync(timeZone, new
        {
            givenName = "Ann", familyName = "Lee", dateOfBirth = "1971-05-04", email, timeZone,
            emailRemindersConsent = consent,
            reminderLeadMinutes = leads ?? [1440, 60],
            quietHours = quietHours is { } q ? new { start = q.Start, end = q.End } : null,
        });
        return (patient, email);
    }

    private async Task<Guid> AddMedicationAsync(Party patient, string[] times, LocalDate start, LocalDate? stop)
    {
        using var client = await graph.ClientAsync(patient);
        var created = await Expect(HttpStatusCode.Created, await client.PostAsJsonAsync($"/api/v1/patients/{patient.Id}/medications", new
        {
            drug = "Estradiol", dose = 1, unit = "mg", route = "oral",
            schedule = new { times, days = new[] { 1, 2, 3, 4, 5, 6, 7 } },
            startDate = start.ToString("uuuu-MM-dd", CultureInfo.InvariantCulture),
            stopDate = stop?.ToString("uuuu-MM-dd", CultureInfo.InvariantCulture),
        }, Cancellation));
        return created.GetProperty("id").GetGuid();
    }

    /// <summary>The provider's first slot at or after <paramref name="at"/>: on the half hour (UTC), 00:00 to 23:00.</summary>
    private static DateTimeOffset Slot(DateTimeOffset at)
    {
        var utc = at.ToUniversalTime();
        var slot = new DateTimeOffset(utc.Year, utc.Month, utc.Day, utc.Hour, utc.Minute >= 30 ? 30 : 0, 0, TimeSpan.Zero);
        slot = slot < utc ? slot.AddMinutes(30) : slot;
        return slot.TimeOfDay == new TimeSpan(23, 30, 0) ? slot.AddMinutes(30) : slot;
    }

    /// <summary>The first instant after <paramref name="after"/> at which the zone's offset grows (spring forward) or shrinks.</summary>
    private static Instant NextTransition(DateTimeZone zone, Instant after, bool springForward)
    {
        var interval = zone.GetZoneInterval(after);
        while (true)
        {
            var next = zone.GetZoneInterval(interval.End);
            if (next.WallOffset > interval.WallOffset == springForward)
            {
                return interval.End;
            }

            interval = next;
        }
    }

    /// <summary>A local date from <paramref name="from"/> on with no offset change from the day before to two days after it.</summary>
    private static LocalDate QuietDay(DateTimeZone zone, DateTimeOffset from)
    {
        var day = Instant.FromDateTimeOffset(from).InZone(zone).Date;
        while (zone.AtStartOfDay(day.PlusDays(-1)).Offset != zone.AtStartOfDay(day.PlusDays(3)).Offset)
        {
            day = day.PlusDays(1);
        }

        return day;
    }

    private static string Local(Instant instant) => Local(instant, NewYork);

    private static string Local(Instant instant, DateTimeZone zone) => EmailTime.Format(instant.InZone(zone).LocalDateTime);
}
