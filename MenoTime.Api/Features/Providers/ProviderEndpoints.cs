using MenoTime.Api.Access;
using MenoTime.Api.Features.Audit;
using MenoTime.Api.Http;
using MenoTime.Data.Audit;
using MenoTime.Data;
using MenoTime.Data.Model;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;

namespace MenoTime.Api.Features.Providers;

public static class ProviderEndpoints
{
    /// <summary>The longest range one slots query may cover.</summary>
    public static readonly TimeSpan MaxSlotRange = TimeSpan.FromDays(31);

    public static void MapProviderEndpoints(this RouteGroupBuilder api)
    {
        var providers = api.MapGroup("/providers").WithTags("Providers").WithMetadata(new AuditResource("provider"));
        providers.MapPost("/", Create).ForRoles(Roles.Admin).Idempotent();
        providers.MapGet("/", List).ForRoles(Roles.All);
        providers.MapGet("/{providerId}", Get).ForRoles(Roles.All);
        providers.MapGet("/{providerId}/availability", GetAvailability).ForRoles(Roles.Provider, Roles.Admin).WithMetadata(new AuditResource("availability", AuditActions.Read));
        providers.MapPut("/{providerId}/availability", SetAvailability).ForRoles(Roles.Provider, Roles.Admin).WithMetadata(new AuditResource("availability"));
        providers.MapGet("/{providerId}/slots", GetSlots).ForRoles(Roles.Patient, Roles.Provider, Roles.Admin).WithMetadata(new AuditResource("slot"));
    }

    public static async Task<Results<Created<ProviderResponse>, ValidationProblem, ProblemHttpResult>> Create(
        ProviderCreate request, HttpContext http, MenoTimeDbContext db, TimeProvider clock)
    {
        var validation = new Validation()
            .Text(request.Subject, "subject", 200)
            .Text(request.DisplayName, "displayName", 200)
            .Email(request.Email, "email")
            .TimeZone(request.TimeZone, "timeZone");
        ValidateSlotMinutes(validation, request.SlotMinutes);
        if (!validation.IsValid)
        {
            return validation.ToProblem();
        }

        if (await db.Providers.AnyAsync(p => p.Subject == request.Subject, http.RequestAborted))
        {
            return Problems.Conflict("provider-exists", "A provider record is already linked to this login.");
        }

        var now = clock.GetUtcNow();
        var provider = new Provider
        {
            Id = Guid.CreateVersion7(),
            Subject = request.Subject!,
            DisplayName = request.DisplayName!.Trim(),
            Email = request.Email!,
            TimeZone = request.TimeZone!,
            SlotMinutes = request.SlotMinutes ?? 30,
            CreatedAt = now,
            UpdatedAt = now,
        };
        db.Providers.Add(provider);
        await db.SaveChangesAsync(http.RequestAborted);
        return TypedResults.Created($"/api/v1/providers/{provider.Id}", ProviderResponse.From(provider, includeContact: true));
    }

    public static async Task<Results<Ok<Page<ProviderResponse>>, ValidationProblem>> List([AsParameters] PageQuery page, HttpContext http, MenoTimeDbContext db)
    {
        if (!page.TryRead(out var limit, out var cursor, out var problem))
        {
            return problem!;
        }

        var caller = http.RequireCaller();
        var query = db.Providers.AsNoTracking();
        if (cursor is not null)
        {
            query = query.Where(p => p.CreatedAt > cursor.At || (p.CreatedAt == cursor.At && p.Id.CompareTo(cursor.Id) > 0));
        }

        var rows = await query.OrderBy(p => p.CreatedAt).ThenBy(p => p.Id).Take(limit + 1).ToListAsync(http.RequestAborted);
        return TypedResults.Ok(PageQuery.Build(rows, limit, p => new PageCursor(p.CreatedAt, p.Id), p => ProviderResponse.From(p, SeesContact(caller, p))));
    }

    public static async Task<Results<Ok<ProviderResponse>, ProblemHttpResult>> Get(Guid providerId, HttpContext http, MenoTimeDbContext db)
    {
        var caller = http.RequireCaller();
        var provider = await db.Providers.AsNoTracking().SingleOrDefaultAsync(p => p.Id == providerId, http.RequestAborted);
        return provider is null ? Problems.NotFound("provider") : TypedResults.Ok(ProviderResponse.From(provider, SeesContact(caller, provider)));
    }

    public static async Task<Results<Ok<Availability>, ProblemHttpResult>> GetAvailability(Guid providerId, HttpContext http, MenoTimeDbContext db)
    {
        var caller = http.RequireCaller();
        var provider = caller.Is(Roles.Admin) || caller.ProviderId == providerId
            ? await db.Providers.AsNoTracking().Include(p => p.WorkingHours).Include(p => p.TimeOff).SingleOrDefaultAsync(p => p.Id == providerId, http.RequestAborted)
            : null;
        return provider is null ? Problems.NotFound("provider") : TypedResults.Ok(ToAvailability(provider));
    }

    /// <summary>Replaces the weekly hours and time off (the provider themself, or an admin).</summary>
    public static async Task<Results<Ok<Availability>, ValidationProblem, ProblemHttpResult>> SetAvailability(
        Guid providerId, Availability request, HttpContext http, MenoTimeDbContext db, TimeProvider clock)
    {
        var caller = http.RequireCaller();
        var provider = caller.Is(Roles.Admin) || caller.ProviderId == providerId
            ? await db.Providers.SingleOrDefaultAsync(p => p.Id == providerId, http.RequestAborted)
            : null;
        if (provider is null)
        {
            return Problems.NotFound("provider");
        }

        var validation = new Validation().TimeZone(request.TimeZone, "timeZone", required: false);
        ValidateSlotMinutes(validation, request.SlotMinutes);
        var weekly = request.WeeklyHours ?? [];
        var timeOff = request.TimeOff ?? [];
        for (var i = 0; i < weekly.Length; i++)
        {
            validation.Check(weekly[i].DayOfWeek is >= 1 and <= 7, $"weeklyHours[{i}].dayOfWeek", "must be 1 (Monday) to 7 (Sunday).")
                .Check(weekly[i].End > weekly[i].Start, $"weeklyHours[{i}].end", "must be after start.");
        }

        var overlapping = weekly.GroupBy(w => w.DayOfWeek)
            .Any(day => day.OrderBy(w => w.Start).Zip(day.OrderBy(w => w.Start).Skip(1)).Any(pair => pair.Second.Start < pair.First.End));
        validation.Check(!overlapping, "weeklyHours", "windows of one day must not overlap.")
            .Check(weekly.Length <= 50 && timeOff.Length <= 500, "weeklyHours", "too many entries.");
        for (var i = 0; i < timeOff.Length; i++)
        {
            validation.Check((timeOff[i].Start is null) == (timeOff[i].End is null), $"timeOff[{i}]", "give both start and end, or neither for a whole day.")
                .Check(timeOff[i].Start is null || timeOff[i].End > timeOff[i].Start, $"timeOff[{i}].end", "must be after start.");
        }

        if (!validation.IsValid)
        {
            return validation.ToProblem();
        }

        provider.TimeZone = request.TimeZone ?? provider.TimeZone;
        provider.SlotMinutes = request.SlotMinutes ?? provider.SlotMinutes;
        provider.UpdatedAt = clock.GetUtcNow();
        provider.WorkingHours = weekly.Select(w => new WorkingHours { ProviderId = provider.Id, DayOfWeek = (short)w.DayOfWeek, StartTime = w.Start, EndTime = w.End }).ToList();
        provider.TimeOff = timeOff.Select(t => new TimeOff { Id = Guid.CreateVersion7(), ProviderId = provider.Id, OnDate = t.Date, StartTime = t.Start, EndTime = t.End }).ToList();
        // In the request's transaction: the old hours go and the new ones come together.
        await db.WorkingHours.Where(w => w.ProviderId == provider.Id).ExecuteDeleteAsync(http.RequestAborted);
        await db.TimeOff.Where(t => t.ProviderId == provider.Id).ExecuteDeleteAsync(http.RequestAborted);
        try
        {
            await db.SaveChangesAsync(http.RequestAborted);
        }
        catch (DbUpdateConcurrencyException)
        {
            return Problems.Conflict("availability-changed", "The availability was changed at the same moment by someone else. Read it and try again.");
        }

        return TypedResults.Ok(ToAvailability(provider));
    }

    /// <summary>Free slots between from and to (at most 31 days), DST-correct in the provider's zone.</summary>
    public static async Task<Results<Ok<List<Slot>>, ValidationProblem, ProblemHttpResult>> GetSlots(
        Guid providerId, DateTimeOffset? from, DateTimeOffset? to, HttpContext http, MenoTimeDbContext db, TimeProvider clock)
    {
        var validation = new Validation()
            .Check(from is not null, "from", "is required (an instant, e.g. 2026-03-01T00:00:00Z).")
            .Check(to is not null, "to", "is required.");
        if (from is not null && to is not null)
        {
            validation.Check(to > from && to - from <= MaxSlotRange, "to", $"must be after from, at most {MaxSlotRange.TotalDays} days later.");
        }

        if (!validation.IsValid)
        {
            return validation.ToProblem();
        }

        var provider = await db.Providers.AsNoTracking().Include(p => p.WorkingHours).Include(p => p.TimeOff)
            .SingleOrDefaultAsync(p => p.Id == providerId, http.RequestAborted);
        if (provider is null)
        {
            return Problems.NotFound("provider");
        }

        var now = clock.GetUtcNow();
        var start = from!.Value.ToUniversalTime() < now ? now : from.Value.ToUniversalTime();
        var slots = await FreeSlotsAsync(db, provider, start, to!.Value.ToUniversalTime(), excludeAppointment: null, http.RequestAborted);
        return TypedResults.Ok(slots.Select(s => new Slot(s.Start, s.End, SlotCalculator.LocalStart(provider.TimeZone, s.Start), provider.TimeZone)).ToList());
    }

    /// <summary>Free slots, given the provider's booked appointments (optionally ignoring one being rescheduled).</summary>
    public static async Task<List<(DateTimeOffset Start, DateTimeOffset End)>> FreeSlotsAsync(
        MenoTimeDbContext db, Provider provider, DateTimeOffset from, DateTimeOffset to, Guid? excludeAppointment, CancellationToken cancellationToken)
    {
        var booked = await db.Appointments.AsNoTracking()
            .Where(a => a.ProviderId == provider.Id && a.Status == Appointment.Booked && a.StartsAt < to && a.EndsAt > from && a.Id != excludeAppointment)
            .Select(a => new { a.StartsAt, a.EndsAt })
            .ToListAsync(cancellationToken);
        return SlotCalculator.FreeSlots(provider, from, to, booked.Select(b => (b.StartsAt, b.EndsAt)).ToList());
    }

    private static Availability ToAvailability(Provider provider) => new(
        provider.TimeZone,
        provider.SlotMinutes,
        provider.WorkingHours.OrderBy(w => w.DayOfWeek).ThenBy(w => w.StartTime).Select(w => new WeeklyHours(w.DayOfWeek, w.StartTime, w.EndTime)).ToArray(),
        provider.TimeOff.OrderBy(t => t.OnDate).ThenBy(t => t.StartTime).Select(t => new TimeOffEntry(t.OnDate, t.StartTime, t.EndTime)).ToArray());

    private static bool SeesContact(Caller caller, Provider provider) => caller.Is(Roles.Admin) || caller.ProviderId == provider.Id;

    private static void ValidateSlotMinutes(Validation validation, int? slotMinutes) =>
        validation.Check(slotMinutes is null or (>= 5 and <= 240), "slotMinutes", "must be between 5 and 240.");
}
