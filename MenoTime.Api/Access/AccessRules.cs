namespace MenoTime.Api.Access;

/// <summary>What an endpoint reads or writes of a patient's record (the patient compartment).</summary>
public enum PatientData
{
    Profile,
    Appointments,
    Questionnaires,
    Symptoms,
    Medications,
    Notes,
    Supporters,
    Assignments,
    /// <summary>Who accessed the record (the accounting of disclosures): the patient and admins.</summary>
    AccessLog,
    /// <summary>The reminder emails planned and sent, with their status history: the patient and admins.</summary>
    Notifications,
}

public enum AccessMode
{
    Read,
    Write,
}

/// <summary>
/// Every endpoint declares exactly one rule; the security tests enumerate the endpoints and fail on one
/// without a rule. The rule is enforced by <see cref="AccessFilter"/>: this is the one authorization layer.
/// </summary>
public abstract record AccessRule;

/// <summary>The route's {patientId} must be a patient the caller may read or write <see cref="Data"/> of.</summary>
public sealed record PatientRule(PatientData Data, AccessMode Mode) : AccessRule;

/// <summary>The caller needs one of the roles; the handler applies row-level checks through <see cref="PatientAccessPolicy"/>.</summary>
public sealed record RoleRule(IReadOnlyList<string> Roles) : AccessRule;

/// <summary>No token needed, for the stated reason (e.g. operational status without PHI).</summary>
public sealed record AnonymousRule(string Reason) : AccessRule;

public static class AccessRuleExtensions
{
    public const string PatientIdRouteValue = "patientId";

    public static RouteHandlerBuilder ForPatient(this RouteHandlerBuilder builder, PatientData data, AccessMode mode) =>
        builder.WithAccessRule(new PatientRule(data, mode));

    public static RouteHandlerBuilder ForRoles(this RouteHandlerBuilder builder, params string[] roles) =>
        builder.WithAccessRule(new RoleRule(roles));

    public static RouteHandlerBuilder Anonymous(this RouteHandlerBuilder builder, string reason) =>
        builder.WithAccessRule(new AnonymousRule(reason)).AllowAnonymous();

    private static RouteHandlerBuilder WithAccessRule(this RouteHandlerBuilder builder, AccessRule rule) =>
        builder.WithMetadata(rule).AddEndpointFilter<AccessFilter>();
}
