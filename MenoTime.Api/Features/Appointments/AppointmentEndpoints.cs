using MenoTime.Api.Access;
using MenoTime.Api.Features.Audit;
using MenoTime.Api.Features.Providers;
using MenoTime.Api.Http;
using MenoTime.Data;
using MenoTime.Data.Model;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace MenoTime.Api.Features.Appointments;

public static class AppointmentEndpoints
{
    public static void MapAppointmentEndpoints(this RouteGroupBuilder api)
    {
        var appointments = api.MapGroup("/appointments").WithTags("Appointments").WithMetadata(new AuditResource("appointment"));
        appointments.MapPost("/", Book).ForRoles(Roles.Patient, Roles.Provider, Roles.Admin).Idempotent();
        appointments.MapGet("/", List).ForRoles(Roles.All);
        appointments.MapGet("/{appointmentId}", Get).ForRoles(Roles.All);
        appointments.MapPatch("/{appointmentId}", Update).ForRoles(Roles.Patient, Roles.Provider, Roles.Admin);
    }

    /// <summary>
    /// Books a free slot. Two requests racing for one slot: PostgreSQL's exclusion constraint lets exactly
    /// one in; the other gets 409. Booking makes the provider one of the patient's assigned providers, in
    /// the same transaction (the request's, opened by the audit filter; a failed insert rolls back to its savepoint).
    /// </summary>
    public static async Task<Results<Created<AppointmentResponse>, ValidationProblem, ProblemHttpResult>> Book(
        AppointmentCreate request, HttpContext http, MenoTimeDbContext db, PatientAccessPolicy policy, TimeProvider clock)
    {
        var caller = http.RequireCaller();
        var patientId = request.PatientId ?? (caller.Is(Roles.Patient) ? caller.PatientId : null);
        var validation = new Validation()
            .Check(request.ProviderId is not null, "providerId", "is required.")
            .Check(request.StartsAt is not null, "startsAt", "is required.")
            .Check(patientId is not null, "patientId", caller.Is(Roles.Patient) ? "create your patient profile first." : "is required.");
        if (!validation.IsValid)
        {
            return validation.ToProblem();
        }

        if (await policy.CheckAsync(caller, patientId!.Value, PatientData.Appointments, AccessMode.Write, http.RequestAborted) is null)
        {
            return Problems.NotFound("patient");
        }

        var provider = await db.Providers.AsNoTracking().Include(p => p.WorkingHours).Include(p => p.TimeOff)
            .SingleOrDefaultAsync(p => p.Id == request.ProviderId, http.RequestAborted);
        if (provider is null)
        {
            return Problems.NotFound("provider");
        }

        var startsAt = request.StartsAt!.Value.ToUniversalTime();
        if (await CheckSlotAsync(db, provider, startsAt, null, clock.GetUtcNow(), http.RequestAborted) is { } slotProblem)
        {
            return slotProblem;
        }

        var now = clock.GetUtcNow();
        var appointment = new Appointment
        {
            Id = Guid.CreateVersion7(),
            PatientId = patientId.Value,
            ProviderId = provider.Id,
            StartsAt = startsAt,
            EndsAt = startsAt.AddMinutes(provider.SlotMinutes),
            TimeZone = provider.TimeZone,
            Status = Appointment.Booked,
            BookedBy = caller.Subject,
            CreatedAt = now,
            UpdatedAt = now,
        };
        db.Appointments.Add(appointment);
        try
        {
            await db.SaveChangesAsync(http.RequestAborted);
        }
        catch (DbUpdateException e) when (e.InnerException is PostgresException { SqlState: PostgresErrorCodes.ExclusionViolation })
        {
            // Another booking took the slot between our check and our insert.
            return Problems.Conflict("slot-taken", "This slot was booked by someone else a moment ago. Choose another slot.");
        }

        await db.Database.ExecuteSqlInterpolatedAsync($"""
            INSERT INTO care_assignments (provider_id, patient_id, source, created_by, created_at)
            VALUES ({provider.Id}, {appointment.PatientId}, {CareAssignment.FromBooking}, {caller.Subject}, {now})
            ON CONFLICT DO NOTHING
            """, http.RequestAborted);
        ETags.Set(http.Response, appointment.Version);
        return TypedResults.Created($"/api/v1/appointments/{appointment.Id}", AppointmentResponse.From(appointment));
    }

    /// <summary>A patient's appointments (patientId) or a provider's day (providerId), ordered by start.</summary>
    public static async Task<Results<Ok<Page<AppointmentResponse>>, ValidationProblem, ProblemHttpResult>> List(
        [AsParameters] PageQuery page, Guid? patientId, Guid? providerId, DateTimeOffset? from, DateTimeOffset? to,
        HttpContext http, MenoTimeDbContext db, PatientAccessPolicy policy)
    {
        if (!page.TryRead(out var limit, out var cursor, out var problem))
        {
            return problem!;
        }

        if ((patientId is null) == (providerId is null))
        {
            return Problems.Validation("patientId", "give exactly one of patientId and providerId.");
        }

        var caller = http.RequireCaller();
        var query = db.Appointments.AsNoTracking();
        if (patientId is { } pid)
        {
            if (await policy.CheckAsync(caller, pid, PatientData.Appointments, AccessMode.Read, http.RequestAborted) is null)
            {
                return Problems.NotFound("patient");
            }

            query = query.Where(a => a.PatientId == pid);
        }
        else
        {
            if (!caller.Is(Roles.Admin) && caller.ProviderId != providerId)
            {
                return Problems.NotFound("provider");
            }

            query = query.Where(a => a.ProviderId == providerId);
        }

        if (from is { } f)
        {
            var fromUtc = f.ToUniversalTime();
            query = query.Where(a => a.StartsAt >= fromUtc);
        }

        if (to is { } t)
        {
            var toUtc = t.ToUniversalTime();
            query = query.Where(a => a.StartsAt < toUtc);
        }

        if (cursor is not null)
        {
            query = query.Where(a => a.StartsAt > cursor.At || (a.StartsAt == cursor.At && a.Id.CompareTo(cursor.Id) > 0));
        }

        var rows = await query.OrderBy(a => a.StartsAt).ThenBy(a => a.Id).Take(limit + 1).ToListAsync(http.RequestAborted);
        return TypedResults.Ok(PageQuery.Build(rows, limit, a => new PageCursor(a.StartsAt, a.Id), AppointmentResponse.From));
    }

    public static async Task<Results<Ok<AppointmentResponse>, ProblemHttpResult>> Get(
        Guid appointmentId, HttpContext http, MenoTimeDbContext db, PatientAccessPolicy policy)
    {
        var appointment = await FindVisibleAsync(appointmentId, AccessMode.Read, http, db, policy, tracking: false);
        if (appointment is null)
        {
            return Problems.NotFound("appointment");
        }

        ETags.Set(http.Response, appointment.Version);
        return TypedResults.Ok(AppointmentResponse.From(appointment));
    }

    /// <summary>
    /// Reschedule to another free slot, cancel with a reason (patient, provider, admin), or record the
    /// outcome (completed / no_show: the provider or an admin, once it has started). If-Match required.
    /// </summary>
    public static async Task<Results<Ok<AppointmentResponse>, ValidationProblem, ProblemHttpResult>> Update(
        Guid appointmentId, AppointmentUpdate request, HttpContext http, MenoTimeDbContext db, PatientAccessPolicy policy, TimeProvider clock)
    {
        var appointment = await FindVisibleAsync(appointmentId, AccessMode.Write, http, db, policy, tracking: true);
        if (appointment is null)
        {
            return Problems.NotFound("appointment");
        }

        if (ETags.CheckIfMatch(http.Request, appointment.Version) is { } precondition)
        {
            return precondition;
        }

        var caller = http.RequireCaller();
        var now = clock.GetUtcNow();
        var status = request.Status.IsSet ? request.Status.Value : null;
        var validation = new Validation()
            .Check(request.StartsAt.IsSet || request.Status.IsSet, "status", "give startsAt to reschedule or status to cancel or record the outcome.")
            .Check(!request.StartsAt.IsSet || request.StartsAt.Value is not null, "startsAt", "cannot be removed.")
            .Check(!request.Status.IsSet || status is Appointment.Cancelled or Appointment.Completed or Appointment.NoShow, "status", "must be cancelled, completed or no_show.")
            .Check(!request.StartsAt.IsSet || !request.Status.IsSet, "startsAt", "reschedule and change status in separate requests.");
        if (status == Appointment.Cancelled)
        {
            validation.Text(request.CancelReason.IsSet ? request.CancelReason.Value : null, "cancelReason", 500);
        }
        else
        {
            validation.Check(!request.CancelReason.IsSet, "cancelReason", "only goes with status cancelled.");
        }

        if (!validation.IsValid)
        {
            return validation.ToProblem();
        }

        if (appointment.Status != Appointment.Booked)
        {
            return Problems.Conflict("appointment-closed", $"The appointment is {appointment.Status}; only a booked appointment can change.");
        }

        if (status is Appointment.Completed or Appointment.NoShow)
        {
            if (!caller.Is(Roles.Admin) && caller.ProviderId != appointment.ProviderId)
            {
                return Problems.Forbidden("Only the appointment's provider or an admin records its outcome.");
            }

            if (appointment.StartsAt > now)
            {
                return Problems.Unprocessable("appointment-not-started", "An outcome can be recorded once the appointment has started.");
            }
        }

        if (request.StartsAt.IsSet)
        {
            var provider = await db.Providers.AsNoTracking().Include(p => p.WorkingHours).Include(p => p.TimeOff)
                .SingleAsync(p => p.Id == appointment.ProviderId, http.RequestAborted);
            var startsAt = request.StartsAt.Value!.Value.ToUniversalTime();
            if (await CheckSlotAsync(db, provider, startsAt, appointment.Id, now, http.RequestAborted) is { } slotProblem)
            {
                return slotProblem;
            }

            appointment.StartsAt = startsAt;
            appointment.EndsAt = startsAt.AddMinutes(provider.SlotMinutes);
            appointment.TimeZone = provider.TimeZone;
        }
        else
        {
            appointment.Status = status!;
            if (status == Appointment.Cancelled)
            {
                appointment.CancelReason = request.CancelReason.Value!.Trim();
                appointment.CancelledAt = now;
            }
        }

        appointment.UpdatedAt = now;
        try
        {
            await db.SaveChangesAsync(http.RequestAborted);
        }
        catch (DbUpdateConcurrencyException)
        {
            return Problems.PreconditionFailed();
        }
        catch (DbUpdateException e) when (e.InnerException is PostgresException { SqlState: PostgresErrorCodes.ExclusionViolation })
        {
            return Problems.Conflict("slot-taken", "This slot was booked by someone else a moment ago. Choose another slot.");
        }

        ETags.Set(http.Response, appointment.Version);
        return TypedResults.Ok(AppointmentResponse.From(appointment));
    }

    /// <summary>Null when the start is a free slot of the provider; otherwise the problem to answer.</summary>
    private static async Task<ProblemHttpResult?> CheckSlotAsync(
        MenoTimeDbContext db, Provider provider, DateTimeOffset startsAt, Guid? rescheduling, DateTimeOffset now, CancellationToken cancellationToken)
    {
        if (startsAt <= now)
        {
            return Problems.Unprocessable("slot-in-past", "This time has passed. Choose a future slot.");
        }

        var length = TimeSpan.FromMinutes(provider.SlotMinutes);
        var isSlot = SlotCalculator.FreeSlots(provider, startsAt, startsAt + length, []).Any(s => s.Start == startsAt);
        if (!isSlot)
        {
            return Problems.Unprocessable("not-a-slot", "The provider does not offer a slot starting at this time. GET /api/v1/providers/{id}/slots lists them.");
        }

        var free = await ProviderEndpoints.FreeSlotsAsync(db, provider, startsAt, startsAt + length, rescheduling, cancellationToken);
        return free.Any(s => s.Start == startsAt)
            ? null
            : Problems.Conflict("slot-taken", "This slot is already booked. Choose another slot.");
    }

    /// <summary>The appointment, if the caller may see (or change) it: through the patient's compartment, or as its provider.</summary>
    private static async Task<Appointment?> FindVisibleAsync(
        Guid appointmentId, AccessMode mode, HttpContext http, MenoTimeDbContext db, PatientAccessPolicy policy, bool tracking)
    {
        var caller = http.RequireCaller();
        var query = tracking ? db.Appointments : db.Appointments.AsNoTracking();
        var appointment = await query.SingleOrDefaultAsync(a => a.Id == appointmentId, http.RequestAborted);
        if (appointment is null)
        {
            return null;
        }

        if (caller.ProviderId == appointment.ProviderId && caller.Is(Roles.Provider))
        {
            return appointment;
        }

        return await policy.CheckAsync(caller, appointment.PatientId, PatientData.Appointments, mode, http.RequestAborted) is null ? null : appointment;
    }
}
