using System.Globalization;
using System.Net.Mail;
using System.Text;
using MenoTime.Data.Notifications;
using Microsoft.Extensions.Options;
using NodaTime;
using NodaTime.Text;

namespace MenoTime.Worker.Delivery;

/// <summary>
/// Writes a reminder email (and, for <see cref="NotificationKind.EmergencyAccess"/>, an administrator's alert). No PHI: a generic subject and text, the time in the patient's zone and a link to
/// the portal, where the patient signs in for details. Nothing names the patient, the provider, the medication
/// or the reason for the visit. Every email carries a signed one-click opt-out (RFC 8058).
/// </summary>
public sealed class ReminderEmail
{
    public const string NotificationIdHeader = "X-MenoTime-Notification-Id";

    private static readonly LocalDateTimePattern TimePattern =
        LocalDateTimePattern.Create("dddd d MMMM uuuu 'at' HH:mm", CultureInfo.GetCultureInfo("en-GB"));

    private readonly MailAddress _from;
    private readonly Uri _portal;
    private readonly Uri _publicApi;
    private readonly Uri _unsubscribeBase;
    private readonly UnsubscribeToken _tokens;
    private readonly string? _configurationSet;

    public ReminderEmail(IOptions<EmailOptions> options, IConfiguration configuration)
    {
        var email = options.Value;
        var api = configuration["services:api:http:0"];
        _from = new MailAddress(Required(email.From, "Email:From"));
        _portal = new Uri(Required(email.PortalUrl ?? api, "Email:PortalUrl"));
        _publicApi = new Uri(Required(email.PublicApiUrl ?? api, "Email:PublicApiUrl"));
        _unsubscribeBase = new Uri(_publicApi, "api/v1/email/unsubscribe");
        _tokens = new UnsubscribeToken(email.UnsubscribeKey);
        _configurationSet = email.ConfigurationSet;
    }

    public Uri UnsubscribeLink(Guid notificationId) => new($"{_unsubscribeBase}?token={_tokens.Create(notificationId)}");

    public MailMessage Create(ClaimedNotification notification)
    {
        if (notification.Kind == NotificationKind.EmergencyAccess)
        {
            return CreateEmergencyAccessAlert(notification);
        }

        var zone = DateTimeZoneProviders.Tzdb.GetZoneOrNull(notification.TimeZone) ?? DateTimeZone.Utc;
        var local = Instant.FromDateTimeOffset(notification.OccursAt).InZone(zone);
        var when = $"{TimePattern.Format(local.LocalDateTime)} ({zone.Id} time)";
        var (subject, line) = notification.Kind switch
        {
            NotificationKind.Appointment => ("You have an upcoming appointment", $"You have an upcoming appointment on {when}."),
            _ => ("You have a scheduled reminder", $"You have a scheduled reminder for {when}."),
        };
        var unsubscribe = UnsubscribeLink(notification.Id);

        var message = new MailMessage(_from, new MailAddress(notification.Recipient))
        {
            Subject = subject,
            SubjectEncoding = Encoding.UTF8,
            BodyEncoding = Encoding.UTF8,
            IsBodyHtml = false,
            Body = $"""
                Hello,

                {line}

                Sign in to MenoTime for the details: {_portal}

                You receive this email because email reminders are on for your account.
                To stop them, open: {unsubscribe}
                """,
        };

        // The same id on a second attempt lets mailbox providers that collapse duplicate Message-IDs do so.
        message.Headers.Add("Message-ID", $"<{notification.Id:N}@reminders.menotime>");
        message.Headers.Add(NotificationIdHeader, notification.Id.ToString());
        message.Headers.Add("Auto-Submitted", "auto-generated");
        message.Headers.Add("List-Unsubscribe", $"<{unsubscribe}>");
        message.Headers.Add("List-Unsubscribe-Post", "List-Unsubscribe=One-Click");
        if (!string.IsNullOrWhiteSpace(_configurationSet))
        {
            message.Headers.Add("X-SES-CONFIGURATION-SET", _configurationSet);
        }

        return message;
    }

    /// <summary>
    /// To an administrator: a provider used break-glass access. Ids and the time only (no name, no stated reason,
    /// no record content), and where to review it (the grant with its reason, and the audit trail, both admin-only
    /// behind sign-in); no opt-out, since security alerts are not optional.
    /// </summary>
    private MailMessage CreateEmergencyAccessAlert(ClaimedNotification notification)
    {
        var grant = notification.Target["emergency-access:".Length..];
        var from = Uri.EscapeDataString(notification.OccursAt.ToUniversalTime().ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture));
        var message = new MailMessage(_from, new MailAddress(notification.Recipient))
        {
            Subject = "MenoTime security alert: emergency access used",
            SubjectEncoding = Encoding.UTF8,
            BodyEncoding = Encoding.UTF8,
            IsBodyHtml = false,
            Body = $"""
                A provider opened a patient's record under emergency access (break-glass) at
                {notification.OccursAt.ToUniversalTime():yyyy-MM-dd HH:mm:ss} UTC. The grant lasts 60 minutes.

                Grant:   {grant}
                Patient: {notification.PatientId}

                The grant, with the reason the provider stated:
                {new Uri(_publicApi, $"api/v1/emergency-access?patientId={notification.PatientId}")}

                Review who used it and every access made under it (flagged break_glass) in the audit trail:
                {new Uri(_publicApi, $"api/v1/audit?patientId={notification.PatientId}&from={from}")}

                You receive this email because your address is in Security:AlertRecipients.
                """,
        };
        message.Headers.Add("Message-ID", $"<{notification.Id:N}@alerts.menotime>");
        message.Headers.Add(NotificationIdHeader, notification.Id.ToString());
        message.Headers.Add("Auto-Submitted", "auto-generated");
        if (!string.IsNullOrWhiteSpace(_configurationSet))
        {
            message.Headers.Add("X-SES-CONFIGURATION-SET", _configurationSet);
        }

        return message;
    }

    private static string Required(string? value, string key) =>
        string.IsNullOrWhiteSpace(value) ? throw new InvalidOperationException($"{key} is not set (see README, 'Reminders').") : value;
}
