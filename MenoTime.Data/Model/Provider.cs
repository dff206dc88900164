namespace MenoTime.Data.Model;

public sealed class Provider
{
    public Guid Id { get; set; }

    public required string Subject { get; set; }

    public required string DisplayName { get; set; }

    public required string Email { get; set; }

    public required string TimeZone { get; set; }

    public int SlotMinutes { get; set; } = 30;

    public DateTimeOffset CreatedAt { get; set; }

    public DateTimeOffset UpdatedAt { get; set; }

    public uint Version { get; set; }

    public List<WorkingHours> WorkingHours { get; set; } = [];

    public List<TimeOff> TimeOff { get; set; } = [];
}

/// <summary>A weekly working window in the provider's zone; DayOfWeek is ISO (1 = Monday).</summary>
public sealed class WorkingHours
{
    public Guid ProviderId { get; set; }

    public short DayOfWeek { get; set; }

    public TimeOnly StartTime { get; set; }

    public TimeOnly EndTime { get; set; }
}

/// <summary>Time off on one local date; the whole day when the times are null.</summary>
public sealed class TimeOff
{
    public Guid Id { get; set; }

    public Guid ProviderId { get; set; }

    public DateOnly OnDate { get; set; }

    public TimeOnly? StartTime { get; set; }

    public TimeOnly? EndTime { get; set; }
}
