namespace MenoTime.Data.Model;

public sealed class Appointment
{
    public const string Booked = "booked";
    public const string Cancelled = "cancelled";
    public const string Completed = "completed";
    public const string NoShow = "no_show";

    public Guid Id { get; set; }

    public Guid PatientId { get; set; }

    public Guid ProviderId { get; set; }

    public DateTimeOffset StartsAt { get; set; }

    public DateTimeOffset EndsAt { get; set; }

    /// <summary>The zone it was booked in (the provider's).</summary>
    public required string TimeZone { get; set; }

    public required string Status { get; set; }

    public string? CancelReason { get; set; }

    public DateTimeOffset? CancelledAt { get; set; }

    public required string BookedBy { get; set; }

    public DateTimeOffset CreatedAt { get; set; }

    public DateTimeOffset UpdatedAt { get; set; }

    public uint Version { get; set; }
}

public sealed class CareAssignment
{
    public const string FromBooking = "booking";
    public const string FromRegistration = "registration";
    public const string FromAdmin = "admin";

    public Guid ProviderId { get; set; }

    public Guid PatientId { get; set; }

    public required string Source { get; set; }

    public required string CreatedBy { get; set; }

    public DateTimeOffset CreatedAt { get; set; }
}

public sealed class SupporterGrant
{
    public Guid Id { get; set; }

    public Guid PatientId { get; set; }

    public required string SupporterSubject { get; set; }

    public required string[] Scopes { get; set; }

    public DateTimeOffset ExpiresAt { get; set; }

    public DateTimeOffset CreatedAt { get; set; }

    public DateTimeOffset? RevokedAt { get; set; }
}

/// <summary>A provider's emergency access to a patient not assigned to them: a stated reason, one hour.</summary>
public sealed class BreakGlassGrant
{
    public Guid Id { get; set; }

    public Guid ProviderId { get; set; }

    public Guid PatientId { get; set; }

    public required string Reason { get; set; }

    public DateTimeOffset GrantedAt { get; set; }

    public DateTimeOffset ExpiresAt { get; set; }
}
