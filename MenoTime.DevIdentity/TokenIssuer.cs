using System.Security.Claims;
using System.Security.Cryptography;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace MenoTime.DevIdentity;

/// <summary>Signs access tokens shaped like Cognito's: sub, cognito:groups, token_use, client_id, origin_jti.</summary>
public sealed class TokenIssuer(RSA key, string issuer, string clientId)
{
    public const string DefaultClientId = "menotime-local";
    public static readonly TimeSpan Lifetime = TimeSpan.FromMinutes(15);
    public static readonly string[] Roles = ["patient", "provider", "supporter", "admin"];

    private readonly RsaSecurityKey _signingKey = new(key) { KeyId = Convert.ToHexStringLower(SHA256.HashData(key.ExportRSAPublicKey()))[..16] };
    private readonly JsonWebTokenHandler _handler = new();

    public string Issuer { get; } = issuer.TrimEnd('/');

    public JsonWebKey PublicJwk()
    {
        var jwk = JsonWebKeyConverter.ConvertFromRSASecurityKey(new RsaSecurityKey(key.ExportParameters(false)) { KeyId = _signingKey.KeyId });
        jwk.Use = "sig";
        jwk.Alg = SecurityAlgorithms.RsaSha256;
        return jwk;
    }

    /// <param name="sessionId">Identifies the sign-in session (Cognito's origin_jti); new when null.</param>
    public string Issue(string subject, string? email, IEnumerable<string> roles, string? sessionId, DateTimeOffset now)
    {
        var claims = new List<Claim>
        {
            new("sub", subject),
            new("token_use", "access"),
            new("client_id", clientId),
            new("scope", "openid email"),
            new("origin_jti", sessionId ?? Guid.NewGuid().ToString()),
            new("jti", Guid.NewGuid().ToString()),
            new("username", subject),
        };
        if (email is not null)
        {
            claims.Add(new Claim("email", email));
        }

        claims.AddRange(roles.Select(role => new Claim("cognito:groups", role)));
        return _handler.CreateToken(new SecurityTokenDescriptor
        {
            Issuer = Issuer,
            Subject = new ClaimsIdentity(claims),
            IssuedAt = now.UtcDateTime,
            NotBefore = now.UtcDateTime,
            Expires = (now + Lifetime).UtcDateTime,
            SigningCredentials = new SigningCredentials(_signingKey, SecurityAlgorithms.RsaSha256),
        });
    }
}
