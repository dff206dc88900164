using MenoTime.Api.Access;
using MenoTime.Api.Features.Audit;
using MenoTime.Api.Http;
using MenoTime.Data.Audit;
using MenoTime.Data;
using MenoTime.Data.Model;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;

namespace MenoTime.Api.Features.Patients;

public static class PatientEndpoints
{
    public static void MapPatientEndpoints(this RouteGroupBuilder api)
    {
        var patients = api.MapGroup("/patients").WithTags("Patients").WithMetadata(new AuditResource("patient"));
        patients.MapPost("/", Create).ForRoles(Roles.Patient, Roles.Provider, Roles.Admin).Idempotent();
        patients.MapGet("/", List).ForRoles(Roles.Provider, Roles.Admin);
        patients.MapGet("/me", GetMine).ForRoles(Roles.Patient).WithMetadata(new AuditResource("patient", AuditActions.Read));
        patients.MapGet("/{patientId}", Get).ForPatient(PatientData.Profile, AccessMode.Read);
        patients.MapPatch("/{patientId}", Update).ForPatient(PatientData.Profile, AccessMode.Write);
    }

    /// <summary>
    /// A patient creates their own profile (linked to their login); an admin or provider registers someone
    /// (a provider becomes that patient's assigned provider).
    /// </summary>
    public static async Task<Results<Created<PatientResponse>, ValidationProblem, ProblemHttpResult>> Create(
        PatientCreate request, HttpContext http, MenoTimeDbContext db, TimeProvider clock)
    {
        var caller = http.RequireCaller();
        var now = clock.GetUtcNow();
        var selfRegistration = !caller.Is(Roles.Admin) && !caller.Is(Roles.Provider);
        var validation = new Validation()
            .Text(request.GivenName, "givenName", 200)
            .Text(request.FamilyName, "familyName", 200)
            .Check(request.DateOfBirth is not null, "dateOfBirth", "is required.")
            .Email(request.Email, "email")
            .TimeZone(request.TimeZone, "timeZone");
        PatientRules.ValidateDateOfBirth(validation, request.DateOfBirth, DateOnly.FromDateTime(now.UtcDateTime));
        PatientRules.ValidateLeadTimes(validation, request.ReminderLeadMinutes);
        if (selfRegistration && request.Subject is not null)
        {
            validation.Add("subject", "only an administrator or provider may set it; your profile is linked to your login.");
        }
        else if (request.Subject is not null)
        {
            validation.Text(request.Subject, "subject", 200);
        }

        if (!validation.IsValid)
        {
            return validation.ToProblem();
        }

        var subject = selfRegistration ? caller.Subject : request.Subject;
        if (subject is not null && await db.Patients.AnyAsync(p => p.Subject == subject, http.RequestAborted))
        {
            return Problems.Conflict("patient-exists", selfRegistration
                ? "You already have a patient profile: GET /api/v1/patients/me."
                : "Another patient record is already linked to this login.");
        }

        var patient = new Patient
        {
            Id = Guid.CreateVersion7(),
            Subject = subject,
            GivenName = request.GivenName!.Trim(),
            FamilyName = request.FamilyName!.Trim(),
            DateOfBirth = request.DateOfBirth!.Value,
            Email = request.Email!,
            TimeZone = request.TimeZone!,
            EmailRemindersConsent = request.EmailRemindersConsent ?? false,
            ReminderLeadMinutes = request.ReminderLeadMinutes ?? [1440, 60],
            QuietHoursStart = request.QuietHours?.Start,
            QuietHoursEnd = request.QuietHours?.End,
            CreatedAt = now,
            UpdatedAt = now,
        };
        db.Patients.Add(patient);
        if (caller.Is(Roles.Provider) && !caller.Is(Roles.Admin))
        {
            if (caller.ProviderId is not { } providerId)
            {
                return Problems.Forbidden("Your login has no provider record yet; an administrator creates it.");
            }

            db.CareAssignments.Add(new CareAssignment
            {
                PatientId = patient.Id, ProviderId = providerId, Source = CareAssignment.FromRegistration, CreatedBy = caller.Subject, CreatedAt = now,
            });
        }

        await db.SaveChangesAsync(http.RequestAborted);
        ETags.Set(http.Response, patient.Version);
        return TypedResults.Created($"/api/v1/patients/{patient.Id}", PatientResponse.From(patient, Relationship.Self));
    }

    public static async Task<Results<Ok<PatientResponse>, ProblemHttpResult>> GetMine(HttpContext http, MenoTimeDbContext db)
    {
        var caller = http.RequireCaller();
        var patient = caller.PatientId is { } id ? await db.Patients.AsNoTracking().SingleOrDefaultAsync(p => p.Id == id, http.RequestAborted) : null;
        if (patient is null)
        {
            return Problems.NotFound("patient profile for your login (create it with POST /api/v1/patients)");
        }

        ETags.Set(http.Response, patient.Version);
        return TypedResults.Ok(PatientResponse.From(patient, Relationship.Self));
    }

    public static async Task<Ok<PatientResponse>> Get(Guid patientId, HttpContext http, MenoTimeDbContext db)
    {
        var access = http.GetPatientAccess();
        var patient = await db.Patients.AsNoTracking().SingleAsync(p => p.Id == patientId, http.RequestAborted);
        ETags.Set(http.Response, patient.Version);
        return TypedResults.Ok(PatientResponse.From(patient, access.Relationship));
    }

    /// <summary>Admins see every patient; providers their assigned patients. Optional family-name prefix.</summary>
    public static async Task<Results<Ok<Page<PatientResponse>>, ValidationProblem>> List(
        [AsParameters] PageQuery page, string? familyName, HttpContext http, MenoTimeDbContext db)
    {
        if (!page.TryRead(out var limit, out var cursor, out var problem))
        {
            return problem!;
        }

        var caller = http.RequireCaller();
        var query = db.Patients.AsNoTracking();
        if (!caller.Is(Roles.Admin))
        {
            var providerId = caller.ProviderId ?? Guid.Empty;
            query = query.Where(p => db.CareAssignments.Any(a => a.PatientId == p.Id && a.ProviderId == providerId));
        }

        if (!string.IsNullOrWhiteSpace(familyName))
        {
            var prefix = familyName.Trim();
            query = query.Where(p => p.FamilyName.StartsWith(prefix));
        }

        if (cursor is not null)
        {
            query = query.Where(p => p.CreatedAt > cursor.At || (p.CreatedAt == cursor.At && p.Id.CompareTo(cursor.Id) > 0));
        }

        var rows = await query.OrderBy(p => p.CreatedAt).ThenBy(p => p.Id).Take(limit + 1).ToListAsync(http.RequestAborted);
        return TypedResults.Ok(PageQuery.Build(rows, limit, p => new PageCursor(p.CreatedAt, p.Id), p => PatientResponse.From(p, Relationship.Admin)));
    }

    public static async Task<Results<Ok<PatientResponse>, ValidationProblem, ProblemHttpResult>> Update(
        Guid patientId, PatientUpdate request, HttpContext http, MenoTimeDbContext db, TimeProvider clock)
    {
        var patient = await db.Patients.SingleAsync(p => p.Id == patientId, http.RequestAborted);
        if (ETags.CheckIfMatch(http.Request, patient.Version) is { } precondition)
        {
            return precondition;
        }

        var now = clock.GetUtcNow();
        var validation = new Validation();
        if (request.GivenName.IsSet)
        {
            validation.Text(request.GivenName.Value, "givenName", 200);
        }

        if (request.FamilyName.IsSet)
        {
            validation.Text(request.FamilyName.Value, "familyName", 200);
        }

        if (request.DateOfBirth.IsSet)
        {
            validation.Check(request.DateOfBirth.Value is not null, "dateOfBirth", "cannot be removed.");
            PatientRules.ValidateDateOfBirth(validation, request.DateOfBirth.Value, DateOnly.FromDateTime(now.UtcDateTime));
        }

        if (request.Email.IsSet)
        {
            validation.Email(request.Email.Value, "email");
        }

        if (request.TimeZone.IsSet)
        {
            validation.TimeZone(request.TimeZone.Value, "timeZone");
        }

        if (request.EmailRemindersConsent.IsSet)
        {
            validation.Check(request.EmailRemindersConsent.Value is not null, "emailRemindersConsent", "must be true or false.");
        }

        if (request.ReminderLeadMinutes.IsSet)
        {
            validation.Check(request.ReminderLeadMinutes.Value is not null, "reminderLeadMinutes", "cannot be removed.");
            PatientRules.ValidateLeadTimes(validation, request.ReminderLeadMinutes.Value);
        }

        if (!validation.IsValid)
        {
            return validation.ToProblem();
        }

        if (request.GivenName.IsSet)
        {
            patient.GivenName = request.GivenName.Value!.Trim();
        }

        if (request.FamilyName.IsSet)
        {
            patient.FamilyName = request.FamilyName.Value!.Trim();
        }

        if (request.DateOfBirth.IsSet)
        {
            patient.DateOfBirth = request.DateOfBirth.Value!.Value;
        }

        if (request.Email.IsSet)
        {
            patient.Email = request.Email.Value!;
        }

        if (request.TimeZone.IsSet)
        {
            patient.TimeZone = request.TimeZone.Value!;
        }

        if (request.EmailRemindersConsent.IsSet)
        {
            patient.EmailRemindersConsent = request.EmailRemindersConsent.Value!.Value;
        }

        if (request.ReminderLeadMinutes.IsSet)
        {
            patient.ReminderLeadMinutes = request.ReminderLeadMinutes.Value!;
        }

        if (request.QuietHours.IsSet)
        {
            patient.QuietHoursStart = request.QuietHours.Value?.Start;
            patient.QuietHoursEnd = request.QuietHours.Value?.End;
        }

        patient.UpdatedAt = now;
        try
        {
            await db.SaveChangesAsync(http.RequestAborted);
        }
        catch (DbUpdateConcurrencyException)
        {
            return Problems.PreconditionFailed(); // Changed between our read and our write.
        }

        ETags.Set(http.Response, patient.Version);
        return TypedResults.Ok(PatientResponse.From(patient, http.GetPatientAccess().Relationship));
    }
}
