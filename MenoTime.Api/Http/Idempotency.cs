using System.Security.Cryptography;
using System.Text.Json;
using MenoTime.Api.Access;
using MenoTime.Data;
using MenoTime.Data.Model;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace MenoTime.Api.Http;

/// <summary>Marks the request body of a create: what the Idempotency-Key's fingerprint is taken from.</summary>
public interface ICreateRequest;

/// <summary>
/// Creates accept an <c>Idempotency-Key</c>. The key's record is added to the request's DbContext before
/// the handler runs, so it is saved in the same transaction as the created record: a create and its key
/// exist together or not at all. Requests with one key are serialized by a transaction advisory lock. A retry with
/// the same key and body gets the first response again and
/// creates nothing; the same key with another body is refused (422). Only successful creates are kept:
/// a refused request can be corrected and retried with its key.
/// </summary>
public sealed class IdempotencyFilter : IEndpointFilter
{
    public const string Header = "Idempotency-Key";

    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var http = context.HttpContext;
        var key = http.Request.Headers[Header].ToString();
        if (key.Length == 0)
        {
            return await next(context);
        }

        if (key.Length > 200 || key.Any(char.IsControl))
        {
            return Problems.Validation(Header, "must be 1 to 200 characters without control characters.");
        }

        var caller = http.RequireCaller();
        var db = http.RequestServices.GetRequiredService<MenoTimeDbContext>();
        var json = http.RequestServices.GetRequiredService<IOptions<JsonOptions>>().Value.SerializerOptions;
        var hash = Fingerprint(http, context.Arguments.OfType<ICreateRequest>(), json);

        // Requests with one key run one at a time: a retry racing its original waits for it, then replays it.
        // The lock is the request transaction's (opened by the audit filter), so it lasts until the create commits.
        await db.Database.ExecuteSqlInterpolatedAsync($"SELECT pg_advisory_xact_lock(hashtextextended({caller.Subject + "\n" + key}, 0))", http.RequestAborted);
        var existing = await FindAsync(db, caller.Subject, key, http.RequestAborted);
        if (existing is not null)
        {
            return Replay(existing, hash);
        }

        var record = new IdempotencyRecord { Subject = caller.Subject, Key = key, RequestHash = hash, CreatedAt = DateTimeOffset.UtcNow };
        db.IdempotencyRecords.Add(record);
        var result = await next(context);
        var outcome = Unwrap(result);
        if (db.Entry(record).State == EntityState.Unchanged && outcome is IStatusCodeHttpResult { StatusCode: >= 200 and < 300 } success)
        {
            record.StatusCode = success.StatusCode;
            record.ResponseBody = outcome is IValueHttpResult { Value: { } value } ? JsonSerializer.Serialize(value, value.GetType(), json) : null;
            record.Location = outcome.GetType().GetProperty("Location")?.GetValue(outcome) as string;
            await db.SaveChangesAsync(http.RequestAborted);
        }
        else if (db.Entry(record).State == EntityState.Added)
        {
            db.Entry(record).State = EntityState.Detached; // The handler saved nothing: keep no key.
        }

        return result;
    }

    private static async Task<IdempotencyRecord?> FindAsync(MenoTimeDbContext db, string subject, string key, CancellationToken cancellationToken) =>
        await db.IdempotencyRecords.AsNoTracking().SingleOrDefaultAsync(r => r.Subject == subject && r.Key == key, cancellationToken);

    private static IResult Replay(IdempotencyRecord record, string hash)
    {
        if (record.RequestHash != hash)
        {
            return Problems.Unprocessable("idempotency-key-reused",
                "This Idempotency-Key was used for a different request. Use a new key for a new request.");
        }

        // The record and its response commit in one transaction, so a stored key always has its response;
        // a key without one can only come from rows written outside this filter.
        return record.StatusCode is { } status
            ? new ReplayedResult(status, record.ResponseBody, record.Location)
            : Problems.Conflict("idempotency-key-interrupted",
                "The first request with this Idempotency-Key was interrupted after it was saved. Look the record up before creating it again.");
    }

    private static object? Unwrap(object? result) => result is INestedHttpResult nested ? Unwrap(nested.Result) : result;

    private static string Fingerprint(HttpContext http, IEnumerable<ICreateRequest> bodies, JsonSerializerOptions json)
    {
        var payload = JsonSerializer.SerializeToUtf8Bytes(new
        {
            method = http.Request.Method,
            path = http.Request.Path.Value,
            bodies = bodies.Select(b => JsonSerializer.SerializeToElement(b, b.GetType(), json)),
        });
        return Convert.ToHexStringLower(SHA256.HashData(payload));
    }

    private sealed class ReplayedResult(int statusCode, string? body, string? location) : IResult, IStatusCodeHttpResult
    {
        public int? StatusCode => statusCode;

        public async Task ExecuteAsync(HttpContext httpContext)
        {
            httpContext.Response.StatusCode = statusCode;
            httpContext.Response.Headers["Idempotent-Replayed"] = "true";
            if (location is not null)
            {
                httpContext.Response.Headers.Location = location;
            }

            if (body is not null)
            {
                httpContext.Response.ContentType = "application/json; charset=utf-8";
                await httpContext.Response.WriteAsync(body, httpContext.RequestAborted);
            }
        }
    }
}

public static class IdempotencyExtensions
{
    /// <summary>Lets the create be retried safely with an Idempotency-Key.</summary>
    public static RouteHandlerBuilder Idempotent(this RouteHandlerBuilder builder) => builder.AddEndpointFilter<IdempotencyFilter>();
}
