using System.Net.Mail;
using NodaTime;

namespace MenoTime.Data.Notifications;

/// <summary>What a notification is about; decides the generic wording of the email, nothing more.</summary>
public enum NotificationKind
{
    Appointment,
    Medication,

    /// <summary>Not a reminder: an alert to an administrator that a provider used break-glass access.</summary>
    EmergencyAccess,
}

/// <summary>
/// One reminder the planner wants sent. (<see cref="Rule"/>, <see cref="Target"/>, <see cref="OccursAt"/>,
/// <see cref="Channel"/>) is its identity: enqueueing the same key again changes nothing.
/// </summary>
/// <remarks>
/// <see cref="Rule"/>: the planning rule, e.g. <c>appointment-24h</c>, <c>medication-dose</c>.
/// <see cref="Target"/>: what it reminds of, e.g. <c>appointment:{id}</c>; the planner re-plans and retires reminders by it (<see cref="NotificationOutbox.ReplanAsync"/>).
/// <see cref="OccursAt"/>: the instant of the occurrence (the appointment's start, the dose time).
/// <see cref="TimeZone"/>: the IANA zone the instant is shown in (the patient's). <see cref="DueAt"/>: when to send.
/// </remarks>
public sealed record NotificationRequest(
    string Rule,
    string Target,
    DateTimeOffset OccursAt,
    NotificationKind Kind,
    Guid PatientId,
    string Recipient,
    string TimeZone,
    DateTimeOffset DueAt,
    string Channel = NotificationRequest.EmailChannel)
{
    public const string EmailChannel = "email";

    /// <summary>Throws <see cref="ArgumentException"/> naming the first field that cannot be enqueued.</summary>
    public void Validate()
    {
        Require(!string.IsNullOrWhiteSpace(Rule) && Rule.Length <= 100, nameof(Rule), "must be 1 to 100 characters");
        Require(!string.IsNullOrWhiteSpace(Target) && Target.Length <= 200, nameof(Target), "must be 1 to 200 characters");
        Require(Channel == EmailChannel, nameof(Channel), $"only '{EmailChannel}' is delivered so far");
        Require(Enum.IsDefined(Kind), nameof(Kind), "is not a known kind");
        Require(PatientId != Guid.Empty, nameof(PatientId), "is required");
        Require(DateTimeZoneProviders.Tzdb.GetZoneOrNull(TimeZone ?? "") is not null, nameof(TimeZone), "must be an IANA time zone id");
        Require(MailAddress.TryCreate(Recipient, out var address) && address.Address == Recipient.Trim(), nameof(Recipient), "must be one plain email address");
    }

    private static void Require(bool condition, string field, string problem)
    {
        if (!condition)
        {
            throw new ArgumentException($"{field} {problem}.", field);
        }
    }
}
