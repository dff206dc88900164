using MenoTime.Api.Access;
using MenoTime.Api.Features.Audit;
using MenoTime.Api.Http;
using MenoTime.Data.Audit;
using Microsoft.AspNetCore.Http.HttpResults;

namespace MenoTime.Api.Features.Sessions;

public static class SessionEndpoints
{
    public const string RateLimitPolicy = "sessions";

    public static void MapSessionEndpoints(this RouteGroupBuilder api) =>
        api.MapGroup("/sessions").WithTags("Sessions").WithMetadata(new AuditResource("session"))
            .MapPost("/logout", Logout).ForRoles(Roles.All).RequireRateLimiting(RateLimitPolicy)
            .WithMetadata(new AuditResource("session", AuditActions.Logout));

    /// <summary>Ends the caller's session: its token is refused from now on, even before it expires.</summary>
    public static async Task<Results<NoContent, ProblemHttpResult>> Logout(HttpContext http, SessionGuard sessions)
    {
        var caller = http.RequireCaller();
        return caller.SessionId is { } sessionId && await sessions.EndAsync(sessionId, caller.Subject, http.RequestAborted)
            ? TypedResults.NoContent()
            : Problems.NotFound("active session");
    }
}
