using MenoTime.Api.Http;
using Npgsql;

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

        var caller = await http.GetCallerAsync();
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
    /// <summary>The caller, with their own patient and provider ids looked up once per request; null when anonymous.</summary>
    public static async Task<Caller?> GetCallerAsync(this HttpContext http)
    {
        if (http.Items.TryGetValue(typeof(Caller), out var cached))
        {
            return (Caller?)cached;
        }

        var caller = Caller.FromPrincipal(http.User);
        if (caller is not null && (caller.Is(Roles.Patient) || caller.Is(Roles.Provider)))
        {
            var dataSource = http.RequestServices.GetRequiredService<NpgsqlDataSource>();
            await using var command = dataSource.CreateCommand(
                "SELECT (SELECT id FROM patients WHERE subject = $1), (SELECT id FROM providers WHERE subject = $1)");
            command.Parameters.Add(new() { Value = caller.Subject });
            await using var reader = await command.ExecuteReaderAsync(http.RequestAborted);
            await reader.ReadAsync(http.RequestAborted);
            caller.PatientId = caller.Is(Roles.Patient) && !reader.IsDBNull(0) ? reader.GetGuid(0) : null;
            caller.ProviderId = caller.Is(Roles.Provider) && !reader.IsDBNull(1) ? reader.GetGuid(1) : null;
        }

        http.Items[typeof(Caller)] = caller;
        return caller;
    }

    /// <summary>The caller, on an endpoint whose rule requires authentication.</summary>
    public static async Task<Caller> RequireCallerAsync(this HttpContext http) =>
        await http.GetCallerAsync() ?? throw new InvalidOperationException("The access filter lets no anonymous caller reach this endpoint.");

    /// <summary>The access a <see cref="PatientRule"/> granted for this request.</summary>
    public static PatientAccess GetPatientAccess(this HttpContext http) =>
        http.Items[typeof(PatientAccess)] as PatientAccess
        ?? throw new InvalidOperationException("This endpoint has no PatientRule.");
}
