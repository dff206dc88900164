using System.Security.Claims;

namespace MenoTime.Api.Access;

public static class Roles
{
    public const string Patient = "patient";
    public const string Provider = "provider";
    public const string Supporter = "supporter";
    public const string Admin = "admin";

    public static readonly string[] All = [Patient, Provider, Supporter, Admin];
}

/// <summary>
/// Who is calling: the token's subject and roles (Cognito groups), and, looked up once per request, the
/// patient and provider records that subject owns.
/// </summary>
public sealed class Caller(string subject, IReadOnlySet<string> roles, string? sessionId)
{
    /// <summary>The claim Cognito (and the development issuer) put groups in.</summary>
    public const string GroupsClaim = "cognito:groups";

    public string Subject { get; } = subject;

    public IReadOnlySet<string> Roles { get; } = roles;

    /// <summary>The sign-in session the token belongs to (Cognito's origin_jti).</summary>
    public string? SessionId { get; } = sessionId;

    /// <summary>The caller's own patient record, when the caller is a patient who has one.</summary>
    public Guid? PatientId { get; internal set; }

    /// <summary>The caller's own provider record, when the caller is a provider who has one.</summary>
    public Guid? ProviderId { get; internal set; }

    public bool Is(string role) => Roles.Contains(role);

    /// <summary>The main role, for audit and response shaping: admin, provider, patient, supporter in that order.</summary>
    public string PrimaryRole => Is(Access.Roles.Admin) ? Access.Roles.Admin
        : Is(Access.Roles.Provider) ? Access.Roles.Provider
        : Is(Access.Roles.Patient) ? Access.Roles.Patient
        : Access.Roles.Supporter;

    public static Caller? FromPrincipal(ClaimsPrincipal principal)
    {
        var subject = principal.FindFirst("sub")?.Value;
        if (principal.Identity?.IsAuthenticated != true || string.IsNullOrEmpty(subject))
        {
            return null;
        }

        var roles = principal.FindAll(GroupsClaim).Select(c => c.Value).Where(r => Access.Roles.All.Contains(r)).ToHashSet();
        return new Caller(subject, roles, principal.FindFirst("origin_jti")?.Value);
    }
}
