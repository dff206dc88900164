using System.Net.Mail;
using MenoTime.Data;
using MenoTime.Data.Model;
using MenoTime.Data.Notifications;
using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace MenoTime.Api.Features.EmergencyAccess;

/// <summary>
/// Tells the administrators by email that a provider used break-glass access: one outbox row per address in
/// <c>Security:AlertRecipients</c>, written in the request's transaction with the grant itself, so a grant that
/// commits always has its alerts and a grant rolled back has none. The worker sends them like reminders (retries,
/// status history, dead letter); the email names no patient data, only ids to look up in the audit trail.
/// </summary>
public sealed class EmergencyAccessAlerts(NotificationOutbox outbox, IReadOnlyList<string> recipients)
{
    public const string RecipientsKey = "Security:AlertRecipients";

    /// <summary>The addresses from configuration; the API refuses to start without one, since alerts would go nowhere.</summary>
    public static IReadOnlyList<string> ReadRecipients(IConfiguration configuration)
    {
        var recipients = configuration.GetSection(RecipientsKey).Get<string[]>() ?? [];
        if (recipients.Length == 0)
        {
            throw new InvalidOperationException($"{RecipientsKey} is not set: break-glass alerts need at least one administrator address (see README, 'Configuration the services read').");
        }

        foreach (var recipient in recipients)
        {
            if (!MailAddress.TryCreate(recipient, out var address) || address.Address != recipient.Trim())
            {
                throw new InvalidOperationException($"{RecipientsKey} holds '{recipient}', which is not one plain email address.");
            }
        }

        return recipients;
    }

    public async Task EnqueueAsync(MenoTimeDbContext db, BreakGlassGrant grant, CancellationToken cancellationToken)
    {
        // Keyed per grant and per configured address (the rule's number), so a retried request cannot alert twice.
        var alerts = recipients.Select((recipient, i) => new NotificationRequest(
            $"emergency-access-{i + 1}", $"emergency-access:{grant.Id}", grant.GrantedAt, NotificationKind.EmergencyAccess,
            grant.PatientId, recipient, "Etc/UTC", grant.GrantedAt)).ToList();
        // The alerts must commit or roll back with the grant: only ever inside the request's audit transaction.
        _ = db.Database.CurrentTransaction ?? throw new InvalidOperationException("Break-glass alerts are written inside the request's transaction (AuditFilter).");
        await outbox.EnqueueAsync((NpgsqlConnection)db.Database.GetDbConnection(), alerts, cancellationToken);
    }
}
