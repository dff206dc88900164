using Microsoft.AspNetCore.Http.HttpResults;

namespace MenoTime.Api.Http;

/// <summary>
/// The problem documents the API answers with. Each has a stable type (/problems/{code}) clients can
/// switch on, and a detail written for a person; none carries data the caller may not see.
/// </summary>
public static class Problems
{
    public static ProblemHttpResult NotFound(string what) =>
        Problem(StatusCodes.Status404NotFound, "not-found", "Not found", $"No {what} with this id exists, or you may not see it.");

    public static ProblemHttpResult Unauthorized() =>
        Problem(StatusCodes.Status401Unauthorized, "unauthorized", "Unauthorized", "A valid bearer token is required.");

    public static ProblemHttpResult Forbidden(string detail) =>
        Problem(StatusCodes.Status403Forbidden, "forbidden", "Forbidden", detail);

    public static ProblemHttpResult Conflict(string code, string detail) =>
        Problem(StatusCodes.Status409Conflict, code, "Conflict", detail);

    public static ProblemHttpResult PreconditionRequired() =>
        Problem(StatusCodes.Status428PreconditionRequired, "if-match-required", "Precondition required",
            "Send the record's ETag in If-Match: updates of clinical records must say which version they change.");

    public static ProblemHttpResult PreconditionFailed() =>
        Problem(StatusCodes.Status412PreconditionFailed, "stale-etag", "Precondition failed",
            "The record changed since you read it: read it again, then apply your change to the current version.");

    public static ProblemHttpResult Unprocessable(string code, string detail) =>
        Problem(StatusCodes.Status422UnprocessableEntity, code, "Unprocessable request", detail);

    public static ValidationProblem Validation(IDictionary<string, string[]> errors) =>
        TypedResults.ValidationProblem(errors, title: "Invalid request", type: "/problems/validation");

    public static ValidationProblem Validation(string field, string message) =>
        Validation(new Dictionary<string, string[]> { [field] = [message] });

    private static ProblemHttpResult Problem(int status, string code, string title, string detail) =>
        TypedResults.Problem(detail, statusCode: status, title: title, type: $"/problems/{code}");
}
