using System.Data;
using System.Diagnostics;
using MenoTime.Api.Access;
using MenoTime.Data;
using MenoTime.Data.Audit;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;
using Npgsql;

namespace MenoTime.Api.Features.Audit;

/// <summary>What an endpoint's audit rows call the resource it touches (set on each route group).</summary>
public sealed record AuditResource(string Type, string? Action = null);

/// <summary>
/// The one audit writer of the API, on every /api/v1 endpoint. It opens the request's transaction, lets
/// the endpoint (access checks included) run in it, and writes the audit row before committing: a change
/// and its audit row exist together or not at all. A request that fails (4xx/5xx) is rolled back — bad
/// input changes nothing — and audited on its own. Denials (401, 403, the 404 of a record the caller may
/// not see) are audited like everything else.
/// </summary>
public sealed class AuditFilter : IEndpointFilter
{
    public const string WrittenKey = "audit.written";

    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var http = context.HttpContext;
        var db = http.RequestServices.GetRequiredService<MenoTimeDbContext>();
        await using var transaction = await db.Database.BeginTransactionAsync(IsolationLevel.ReadCommitted, http.RequestAborted);
        // The request is all or nothing: a save that fails ends it, and this filter rolls the whole transaction back.
        // So EF's savepoint around each SaveChanges (SAVEPOINT and RELEASE, two more statements) would guard nothing.
        db.Database.AutoSavepointsEnabled = false;
        object? result;
        try
        {
            result = await next(context);
        }
        catch
        {
            await transaction.RollbackAsync(CancellationToken.None);
            await AuditWriter.WriteAsync(http, StatusCodes.Status500InternalServerError, resultValue: null, CancellationToken.None);
            throw;
        }

        var status = StatusOf(result);
        if (status >= 400)
        {
            await transaction.RollbackAsync(CancellationToken.None);
            await AuditWriter.WriteAsync(http, status, ValueOf(result), CancellationToken.None);
        }
        else
        {
            await AuditWriter.WriteAsync(http, status, ValueOf(result), http.RequestAborted);
            await transaction.CommitAsync(http.RequestAborted);
        }

        return result;
    }

    private static int StatusOf(object? result) => Unwrap(result) switch
    {
        IStatusCodeHttpResult { StatusCode: { } code } => code,
        _ => StatusCodes.Status200OK,
    };

    private static object? ValueOf(object? result) => Unwrap(result) is IValueHttpResult value ? value.Value : null;

    private static object? Unwrap(object? result) => result is INestedHttpResult nested ? Unwrap(nested.Result) : result;
}

/// <summary>Builds the audit row of a request and writes it on the request's connection (and transaction, if any).</summary>
public static class AuditWriter
{
    public static async Task WriteAsync(HttpContext http, int status, object? resultValue, CancellationToken cancellationToken)
    {
        var db = http.RequestServices.GetRequiredService<MenoTimeDbContext>();
        var caller = Caller.FromPrincipal(http.User);
        var endpoint = http.GetEndpoint();
        var resource = endpoint?.Metadata.GetMetadata<AuditResource>();
        var route = (endpoint as RouteEndpoint)?.RoutePattern;
        var record = new AuditRecord(
            OccurredAt: http.RequestServices.GetRequiredService<TimeProvider>().GetUtcNow(),
            Subject: caller?.Subject,
            Role: caller?.PrimaryRole,
            SessionId: caller?.SessionId,
            Action: status == StatusCodes.Status401Unauthorized ? AuditActions.LoginFailure : resource?.Action ?? ActionOf(http.Request.Method, route),
            ResourceType: resource?.Type ?? "unknown",
            ResourceId: ResourceIdOf(http, route, resource, resultValue),
            PatientId: PatientIdOf(http, resultValue),
            Status: status,
            ClientIp: http.Connection.RemoteIpAddress?.ToString(),
            UserAgent: http.Request.Headers.UserAgent.ToString() is { Length: > 0 } agent ? agent : null,
            TraceId: Activity.Current?.TraceId.ToString() ?? http.TraceIdentifier,
            BreakGlass: http.RequestServices.GetRequiredService<PatientAccessPolicy>().UsedEmergencyAccess);

        var connection = (NpgsqlConnection)db.Database.GetDbConnection();
        var opened = connection.State != ConnectionState.Open;
        if (opened)
        {
            await db.Database.OpenConnectionAsync(cancellationToken);
        }

        try
        {
            var transaction = (NpgsqlTransaction?)db.Database.CurrentTransaction?.GetDbTransaction();
            await AuditStore.WriteAsync(connection, transaction, record, cancellationToken);
        }
        finally
        {
            if (opened)
            {
                await db.Database.CloseConnectionAsync();
            }
        }

        http.Items[AuditFilter.WrittenKey] = true;
    }

    /// <summary>GET of one thing is a read, of a list a search; the rest follows the method.</summary>
    private static string ActionOf(string method, Microsoft.AspNetCore.Routing.Patterns.RoutePattern? route) => method switch
    {
        "POST" => AuditActions.Create,
        "PUT" or "PATCH" => AuditActions.Update,
        "DELETE" => AuditActions.Delete,
        _ when route is { PathSegments.Count: > 0 } && route.PathSegments[^1] is { IsSimple: true } last && last.Parts[0].IsParameter => AuditActions.Read,
        _ => AuditActions.Search,
    };

    /// <summary>The record's own id from the route, else the id in the response (a create), else nothing (a list).</summary>
    private static string? ResourceIdOf(HttpContext http, Microsoft.AspNetCore.Routing.Patterns.RoutePattern? route, AuditResource? resource, object? resultValue)
    {
        var idParameter = route?.Parameters
            .Where(p => p.Name.EndsWith("Id", StringComparison.Ordinal)
                        && (p.Name != AccessRuleExtensions.PatientIdRouteValue || resource?.Type == "patient"))
            .LastOrDefault();
        if (idParameter is not null && http.GetRouteValue(idParameter.Name) is string routeId)
        {
            return routeId.Length <= 100 ? routeId : null;
        }

        return resultValue?.GetType().GetProperty("Id")?.GetValue(resultValue)?.ToString();
    }

    private static Guid? PatientIdOf(HttpContext http, object? resultValue)
    {
        var candidate = http.GetRouteValue(AccessRuleExtensions.PatientIdRouteValue) as string ?? http.Request.Query["patientId"].FirstOrDefault();
        if (Guid.TryParse(candidate, out var fromRequest))
        {
            return fromRequest;
        }

        return resultValue?.GetType().GetProperty("PatientId")?.GetValue(resultValue) as Guid?;
    }
}
