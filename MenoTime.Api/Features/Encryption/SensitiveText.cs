using MenoTime.Aws.FieldEncryption;
using MenoTime.Data.Model;

namespace MenoTime.Api.Features.Encryption;

/// <summary>
/// The free texts MenoTime keeps encrypted — clinical notes (every version) and symptom notes — and the
/// context each is bound to: a blob copied into another row does not decrypt there.
/// </summary>
public sealed class SensitiveText(IFieldEncryptor encryptor)
{
    public static string NoteContext(Guid noteId) => $"clinical_notes.content:{noteId}";

    public static string NoteVersionContext(Guid noteId, int version) => $"clinical_note_versions.content:{noteId}:{version}";

    public static string SymptomNoteContext(Guid entryId) => $"symptom_entries.note:{entryId}";

    public Task<byte[]> EncryptAsync(string text, string context, CancellationToken cancellationToken) =>
        encryptor.EncryptAsync(text, context, cancellationToken);

    public async Task<string?> ReadAsync(byte[]? encrypted, string? legacy, string context, CancellationToken cancellationToken) =>
        encrypted is null ? legacy : await encryptor.DecryptAsync(encrypted, context, cancellationToken);

    public Task<string?> NoteAsync(ClinicalNote note, CancellationToken cancellationToken) =>
        ReadAsync(note.ContentEncrypted, note.LegacyContent, NoteContext(note.Id), cancellationToken);

    public Task<string?> NoteVersionAsync(ClinicalNoteVersion version, CancellationToken cancellationToken) =>
        ReadAsync(version.ContentEncrypted, version.LegacyContent, NoteVersionContext(version.NoteId, version.Version), cancellationToken);

    public Task<string?> SymptomNoteAsync(SymptomEntry entry, CancellationToken cancellationToken) =>
        ReadAsync(entry.NoteEncrypted, entry.LegacyNote, SymptomNoteContext(entry.Id), cancellationToken);
}
