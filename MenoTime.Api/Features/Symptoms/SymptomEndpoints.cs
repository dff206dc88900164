using MenoTime.Api.Access;
using MenoTime.Api.Features.Encryption;
using MenoTime.Api.Features.Audit;
using MenoTime.Api.Http;
using MenoTime.Data;
using MenoTime.Data.Model;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;

namespace MenoTime.Api.Features.Symptoms;

public sealed record SymptomCreate(string? Code, int? Severity, DateTimeOffset? OccurredAt, string? Note) : ICreateRequest;

/// <summary>A symptom entry; the free-text note is for the patient and their providers, not supporters.</summary>
public sealed record SymptomResponse(Guid Id, string Code, int Severity, DateTimeOffset OccurredAt, string? Note, DateTimeOffset RecordedAt)
{
    /// <summary>A stored entry; a supporter never gets the note, so it is not even decrypted for them.</summary>
    public static async Task<SymptomResponse> FromAsync(SymptomEntry e, Relationship relationship, SensitiveText text, CancellationToken cancellationToken) =>
        From(e, relationship, relationship == Relationship.Supporter ? null : await text.SymptomNoteAsync(e, cancellationToken));

    /// <summary>An entry with its note in plaintext (one just written: no need to decrypt what was just encrypted).</summary>
    public static SymptomResponse From(SymptomEntry e, Relationship relationship, string? note) =>
        new(e.Id, e.Code, e.Severity, e.OccurredAt, relationship == Relationship.Supporter ? null : note, e.RecordedAt);
}

public static class SymptomEndpoints
{
    /// <summary>The fixed list of symptom codes.</summary>
    public static readonly string[] Codes =
    [
        "hot_flush", "night_sweat", "sleep_disturbance", "mood", "anxiety", "irritability", "brain_fog", "fatigue",
        "joint_pain", "headache", "palpitations", "vaginal_dryness", "low_libido", "bladder", "other",
    ];

    public const int MaxNoteLength = 2000;

    public static void MapSymptomEndpoints(this RouteGroupBuilder api)
    {
        var symptoms = api.MapGroup("/patients/{patientId}/symptoms").WithTags("Symptoms").WithMetadata(new AuditResource("symptom_entry"));
        symptoms.MapPost("/", Record).ForPatient(PatientData.Symptoms, AccessMode.Write).Idempotent();
        symptoms.MapGet("/", List).ForPatient(PatientData.Symptoms, AccessMode.Read);
    }

    public static async Task<Results<Created<SymptomResponse>, ValidationProblem>> Record(
        Guid patientId, SymptomCreate request, HttpContext http, MenoTimeDbContext db, SensitiveText text, TimeProvider clock)
    {
        var now = clock.GetUtcNow();
        var validation = new Validation()
            .Check(request.Code is not null && Codes.Contains(request.Code), "code", $"must be one of: {string.Join(", ", Codes)}.")
            .Check(request.Severity is >= 0 and <= 10, "severity", "must be between 0 and 10.")
            .Check(request.OccurredAt is not null, "occurredAt", "is required.")
            .Check(request.OccurredAt is null || request.OccurredAt <= now.AddMinutes(5), "occurredAt", "cannot be in the future.")
            .Text(request.Note, "note", MaxNoteLength, required: false, multiline: true);
        if (!validation.IsValid)
        {
            return validation.ToProblem();
        }

        var caller = http.RequireCaller();
        var entryId = Guid.CreateVersion7();
        var entry = new SymptomEntry
        {
            Id = entryId,
            PatientId = patientId,
            Code = request.Code!,
            Severity = (short)request.Severity!.Value,
            OccurredAt = request.OccurredAt!.Value.ToUniversalTime(),
            NoteEncrypted = request.Note is null ? null : await text.EncryptAsync(request.Note, SensitiveText.SymptomNoteContext(entryId), http.RequestAborted),
            RecordedBy = caller.Subject,
            RecordedAt = now,
        };
        db.SymptomEntries.Add(entry);
        await db.SaveChangesAsync(http.RequestAborted);
        return TypedResults.Created((string?)null, SymptomResponse.From(entry, http.GetPatientAccess().Relationship, request.Note));
    }

    /// <summary>Entries between from and to, most recent first, optionally of one symptom.</summary>
    public static async Task<Results<Ok<Page<SymptomResponse>>, ValidationProblem>> List(
        Guid patientId, string? code, DateTimeOffset? from, DateTimeOffset? to, [AsParameters] PageQuery page, HttpContext http, MenoTimeDbContext db, SensitiveText text)
    {
        if (!page.TryRead(out var limit, out var cursor, out var problem))
        {
            return problem!;
        }

        var query = db.SymptomEntries.AsNoTracking().Where(e => e.PatientId == patientId);
        if (code is not null)
        {
            query = query.Where(e => e.Code == code);
        }

        if (from is { } f)
        {
            var fromUtc = f.ToUniversalTime();
            query = query.Where(e => e.OccurredAt >= fromUtc);
        }

        if (to is { } t)
        {
            var toUtc = t.ToUniversalTime();
            query = query.Where(e => e.OccurredAt < toUtc);
        }

        if (cursor is not null)
        {
            query = query.Where(e => e.OccurredAt < cursor.At || (e.OccurredAt == cursor.At && e.Id.CompareTo(cursor.Id) < 0));
        }

        var relationship = http.GetPatientAccess().Relationship;
        var rows = await query.OrderByDescending(e => e.OccurredAt).ThenByDescending(e => e.Id).Take(limit + 1).ToListAsync(http.RequestAborted);
        var entries = new Dictionary<Guid, SymptomResponse>();
        foreach (var row in rows.Take(limit))
        {
            entries[row.Id] = await SymptomResponse.FromAsync(row, relationship, text, http.RequestAborted);
        }

        return TypedResults.Ok(PageQuery.Build(rows, limit, e => new PageCursor(e.OccurredAt, e.Id), e => entries[e.Id]));
    }
}
