using Microsoft.AspNetCore.Http.HttpResults;

namespace MenoTime.DevIdentity;

public sealed record TokenRequest(string? Subject, string? Email, string[]? Roles, string? SessionId);

public sealed record TokenResponse(string AccessToken, string TokenType, int ExpiresIn);

public static class IdentityEndpoints
{
    public static IEndpointRouteBuilder MapIdentityEndpoints(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapGet("/.well-known/openid-configuration", (TokenIssuer issuer) => TypedResults.Ok(new Dictionary<string, object>
        {
            ["issuer"] = issuer.Issuer,
            ["jwks_uri"] = $"{issuer.Issuer}/.well-known/jwks.json",
            ["token_endpoint"] = $"{issuer.Issuer}/token",
            ["response_types_supported"] = new[] { "token" },
            ["subject_types_supported"] = new[] { "public" },
            ["id_token_signing_alg_values_supported"] = new[] { "RS256" },
        }));
        endpoints.MapGet("/.well-known/jwks.json", (TokenIssuer issuer) => TypedResults.Ok(new { keys = new[] { issuer.PublicJwk() } }));
        endpoints.MapPost("/token", IssueToken);
        return endpoints;
    }

    private static Results<Ok<TokenResponse>, ValidationProblem> IssueToken(TokenRequest request, TokenIssuer issuer)
    {
        var errors = new Dictionary<string, string[]>();
        if (string.IsNullOrWhiteSpace(request.Subject) || request.Subject.Length > 200)
        {
            errors["subject"] = ["A subject of 1 to 200 characters is required."];
        }

        var roles = request.Roles ?? [];
        if (roles.Length == 0 || roles.Any(r => !TokenIssuer.Roles.Contains(r)))
        {
            errors["roles"] = [$"One or more of: {string.Join(", ", TokenIssuer.Roles)}."];
        }

        if (errors.Count > 0)
        {
            return TypedResults.ValidationProblem(errors);
        }

        // Real time, like Cognito: token lifetimes are checked against the API's real clock, even in tests that move
        // the services' clock (which only the server-side session timeout follows).
        var token = issuer.Issue(request.Subject!, request.Email, roles.Distinct(), request.SessionId, TimeProvider.System.GetUtcNow());
        return TypedResults.Ok(new TokenResponse(token, "Bearer", (int)TokenIssuer.Lifetime.TotalSeconds));
    }
}
