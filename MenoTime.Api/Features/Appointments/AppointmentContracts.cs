using MenoTime.Api.Features.Providers;
using MenoTime.Api.Http;
using MenoTime.Data.Model;

namespace MenoTime.Api.Features.Appointments;

/// <summary>Book a free slot. A patient books for themself (patientId may be omitted).</summary>
public sealed record AppointmentCreate(Guid? ProviderId, Guid? PatientId, DateTimeOffset? StartsAt) : ICreateRequest;

/// <summary>Reschedule (startsAt) or change status: cancelled (with a reason), completed, no_show.</summary>
public sealed record AppointmentUpdate(PatchField<DateTimeOffset?> StartsAt, PatchField<string?> Status, PatchField<string?> CancelReason);

public sealed record AppointmentResponse(
    Guid Id,
    Guid PatientId,
    Guid ProviderId,
    DateTimeOffset StartsAt,
    DateTimeOffset EndsAt,
    string TimeZone,
    string LocalStart,
    string Status,
    string? CancelReason,
    DateTimeOffset? CancelledAt)
{
    public static AppointmentResponse From(Appointment a) => new(
        a.Id, a.PatientId, a.ProviderId, a.StartsAt, a.EndsAt, a.TimeZone, SlotCalculator.LocalStart(a.TimeZone, a.StartsAt),
        a.Status, a.CancelReason, a.CancelledAt);
}
