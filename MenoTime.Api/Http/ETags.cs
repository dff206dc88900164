using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Net.Http.Headers;

namespace MenoTime.Api.Http;

/// <summary>
/// Weak ETags over PostgreSQL's xmin (every update changes it) and the If-Match rule for updates of
/// clinical records: missing → 428, stale → 412, so two people editing never silently overwrite each other.
/// </summary>
public static class ETags
{
    public static string For(uint version) => $"W/\"{version}\"";

    public static void Set(HttpResponse response, uint version) => response.Headers.ETag = For(version);

    /// <returns>A problem to answer with, or null when the request's If-Match names the current version.</returns>
    public static ProblemHttpResult? CheckIfMatch(HttpRequest request, uint currentVersion)
    {
        var header = request.Headers.IfMatch;
        if (header.Count == 0)
        {
            return Problems.PreconditionRequired();
        }

        if (!EntityTagHeaderValue.TryParseList(header, out var tags))
        {
            return Problems.PreconditionFailed();
        }

        var current = new EntityTagHeaderValue($"\"{currentVersion}\"", isWeak: true);
        return tags.Any(tag => tag.Equals(EntityTagHeaderValue.Any) || tag.Compare(current, useStrongComparison: false))
            ? null
            : Problems.PreconditionFailed();
    }
}
