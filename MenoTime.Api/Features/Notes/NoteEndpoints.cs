using MenoTime.Api.Access;
using MenoTime.Api.Features.Encryption;
using MenoTime.Api.Features.Audit;
using MenoTime.Api.Http;
using MenoTime.Data;
using MenoTime.Data.Model;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;

namespace MenoTime.Api.Features.Notes;

public sealed record NoteWrite(string? Content, bool? SharedWithPatient) : ICreateRequest;

public sealed record NoteDelete(string? Reason);

public sealed record NoteResponse(Guid Id, string Content, bool SharedWithPatient, int Version, string AuthorSubject, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt)
{
    /// <summary>A stored note, decrypted.</summary>
    public static async Task<NoteResponse> FromAsync(ClinicalNote n, SensitiveText text, CancellationToken cancellationToken) =>
        From(n, (await text.NoteAsync(n, cancellationToken))!);

    /// <summary>A note just written, with the text the caller sent (no need to decrypt what was just encrypted).</summary>
    public static NoteResponse From(ClinicalNote n, string content) =>
        new(n.Id, content, n.SharedWithPatient, n.CurrentVersion, n.AuthorSubject, n.CreatedAt, n.UpdatedAt);
}

public sealed record NoteVersionResponse(int Version, string Content, bool SharedWithPatient, string EditedBy, DateTimeOffset EditedAt);

/// <summary>
/// Clinical notes: written by the patient's assigned providers only; the patient reads the notes shared
/// with them; every edit is kept as a version; deletion is soft, with a reason. Admins read none.
/// </summary>
public static class NoteEndpoints
{
    public const int MaxContentLength = 20000;

    public static void MapNoteEndpoints(this RouteGroupBuilder api)
    {
        var notes = api.MapGroup("/patients/{patientId}/notes").WithTags("Clinical notes").WithMetadata(new AuditResource("clinical_note"));
        notes.MapPost("/", Create).ForPatient(PatientData.Notes, AccessMode.Write).Idempotent();
        notes.MapGet("/", List).ForPatient(PatientData.Notes, AccessMode.Read);
        notes.MapGet("/{noteId:guid}", Get).ForPatient(PatientData.Notes, AccessMode.Read);
        notes.MapPut("/{noteId:guid}", Edit).ForPatient(PatientData.Notes, AccessMode.Write);
        notes.MapDelete("/{noteId:guid}", Delete).ForPatient(PatientData.Notes, AccessMode.Write);
        notes.MapGet("/{noteId:guid}/versions", Versions).ForPatient(PatientData.Notes, AccessMode.Write);
    }

    public static async Task<Results<Created<NoteResponse>, ValidationProblem>> Create(
        Guid patientId, NoteWrite request, HttpContext http, MenoTimeDbContext db, SensitiveText text, TimeProvider clock)
    {
        if (Validate(request) is { } problem)
        {
            return problem;
        }

        var caller = http.RequireCaller();
        var now = clock.GetUtcNow();
        var noteId = Guid.CreateVersion7();
        var note = new ClinicalNote
        {
            Id = noteId,
            PatientId = patientId,
            AuthorSubject = caller.Subject,
            CurrentVersion = 1,
            ContentEncrypted = await text.EncryptAsync(request.Content!, SensitiveText.NoteContext(noteId), http.RequestAborted),
            SharedWithPatient = request.SharedWithPatient ?? false,
            CreatedAt = now,
            UpdatedAt = now,
        };
        db.ClinicalNotes.Add(note);
        db.ClinicalNoteVersions.Add(await VersionOfAsync(note, request.Content!, caller.Subject, now, text, http.RequestAborted));
        await db.SaveChangesAsync(http.RequestAborted);
        ETags.Set(http.Response, note.Version);
        return TypedResults.Created($"/api/v1/patients/{patientId}/notes/{note.Id}", NoteResponse.From(note, request.Content!));
    }

    /// <summary>Newest first. A patient sees only notes shared with them; nobody sees deleted ones here.</summary>
    public static async Task<Results<Ok<Page<NoteResponse>>, ValidationProblem>> List(
        Guid patientId, [AsParameters] PageQuery page, HttpContext http, MenoTimeDbContext db, SensitiveText text)
    {
        if (!page.TryRead(out var limit, out var cursor, out var problem))
        {
            return problem!;
        }

        var query = Visible(db, patientId, http.GetPatientAccess());
        if (cursor is not null)
        {
            query = query.Where(n => n.CreatedAt < cursor.At || (n.CreatedAt == cursor.At && n.Id.CompareTo(cursor.Id) < 0));
        }

        var rows = await query.OrderByDescending(n => n.CreatedAt).ThenByDescending(n => n.Id).Take(limit + 1).ToListAsync(http.RequestAborted);
        var notes = new Dictionary<Guid, NoteResponse>();
        foreach (var row in rows.Take(limit))
        {
            notes[row.Id] = await NoteResponse.FromAsync(row, text, http.RequestAborted);
        }

        return TypedResults.Ok(PageQuery.Build(rows, limit, n => new PageCursor(n.CreatedAt, n.Id), n => notes[n.Id]));
    }

    public static async Task<Results<Ok<NoteResponse>, ProblemHttpResult>> Get(Guid patientId, Guid noteId, HttpContext http, MenoTimeDbContext db, SensitiveText text)
    {
        var note = await Visible(db, patientId, http.GetPatientAccess()).SingleOrDefaultAsync(n => n.Id == noteId, http.RequestAborted);
        if (note is null)
        {
            return Problems.NotFound("note");
        }

        ETags.Set(http.Response, note.Version);
        return TypedResults.Ok(await NoteResponse.FromAsync(note, text, http.RequestAborted));
    }

    /// <summary>A new version of the note (If-Match required); the previous one stays in its history.</summary>
    public static async Task<Results<Ok<NoteResponse>, ValidationProblem, ProblemHttpResult>> Edit(
        Guid patientId, Guid noteId, NoteWrite request, HttpContext http, MenoTimeDbContext db, SensitiveText text, TimeProvider clock)
    {
        var note = await db.ClinicalNotes.SingleOrDefaultAsync(n => n.Id == noteId && n.PatientId == patientId && n.DeletedAt == null, http.RequestAborted);
        if (note is null)
        {
            return Problems.NotFound("note");
        }

        if (ETags.CheckIfMatch(http.Request, note.Version) is { } precondition)
        {
            return precondition;
        }

        if (Validate(request) is { } problem)
        {
            return problem;
        }

        var caller = http.RequireCaller();
        var now = clock.GetUtcNow();
        note.ContentEncrypted = await text.EncryptAsync(request.Content!, SensitiveText.NoteContext(note.Id), http.RequestAborted);
        note.LegacyContent = null;
        note.SharedWithPatient = request.SharedWithPatient ?? note.SharedWithPatient;
        note.CurrentVersion++;
        note.UpdatedAt = now;
        db.ClinicalNoteVersions.Add(await VersionOfAsync(note, request.Content!, caller.Subject, now, text, http.RequestAborted));
        try
        {
            await db.SaveChangesAsync(http.RequestAborted);
        }
        catch (DbUpdateException e) when (e is DbUpdateConcurrencyException || e.InnerException is Npgsql.PostgresException { SqlState: Npgsql.PostgresErrorCodes.UniqueViolation })
        {
            return Problems.PreconditionFailed(); // Someone else saved a version first.
        }

        ETags.Set(http.Response, note.Version);
        return TypedResults.Ok(NoteResponse.From(note, request.Content!));
    }

    /// <summary>Soft delete with a reason (If-Match required): the note and its versions are kept.</summary>
    public static async Task<Results<NoContent, ValidationProblem, ProblemHttpResult>> Delete(
        Guid patientId, Guid noteId, [Microsoft.AspNetCore.Mvc.FromBody] NoteDelete request, HttpContext http, MenoTimeDbContext db, TimeProvider clock)
    {
        var note = await db.ClinicalNotes.SingleOrDefaultAsync(n => n.Id == noteId && n.PatientId == patientId && n.DeletedAt == null, http.RequestAborted);
        if (note is null)
        {
            return Problems.NotFound("note");
        }

        if (ETags.CheckIfMatch(http.Request, note.Version) is { } precondition)
        {
            return precondition;
        }

        var validation = new Validation().Text(request.Reason, "reason", 500);
        if (!validation.IsValid)
        {
            return validation.ToProblem();
        }

        var caller = http.RequireCaller();
        note.DeletedAt = clock.GetUtcNow();
        note.DeletedBy = caller.Subject;
        note.DeletedReason = request.Reason!.Trim();
        try
        {
            await db.SaveChangesAsync(http.RequestAborted);
        }
        catch (DbUpdateConcurrencyException)
        {
            return Problems.PreconditionFailed();
        }

        return TypedResults.NoContent();
    }

    /// <summary>Every version, oldest first: for the patient's providers (a patient reads the current shared text only).</summary>
    public static async Task<Results<Ok<List<NoteVersionResponse>>, ProblemHttpResult>> Versions(Guid patientId, Guid noteId, HttpContext http, MenoTimeDbContext db, SensitiveText text)
    {
        if (!await db.ClinicalNotes.AnyAsync(n => n.Id == noteId && n.PatientId == patientId, http.RequestAborted))
        {
            return Problems.NotFound("note");
        }

        var versions = new List<NoteVersionResponse>();
        foreach (var v in await db.ClinicalNoteVersions.AsNoTracking().Where(v => v.NoteId == noteId).OrderBy(v => v.Version).ToListAsync(http.RequestAborted))
        {
            versions.Add(new NoteVersionResponse(v.Version, (await text.NoteVersionAsync(v, http.RequestAborted))!, v.SharedWithPatient, v.EditedBy, v.EditedAt));
        }

        return TypedResults.Ok(versions);
    }

    private static IQueryable<ClinicalNote> Visible(MenoTimeDbContext db, Guid patientId, PatientAccess access)
    {
        var notes = db.ClinicalNotes.AsNoTracking().Where(n => n.PatientId == patientId && n.DeletedAt == null);
        return access.Relationship == Relationship.Self ? notes.Where(n => n.SharedWithPatient) : notes;
    }

    private static ValidationProblem? Validate(NoteWrite request)
    {
        var validation = new Validation().Text(request.Content, "content", MaxContentLength, multiline: true);
        return validation.IsValid ? null : validation.ToProblem();
    }

    private static async Task<ClinicalNoteVersion> VersionOfAsync(
        ClinicalNote note, string content, string subject, DateTimeOffset now, SensitiveText text, CancellationToken cancellationToken) => new()
    {
        NoteId = note.Id,
        Version = note.CurrentVersion,
        ContentEncrypted = await text.EncryptAsync(content, SensitiveText.NoteVersionContext(note.Id, note.CurrentVersion), cancellationToken),
        SharedWithPatient = note.SharedWithPatient,
        EditedBy = subject,
        EditedAt = now,
    };
}
