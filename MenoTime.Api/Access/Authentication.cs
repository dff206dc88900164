using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.IdentityModel.Tokens;

namespace MenoTime.Api.Access;

public static class AuthenticationSetup
{
    private const string SessionFailureKey = "auth.session-failure";

    /// <summary>
    /// RS256 access tokens from the OIDC issuer at <c>Auth:Authority</c>: the Cognito user pool in AWS,
    /// the development issuer locally. Issuer and signing keys come from its discovery document. Cognito
    /// access tokens carry no audience: the token must say token_use=access, and its client_id must be one
    /// of <c>Auth:ClientIds</c> when that is set.
    /// </summary>
    public static IHostApplicationBuilder AddMenoTimeAuthentication(this IHostApplicationBuilder builder)
    {
        var authority = builder.Configuration["Auth:Authority"]
            ?? throw new InvalidOperationException("Auth:Authority (the OIDC issuer URL) is not set; the AppHost sets Auth__Authority.");
        var clientIds = (builder.Configuration["Auth:ClientIds"] ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

        builder.Services.AddAuthentication(JwtBearerDefaults.AuthenticationScheme).AddJwtBearer(options =>
        {
            options.Authority = authority;
            // Plain http only for a loopback issuer (the development one); anywhere else metadata needs TLS.
            options.RequireHttpsMetadata = !Uri.TryCreate(authority, UriKind.Absolute, out var uri) || !uri.IsLoopback;
            options.MapInboundClaims = false;
            options.TokenValidationParameters = new TokenValidationParameters
            {
                ValidateIssuer = true,
                ValidateAudience = false,
                ValidateLifetime = true,
                ValidAlgorithms = [SecurityAlgorithms.RsaSha256],
                ClockSkew = TimeSpan.FromSeconds(30),
                NameClaimType = "sub",
                RoleClaimType = Caller.GroupsClaim,
            };
            options.Events = new JwtBearerEvents
            {
                // A 401 is a problem document like every other error (the handler alone would send an empty body).
                OnChallenge = async context =>
                {
                    context.HandleResponse();
                    context.Response.StatusCode = StatusCodes.Status401Unauthorized;
                    context.Response.Headers.WWWAuthenticate = context.Error is null ? "Bearer" : $"Bearer error=\"{context.Error}\"";
                    var problems = context.HttpContext.RequestServices.GetRequiredService<IProblemDetailsService>();
                    var problem = new ProblemDetailsContext { HttpContext = context.HttpContext, ProblemDetails = { Status = StatusCodes.Status401Unauthorized } };
                    if (context.HttpContext.Items[SessionFailureKey] is string session)
                    {
                        problem.ProblemDetails.Type = $"/problems/{session}";
                        problem.ProblemDetails.Title = "Session ended";
                        problem.ProblemDetails.Detail = session == SessionGuard.Ended
                            ? "You signed out. Sign in again."
                            : "Your session ended after a period without activity. Sign in again.";
                    }

                    await problems.WriteAsync(problem);
                },
                OnTokenValidated = async context =>
                {
                    var principal = context.Principal!;
                    if (principal.FindFirst("token_use")?.Value != "access")
                    {
                        context.Fail("Only access tokens are accepted.");
                    }
                    else if (clientIds.Length > 0 && !clientIds.Contains(principal.FindFirst("client_id")?.Value))
                    {
                        context.Fail("The token was issued to another client.");
                    }
                    else if (await context.HttpContext.RequestServices.GetRequiredService<SessionGuard>()
                                 .TouchAsync(principal, context.HttpContext, context.HttpContext.RequestAborted) is { } sessionFailure)
                    {
                        context.HttpContext.Items[SessionFailureKey] = sessionFailure;
                        context.Fail(sessionFailure);
                    }
                },
            };
        });
        builder.Services.AddAuthorization();
        builder.Services.AddSingleton<SessionGuard>();
        return builder;
    }
}
