namespace MenoTime.Data.Audit;

public static class AuditActions
{
    public const string Create = "create";
    public const string Read = "read";
    public const string Update = "update";
    public const string Delete = "delete";
    public const string Search = "search";
    public const string Export = "export";
    public const string LoginFailure = "login-failure";
    public const string Logout = "logout";
}

/// <summary>
/// One audit event: who, what, on which record, with what outcome, when, from where. Identifiers only:
/// never a name, a value, a note, a token or a query string.
/// </summary>
public sealed record AuditRecord(
    DateTimeOffset OccurredAt,
    string? Subject,
    string? Role,
    string? SessionId,
    string Action,
    string ResourceType,
    string? ResourceId,
    Guid? PatientId,
    int Status,
    string? ClientIp,
    string? UserAgent,
    string? TraceId,
    bool BreakGlass);

/// <summary>A stored audit event as search and the accounting of disclosures return it.</summary>
public sealed record AuditEntry(
    Guid Id,
    DateTimeOffset OccurredAt,
    string? Subject,
    string? Role,
    string Action,
    string ResourceType,
    string? ResourceId,
    Guid? PatientId,
    int Status,
    string? ClientIp,
    bool BreakGlass,
    string? TraceId);
