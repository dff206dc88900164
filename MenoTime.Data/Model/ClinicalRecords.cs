namespace MenoTime.Data.Model;

public sealed class QuestionnaireResponse
{
    public Guid Id { get; set; }

    public Guid PatientId { get; set; }

    public required string Instrument { get; set; }

    public required string InstrumentVersion { get; set; }

    public required short[] Answers { get; set; }

    /// <summary>The scores as computed at submission, JSON (the bands are versioned with the instrument).</summary>
    public required string Scores { get; set; }

    public required string SubmittedBy { get; set; }

    public DateTimeOffset SubmittedAt { get; set; }
}

public sealed class SymptomEntry
{
    public Guid Id { get; set; }

    public Guid PatientId { get; set; }

    public required string Code { get; set; }

    public short Severity { get; set; }

    public DateTimeOffset OccurredAt { get; set; }

    /// <summary>The free-text note, encrypted (see SensitiveText); null when there is none.</summary>
    public byte[]? NoteEncrypted { get; set; }

    /// <summary>Plaintext of a row written before notes were encrypted; emptied at the API's start-up.</summary>
    public string? LegacyNote { get; set; }

    public required string RecordedBy { get; set; }

    public DateTimeOffset RecordedAt { get; set; }
}

public sealed class Medication
{
    public Guid Id { get; set; }

    public Guid PatientId { get; set; }

    public required string Drug { get; set; }

    public decimal Dose { get; set; }

    public required string Unit { get; set; }

    public required string Route { get; set; }

    /// <summary>Local times of day in the patient's zone.</summary>
    public required TimeOnly[] ScheduleTimes { get; set; }

    /// <summary>ISO days of week (1 = Monday).</summary>
    public required short[] ScheduleDays { get; set; }

    public DateOnly StartDate { get; set; }

    public DateOnly? StopDate { get; set; }

    public required string CreatedBy { get; set; }

    public DateTimeOffset CreatedAt { get; set; }

    public DateTimeOffset UpdatedAt { get; set; }

    public uint Version { get; set; }
}

public sealed class MedicationDose
{
    public const string Taken = "taken";
    public const string Skipped = "skipped";

    public Guid Id { get; set; }

    public Guid MedicationId { get; set; }

    public Guid PatientId { get; set; }

    public required string Status { get; set; }

    public DateTimeOffset TakenAt { get; set; }

    public DateTimeOffset? ScheduledFor { get; set; }

    public required string RecordedBy { get; set; }

    public DateTimeOffset RecordedAt { get; set; }
}

public sealed class ClinicalNote
{
    public Guid Id { get; set; }

    public Guid PatientId { get; set; }

    public required string AuthorSubject { get; set; }

    public int CurrentVersion { get; set; }

    /// <summary>The current text, encrypted (see SensitiveText).</summary>
    public byte[]? ContentEncrypted { get; set; }

    /// <summary>Plaintext of a row written before notes were encrypted; emptied at the API's start-up.</summary>
    public string? LegacyContent { get; set; }

    public bool SharedWithPatient { get; set; }

    public DateTimeOffset CreatedAt { get; set; }

    public DateTimeOffset UpdatedAt { get; set; }

    public DateTimeOffset? DeletedAt { get; set; }

    public string? DeletedBy { get; set; }

    public string? DeletedReason { get; set; }

    public uint Version { get; set; }
}

public sealed class ClinicalNoteVersion
{
    public Guid NoteId { get; set; }

    public int Version { get; set; }

    public byte[]? ContentEncrypted { get; set; }

    public string? LegacyContent { get; set; }

    public bool SharedWithPatient { get; set; }

    public required string EditedBy { get; set; }

    public DateTimeOffset EditedAt { get; set; }
}

public sealed class IdempotencyRecord
{
    public required string Subject { get; set; }

    public required string Key { get; set; }

    public required string RequestHash { get; set; }

    public int? StatusCode { get; set; }

    public string? Location { get; set; }

    public string? ResponseBody { get; set; }

    public DateTimeOffset CreatedAt { get; set; }
}
