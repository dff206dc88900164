using MenoTime.Api.Http;

namespace MenoTime.Api.Access;

/// <summary>Enforces the endpoint's <see cref="AccessRule"/> before its handler runs.</summary>
public sealed class AccessFilter : IEndpointFilter
{
    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var http = context.HttpContext;
        var rule = http.GetEndpoint()?.Metadata.GetMetadata<AccessRule>();
        if (rule is AnonymousRule)
        {
            return await next(context);
        }

        var caller = http.GetCaller();
        if (caller is null || rule is null)
        {
            return Problems.Unauthorized();
        }

        switch (rule)
        {
            case RoleRule roleRule when !roleRule.Roles.Any(caller.Is):
                return Problems.Forbidden($"This needs one of the roles: {string.Join(", ", roleRule.Roles)}.");
            case PatientRule patientRule:
                var policy = http.RequestServices.GetRequiredService<PatientAccessPolicy>();
                var access = Guid.TryParse(http.GetRouteValue(AccessRuleExtensions.PatientIdRouteValue) as string, out var patientId)
                    ? await policy.CheckAsync(caller, patientId, patientRule.Data, patientRule.Mode, http.RequestAborted)
                    : null;
                if (access is null)
                {
                    return Problems.NotFound("patient");
                }

                http.Items[typeof(PatientAccess)] = access;
                break;
        }

        return await next(context);
    }
}

public static class CallerHttpContextExtensions
{
    /// <summary>The caller, with the patient and provider records they own; null when anonymous.</summary>
    public static Caller? GetCaller(this HttpContext http)
    {
        if (http.Items.TryGetValue(typeof(Caller), out var cached))
        {
            return (Caller?)cached;
        }

        var caller = Caller.FromPrincipal(http.User);
        if (caller is not null)
        {
            // Looked up with the session check, in the same round trip (SessionGuard).
            var records = http.Items[typeof(CallerRecords)] as CallerRecords
                ?? throw new InvalidOperationException("An authenticated request always passes the session check first.");
            caller.PatientId = caller.Is(Roles.Patient) ? records.PatientId : null;
            caller.ProviderId = caller.Is(Roles.Provider) ? records.ProviderId : null;
        }

        http.Items[typeof(Caller)] = caller;
        return caller;
    }

    /// <summary>The caller, on an endpoint whose rule requires authentication.</summary>
    public static Caller RequireCaller(this HttpContext http) =>
        http.GetCaller() ?? throw new InvalidOperationException("The access filter lets no anonymous caller reach this endpoint.");

    /// <summary>The access a <see cref="PatientRule"/> granted for this request.</summary>
    public static PatientAccess GetPatientAccess(this HttpContext http) =>
        http.Items[typeof(PatientAccess)] as PatientAccess
        ?? throw new InvalidOperationException("This endpoint has no PatientRule.");
}
