namespace MenoTime.Data.Model;

public sealed class Patient
{
    public Guid Id { get; set; }

    /// <summary>The OIDC subject of the patient's own login; null until the patient signs in.</summary>
    public string? Subject { get; set; }

    public required string GivenName { get; set; }

    public required string FamilyName { get; set; }

    public DateOnly DateOfBirth { get; set; }

    public required string Email { get; set; }

    /// <summary>IANA zone id: reminders and dose schedules are computed in it.</summary>
    public required string TimeZone { get; set; }

    public bool EmailRemindersConsent { get; set; }

    /// <summary>How long before an appointment reminders go out, in minutes.</summary>
    public int[] ReminderLeadMinutes { get; set; } = [1440, 60];

    public TimeOnly? QuietHoursStart { get; set; }

    public TimeOnly? QuietHoursEnd { get; set; }

    public DateTimeOffset CreatedAt { get; set; }

    public DateTimeOffset UpdatedAt { get; set; }

    /// <summary>PostgreSQL's xmin: changes with every update; the ETag of the record.</summary>
    public uint Version { get; set; }
}
