using MenoTime.Api.Access;
using MenoTime.Api.Http;
using MenoTime.Data.Model;

namespace MenoTime.Api.Features.Patients;

/// <summary>Quiet hours in the patient's zone: no reminder email between Start and End (may span midnight).</summary>
public sealed record QuietHours(TimeOnly Start, TimeOnly End);

public sealed record PatientCreate(
    string? GivenName,
    string? FamilyName,
    DateOnly? DateOfBirth,
    string? Email,
    string? TimeZone,
    bool? EmailRemindersConsent,
    int[]? ReminderLeadMinutes,
    QuietHours? QuietHours,
    // Links the record to a login. Only an admin or provider registering someone else sets it.
    string? Subject) : ICreateRequest;

/// <summary>A PATCH: absent fields stay as they are.</summary>
public sealed record PatientUpdate(
    PatchField<string?> GivenName,
    PatchField<string?> FamilyName,
    PatchField<DateOnly?> DateOfBirth,
    PatchField<string?> Email,
    PatchField<string?> TimeZone,
    PatchField<bool?> EmailRemindersConsent,
    PatchField<int[]?> ReminderLeadMinutes,
    PatchField<QuietHours?> QuietHours);

/// <summary>A patient as the caller may see it: a supporter sees the name only (other fields are omitted).</summary>
public sealed record PatientResponse(
    Guid Id,
    string GivenName,
    string FamilyName,
    DateOnly? DateOfBirth,
    string? Email,
    string? TimeZone,
    bool? EmailRemindersConsent,
    int[]? ReminderLeadMinutes,
    QuietHours? QuietHours,
    bool? HasLogin,
    DateTimeOffset? CreatedAt,
    DateTimeOffset? UpdatedAt)
{
    public static PatientResponse From(Patient p, Relationship relationship) => relationship == Relationship.Supporter
        ? new(p.Id, p.GivenName, p.FamilyName, null, null, null, null, null, null, null, null, null)
        : new(p.Id, p.GivenName, p.FamilyName, p.DateOfBirth, p.Email, p.TimeZone, p.EmailRemindersConsent, p.ReminderLeadMinutes,
            p.QuietHoursStart is { } start && p.QuietHoursEnd is { } end ? new QuietHours(start, end) : null,
            p.Subject is not null, p.CreatedAt, p.UpdatedAt);
}

internal static class PatientRules
{
    public const int MaxLeadMinutes = 14 * 24 * 60;

    public static void ValidateLeadTimes(Validation validation, int[]? leadMinutes)
    {
        if (leadMinutes is null)
        {
            return;
        }

        validation.Check(leadMinutes.Length is >= 1 and <= 5 && leadMinutes.All(m => m is >= 5 and <= MaxLeadMinutes) && leadMinutes.Distinct().Count() == leadMinutes.Length,
            "reminderLeadMinutes", $"must list 1 to 5 different lead times between 5 and {MaxLeadMinutes} minutes.");
    }

    public static void ValidateDateOfBirth(Validation validation, DateOnly? dateOfBirth, DateOnly today)
    {
        if (dateOfBirth is { } date)
        {
            validation.Check(date >= new DateOnly(1900, 1, 1) && date <= today, "dateOfBirth", "must be a date between 1900-01-01 and today.");
        }
    }
}
