using MenoTime.Data;
using Microsoft.EntityFrameworkCore;

namespace MenoTime.Api.Access;

/// <summary>How the caller relates to the patient whose record is touched.</summary>
public enum Relationship
{
    Self,
    AssignedProvider,
    /// <summary>A provider not assigned to the patient, under an active break-glass grant.</summary>
    EmergencyProvider,
    Supporter,
    Admin,
}

/// <summary>The result of a granted check: handlers use it to shape what they return.</summary>
public sealed record PatientAccess(Guid PatientId, Relationship Relationship, IReadOnlySet<PatientData> SupporterScopes);

/// <summary>
/// The rules of the patient compartment, in one place:
/// a patient reads and writes their own record (notes: read shared ones only, never write);
/// a provider reads and writes the records of patients assigned to them (not supporter grants);
/// a supporter reads what an unexpired, unrevoked grant scopes, plus the patient's name;
/// an admin manages profiles, appointments, assignments and grants, and reads no clinical data;
/// the reminder notifications (what was sent when, never the message) are the patient's and admins' to read;
/// a provider under a break-glass grant has an assigned provider's rights for its hour, and every access
/// under it is flagged in the audit trail. A denied check looks exactly like a missing patient: 404.
/// </summary>
public sealed class PatientAccessPolicy(MenoTimeDbContext db, TimeProvider clock)
{
    private static readonly Dictionary<Relationship, (PatientData[] Read, PatientData[] Write)> Rules = new()
    {
        [Relationship.Self] = (
            [PatientData.Profile, PatientData.Appointments, PatientData.Questionnaires, PatientData.Symptoms, PatientData.Medications, PatientData.Notes, PatientData.Supporters, PatientData.Assignments, PatientData.AccessLog, PatientData.Notifications],
            [PatientData.Profile, PatientData.Appointments, PatientData.Questionnaires, PatientData.Symptoms, PatientData.Medications, PatientData.Supporters]),
        [Relationship.AssignedProvider] = (
            [PatientData.Profile, PatientData.Appointments, PatientData.Questionnaires, PatientData.Symptoms, PatientData.Medications, PatientData.Notes, PatientData.Assignments],
            [PatientData.Profile, PatientData.Appointments, PatientData.Questionnaires, PatientData.Symptoms, PatientData.Medications, PatientData.Notes]),
        [Relationship.EmergencyProvider] = (
            [PatientData.Profile, PatientData.Appointments, PatientData.Questionnaires, PatientData.Symptoms, PatientData.Medications, PatientData.Notes, PatientData.Assignments],
            [PatientData.Profile, PatientData.Appointments, PatientData.Questionnaires, PatientData.Symptoms, PatientData.Medications, PatientData.Notes]),
        [Relationship.Admin] = (
            [PatientData.Profile, PatientData.Appointments, PatientData.Supporters, PatientData.Assignments, PatientData.AccessLog, PatientData.Notifications],
            [PatientData.Profile, PatientData.Appointments, PatientData.Supporters, PatientData.Assignments]),
    };

    /// <summary>What a supporter grant can scope.</summary>
    public static readonly PatientData[] GrantableScopes = [PatientData.Appointments, PatientData.Questionnaires, PatientData.Symptoms, PatientData.Medications];

    /// <summary>True once this request was let in by a break-glass grant: its audit row is flagged.</summary>
    public bool UsedEmergencyAccess { get; private set; }

    /// <summary>Flags the request itself as break-glass (the request that opens the grant).</summary>
    public void MarkEmergencyAccess() => UsedEmergencyAccess = true;

    /// <returns>The access granted, or null (answer 404).</returns>
    public async Task<PatientAccess?> CheckAsync(Caller caller, Guid patientId, PatientData data, AccessMode mode, CancellationToken cancellationToken)
    {
        foreach (var relationship in await RelationshipsAsync(caller, patientId, cancellationToken))
        {
            if (relationship.Relationship == Relationship.Supporter)
            {
                var readable = data == PatientData.Profile || relationship.SupporterScopes.Contains(data);
                if (mode == AccessMode.Read && readable)
                {
                    return relationship;
                }

                continue;
            }

            var (read, write) = Rules[relationship.Relationship];
            if ((mode == AccessMode.Read ? read : write).Contains(data))
            {
                UsedEmergencyAccess |= relationship.Relationship == Relationship.EmergencyProvider;
                return relationship;
            }
        }

        return null;
    }

    /// <summary>Every way the caller relates to the patient, strongest first; empty when the patient does not exist.</summary>
    private async Task<List<PatientAccess>> RelationshipsAsync(Caller caller, Guid patientId, CancellationToken cancellationToken)
    {
        var relationships = new List<PatientAccess>();
        // A patient's own id was read from the patients table by this request's session check (CallerRecords), and
        // patient records are never deleted: their own record needs no second lookup.
        var self = caller.Is(Roles.Patient) && caller.PatientId == patientId;
        if (!self && !await db.Patients.AnyAsync(p => p.Id == patientId, cancellationToken))
        {
            return relationships;
        }

        var none = new HashSet<PatientData>();
        if (self)
        {
            relationships.Add(new(patientId, Relationship.Self, none));
        }

        if (caller.Is(Roles.Provider) && caller.ProviderId is { } providerId)
        {
            var now = clock.GetUtcNow();
            if (await db.CareAssignments.AnyAsync(a => a.PatientId == patientId && a.ProviderId == providerId, cancellationToken))
            {
                relationships.Add(new(patientId, Relationship.AssignedProvider, none));
            }
            else if (await db.BreakGlassGrants.AnyAsync(g => g.PatientId == patientId && g.ProviderId == providerId && g.ExpiresAt > now, cancellationToken))
            {
                relationships.Add(new(patientId, Relationship.EmergencyProvider, none));
            }
        }

        if (caller.Is(Roles.Admin))
        {
            relationships.Add(new(patientId, Relationship.Admin, none));
        }

        if (caller.Is(Roles.Supporter))
        {
            var now = clock.GetUtcNow();
            var scopes = await db.SupporterGrants
                .Where(g => g.PatientId == patientId && g.SupporterSubject == caller.Subject && g.RevokedAt == null && g.ExpiresAt > now)
                .Select(g => g.Scopes)
                .ToListAsync(cancellationToken);
            if (scopes.Count > 0)
            {
                var granted = scopes.SelectMany(s => s).Select(s => Enum.Parse<PatientData>(s, ignoreCase: true)).ToHashSet();
                relationships.Add(new(patientId, Relationship.Supporter, granted));
            }
        }

        return relationships;
    }
}
