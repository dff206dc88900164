using MenoTime.Api.Access;
using MenoTime.Api.Features.Audit;
using MenoTime.Api.Http;
using MenoTime.Data.Audit;
using MenoTime.Data;
using MenoTime.Data.Model;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;

namespace MenoTime.Api.Features.Medications;

public static class MedicationEndpoints
{
    public static void MapMedicationEndpoints(this RouteGroupBuilder api)
    {
        var medications = api.MapGroup("/patients/{patientId}/medications").WithTags("Medications").WithMetadata(new AuditResource("medication"));
        medications.MapPost("/", Create).ForPatient(PatientData.Medications, AccessMode.Write).Idempotent();
        medications.MapGet("/", List).ForPatient(PatientData.Medications, AccessMode.Read);
        medications.MapGet("/{medicationId:guid}", Get).ForPatient(PatientData.Medications, AccessMode.Read);
        medications.MapPatch("/{medicationId:guid}", Update).ForPatient(PatientData.Medications, AccessMode.Write);
        medications.MapPost("/{medicationId:guid}/doses", RecordDose).ForPatient(PatientData.Medications, AccessMode.Write).Idempotent().WithMetadata(new AuditResource("medication_dose"));
        medications.MapGet("/{medicationId:guid}/doses", ListDoses).ForPatient(PatientData.Medications, AccessMode.Read).WithMetadata(new AuditResource("medication_dose", AuditActions.Search));
    }

    public static async Task<Results<Created<MedicationResponse>, ValidationProblem>> Create(
        Guid patientId, MedicationCreate request, HttpContext http, MenoTimeDbContext db, TimeProvider clock)
    {
        var validation = new Validation();
        MedicationRules.Validate(validation, request.Drug, request.Dose, request.Unit, request.Route, request.Schedule, request.StartDate, request.StopDate);
        if (!validation.IsValid)
        {
            return validation.ToProblem();
        }

        var caller = http.RequireCaller();
        var now = clock.GetUtcNow();
        var medication = new Medication
        {
            Id = Guid.CreateVersion7(),
            PatientId = patientId,
            Drug = request.Drug!.Trim(),
            Dose = request.Dose!.Value,
            Unit = request.Unit!,
            Route = request.Route!,
            ScheduleTimes = [.. request.Schedule!.Times!.Order()],
            ScheduleDays = [.. request.Schedule.Days!.Order().Select(d => (short)d)],
            StartDate = request.StartDate!.Value,
            StopDate = request.StopDate,
            CreatedBy = caller.Subject,
            CreatedAt = now,
            UpdatedAt = now,
        };
        db.Medications.Add(medication);
        await db.SaveChangesAsync(http.RequestAborted);
        ETags.Set(http.Response, medication.Version);
        return TypedResults.Created($"/api/v1/patients/{patientId}/medications/{medication.Id}", MedicationResponse.From(medication));
    }

    public static async Task<Results<Ok<Page<MedicationResponse>>, ValidationProblem>> List(
        Guid patientId, [AsParameters] PageQuery page, HttpContext http, MenoTimeDbContext db)
    {
        if (!page.TryRead(out var limit, out var cursor, out var problem))
        {
            return problem!;
        }

        var query = db.Medications.AsNoTracking().Where(m => m.PatientId == patientId);
        if (cursor is not null)
        {
            query = query.Where(m => m.CreatedAt > cursor.At || (m.CreatedAt == cursor.At && m.Id.CompareTo(cursor.Id) > 0));
        }

        var rows = await query.OrderBy(m => m.CreatedAt).ThenBy(m => m.Id).Take(limit + 1).ToListAsync(http.RequestAborted);
        return TypedResults.Ok(PageQuery.Build(rows, limit, m => new PageCursor(m.CreatedAt, m.Id), MedicationResponse.From));
    }

    public static async Task<Results<Ok<MedicationResponse>, ProblemHttpResult>> Get(Guid patientId, Guid medicationId, HttpContext http, MenoTimeDbContext db)
    {
        var medication = await db.Medications.AsNoTracking().SingleOrDefaultAsync(m => m.Id == medicationId && m.PatientId == patientId, http.RequestAborted);
        if (medication is null)
        {
            return Problems.NotFound("medication");
        }

        ETags.Set(http.Response, medication.Version);
        return TypedResults.Ok(MedicationResponse.From(medication));
    }

    public static async Task<Results<Ok<MedicationResponse>, ValidationProblem, ProblemHttpResult>> Update(
        Guid patientId, Guid medicationId, MedicationUpdate request, HttpContext http, MenoTimeDbContext db, TimeProvider clock)
    {
        var medication = await db.Medications.SingleOrDefaultAsync(m => m.Id == medicationId && m.PatientId == patientId, http.RequestAborted);
        if (medication is null)
        {
            return Problems.NotFound("medication");
        }

        if (ETags.CheckIfMatch(http.Request, medication.Version) is { } precondition)
        {
            return precondition;
        }

        // The result of the update must be valid as a whole, as if created so.
        var drug = request.Drug.IsSet ? request.Drug.Value : medication.Drug;
        var dose = request.Dose.IsSet ? request.Dose.Value : medication.Dose;
        var unit = request.Unit.IsSet ? request.Unit.Value : medication.Unit;
        var route = request.Route.IsSet ? request.Route.Value : medication.Route;
        var schedule = request.Schedule.IsSet ? request.Schedule.Value : new DoseSchedule(medication.ScheduleTimes, medication.ScheduleDays.Select(d => (int)d).ToArray());
        var start = request.StartDate.IsSet ? request.StartDate.Value : medication.StartDate;
        var stop = request.StopDate.IsSet ? request.StopDate.Value : medication.StopDate;
        var validation = new Validation();
        MedicationRules.Validate(validation, drug, dose, unit, route, schedule, start, stop);
        if (!validation.IsValid)
        {
            return validation.ToProblem();
        }

        medication.Drug = drug!.Trim();
        medication.Dose = dose!.Value;
        medication.Unit = unit!;
        medication.Route = route!;
        medication.ScheduleTimes = [.. schedule!.Times!.Order()];
        medication.ScheduleDays = [.. schedule.Days!.Order().Select(d => (short)d)];
        medication.StartDate = start!.Value;
        medication.StopDate = stop;
        medication.UpdatedAt = clock.GetUtcNow();
        try
        {
            await db.SaveChangesAsync(http.RequestAborted);
        }
        catch (DbUpdateConcurrencyException)
        {
            return Problems.PreconditionFailed();
        }

        ETags.Set(http.Response, medication.Version);
        return TypedResults.Ok(MedicationResponse.From(medication));
    }

    /// <summary>Records a dose taken or skipped (when: takenAt, default now; which scheduled dose: scheduledFor).</summary>
    public static async Task<Results<Created<DoseResponse>, ValidationProblem, ProblemHttpResult>> RecordDose(
        Guid patientId, Guid medicationId, DoseCreate request, HttpContext http, MenoTimeDbContext db, TimeProvider clock)
    {
        if (!await db.Medications.AnyAsync(m => m.Id == medicationId && m.PatientId == patientId, http.RequestAborted))
        {
            return Problems.NotFound("medication");
        }

        var now = clock.GetUtcNow();
        var validation = new Validation()
            .Check(request.Status is MedicationDose.Taken or MedicationDose.Skipped, "status", "must be taken or skipped.")
            .Check(request.TakenAt is null || request.TakenAt <= now.AddMinutes(5), "takenAt", "cannot be in the future.");
        if (!validation.IsValid)
        {
            return validation.ToProblem();
        }

        var caller = http.RequireCaller();
        var dose = new MedicationDose
        {
            Id = Guid.CreateVersion7(),
            MedicationId = medicationId,
            PatientId = patientId,
            Status = request.Status!,
            TakenAt = (request.TakenAt ?? now).ToUniversalTime(),
            ScheduledFor = request.ScheduledFor?.ToUniversalTime(),
            RecordedBy = caller.Subject,
            RecordedAt = now,
        };
        db.MedicationDoses.Add(dose);
        await db.SaveChangesAsync(http.RequestAborted);
        return TypedResults.Created((string?)null, DoseResponse.From(dose));
    }

    public static async Task<Results<Ok<Page<DoseResponse>>, ValidationProblem, ProblemHttpResult>> ListDoses(
        Guid patientId, Guid medicationId, [AsParameters] PageQuery page, HttpContext http, MenoTimeDbContext db)
    {
        if (!page.TryRead(out var limit, out var cursor, out var problem))
        {
            return problem!;
        }

        if (!await db.Medications.AnyAsync(m => m.Id == medicationId && m.PatientId == patientId, http.RequestAborted))
        {
            return Problems.NotFound("medication");
        }

        var query = db.MedicationDoses.AsNoTracking().Where(d => d.MedicationId == medicationId);
        if (cursor is not null)
        {
            query = query.Where(d => d.TakenAt < cursor.At || (d.TakenAt == cursor.At && d.Id.CompareTo(cursor.Id) < 0));
        }

        var rows = await query.OrderByDescending(d => d.TakenAt).ThenByDescending(d => d.Id).Take(limit + 1).ToListAsync(http.RequestAborted);
        return TypedResults.Ok(PageQuery.Build(rows, limit, d => new PageCursor(d.TakenAt, d.Id), DoseResponse.From));
    }
}
