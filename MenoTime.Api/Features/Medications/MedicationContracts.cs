using MenoTime.Api.Http;
using MenoTime.Data.Model;

namespace MenoTime.Api.Features.Medications;

/// <summary>When doses are due: local times of day on ISO days of week (1 = Monday), in the patient's zone.</summary>
public sealed record DoseSchedule(TimeOnly[]? Times, int[]? Days);

public sealed record MedicationCreate(
    string? Drug, decimal? Dose, string? Unit, string? Route, DoseSchedule? Schedule, DateOnly? StartDate, DateOnly? StopDate) : ICreateRequest;

public sealed record MedicationUpdate(
    PatchField<string?> Drug, PatchField<decimal?> Dose, PatchField<string?> Unit, PatchField<string?> Route,
    PatchField<DoseSchedule?> Schedule, PatchField<DateOnly?> StartDate, PatchField<DateOnly?> StopDate);

public sealed record MedicationResponse(
    Guid Id, string Drug, decimal Dose, string Unit, string Route, DoseSchedule Schedule, DateOnly StartDate, DateOnly? StopDate,
    DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt)
{
    public static MedicationResponse From(Medication m) => new(
        m.Id, m.Drug, m.Dose, m.Unit, m.Route, new DoseSchedule(m.ScheduleTimes, m.ScheduleDays.Select(d => (int)d).ToArray()),
        m.StartDate, m.StopDate, m.CreatedAt, m.UpdatedAt);
}

public sealed record DoseCreate(string? Status, DateTimeOffset? TakenAt, DateTimeOffset? ScheduledFor) : ICreateRequest;

public sealed record DoseResponse(Guid Id, Guid MedicationId, string Status, DateTimeOffset TakenAt, DateTimeOffset? ScheduledFor, DateTimeOffset RecordedAt)
{
    public static DoseResponse From(MedicationDose d) => new(d.Id, d.MedicationId, d.Status, d.TakenAt, d.ScheduledFor, d.RecordedAt);
}

internal static class MedicationRules
{
    public static readonly string[] Units = ["mg", "mcg", "ml", "g", "patch", "pump", "sachet", "tablet", "capsule", "ring", "pessary", "application"];
    public static readonly string[] Routes = ["oral", "transdermal", "vaginal", "topical", "subcutaneous", "intramuscular", "nasal", "other"];

    public static void Validate(Validation validation, string? drug, decimal? dose, string? unit, string? route, DoseSchedule? schedule, DateOnly? start, DateOnly? stop)
    {
        validation.Text(drug, "drug", 200)
            .Check(dose is > 0 and <= 100000, "dose", "must be a positive amount.")
            .Check(unit is not null && Units.Contains(unit), "unit", $"must be one of: {string.Join(", ", Units)}.")
            .Check(route is not null && Routes.Contains(route), "route", $"must be one of: {string.Join(", ", Routes)}.")
            .Check(start is not null, "startDate", "is required.")
            .Check(stop is null || start is null || stop >= start, "stopDate", "cannot be before startDate.");
        var times = schedule?.Times;
        var days = schedule?.Days;
        validation
            .Check(times is { Length: >= 1 and <= 12 } && times.Distinct().Count() == times.Length, "schedule.times", "must list 1 to 12 different local times of day.")
            .Check(days is { Length: >= 1 and <= 7 } && days.All(d => d is >= 1 and <= 7) && days.Distinct().Count() == days.Length,
                "schedule.days", "must list days of week, 1 (Monday) to 7 (Sunday), each once.");
    }
}
