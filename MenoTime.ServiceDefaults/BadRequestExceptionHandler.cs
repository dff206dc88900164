using System.Text.Json;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;

namespace MenoTime.ServiceDefaults;

/// <summary>
/// Turns a request the framework could not read (malformed JSON, a wrong type, a body too large) into a
/// 4xx problem naming where it went wrong, e.g. <c>$.answers[3]</c>. Never the offending value: it may be PHI.
/// </summary>
internal sealed class BadRequestExceptionHandler(IProblemDetailsService problemDetails) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        if (exception is not BadHttpRequestException bad)
        {
            return false;
        }

        var problem = new ProblemDetails
        {
            Status = bad.StatusCode,
            Type = bad.StatusCode == StatusCodes.Status413PayloadTooLarge ? "/problems/payload-too-large" : "/problems/malformed-request",
            Title = bad.StatusCode == StatusCodes.Status413PayloadTooLarge ? "Request body too large" : "Malformed request",
            Detail = bad.StatusCode == StatusCodes.Status413PayloadTooLarge
                ? "The request body is larger than this API accepts."
                : "The request could not be read. Check the JSON syntax and the type of each field.",
        };
        if (FindJsonException(bad) is { } json)
        {
            problem.Extensions["errors"] = new Dictionary<string, string[]> { [json.Path ?? "$"] = ["is not valid here (wrong type, unknown field, or malformed JSON)."] };
        }

        httpContext.Response.StatusCode = bad.StatusCode;
        return await problemDetails.TryWriteAsync(new ProblemDetailsContext { HttpContext = httpContext, ProblemDetails = problem, Exception = exception });
    }

    private static JsonException? FindJsonException(Exception exception) =>
        exception as JsonException ?? (exception.InnerException is { } inner ? FindJsonException(inner) : null);
}
