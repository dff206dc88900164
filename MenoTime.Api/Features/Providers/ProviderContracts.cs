using MenoTime.Api.Http;
using MenoTime.Data.Model;

namespace MenoTime.Api.Features.Providers;

public sealed record ProviderCreate(string? Subject, string? DisplayName, string? Email, string? TimeZone, int? SlotMinutes) : ICreateRequest;

public sealed record ProviderResponse(Guid Id, string DisplayName, string TimeZone, int SlotMinutes, string? Email)
{
    /// <summary>The provider's email is for admins and the provider; patients book by name.</summary>
    public static ProviderResponse From(Provider p, bool includeContact) =>
        new(p.Id, p.DisplayName, p.TimeZone, p.SlotMinutes, includeContact ? p.Email : null);
}

/// <summary>Working hours on an ISO day of week (1 = Monday), local to the provider's zone.</summary>
public sealed record WeeklyHours(int DayOfWeek, TimeOnly Start, TimeOnly End);

/// <summary>Unavailable on a local date: the whole day, or from Start to End.</summary>
public sealed record TimeOffEntry(DateOnly Date, TimeOnly? Start, TimeOnly? End);

public sealed record Availability(string? TimeZone, int? SlotMinutes, WeeklyHours[]? WeeklyHours, TimeOffEntry[]? TimeOff);

/// <summary>A bookable slot: its instants, and its local start in the provider's zone.</summary>
public sealed record Slot(DateTimeOffset StartsAt, DateTimeOffset EndsAt, string LocalStart, string TimeZone);
