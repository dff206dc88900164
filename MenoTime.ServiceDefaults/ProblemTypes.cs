using Microsoft.AspNetCore.Http;

namespace MenoTime.ServiceDefaults;

/// <summary>
/// Problems the framework writes itself (an unknown route, a wrong method, a body too large, an unhandled
/// exception) get the same /problems/{code} types and plain-language titles as the ones MenoTime writes,
/// so clients switch on one vocabulary.
/// </summary>
internal static class ProblemTypes
{
    private static readonly Dictionary<int, (string Code, string Title, string Detail)> ByStatus = new()
    {
        [StatusCodes.Status400BadRequest] = ("malformed-request", "Malformed request", "The request could not be read."),
        [StatusCodes.Status401Unauthorized] = ("unauthorized", "Unauthorized", "A valid bearer token is required."),
        [StatusCodes.Status403Forbidden] = ("forbidden", "Forbidden", "You may not do this."),
        [StatusCodes.Status404NotFound] = ("not-found", "Not found", "Nothing exists at this address."),
        [StatusCodes.Status405MethodNotAllowed] = ("method-not-allowed", "Method not allowed", "This address does not accept this method."),
        [StatusCodes.Status413PayloadTooLarge] = ("payload-too-large", "Request body too large", "The request body is larger than this API accepts."),
        [StatusCodes.Status415UnsupportedMediaType] = ("unsupported-media-type", "Unsupported media type", "Send the body as application/json."),
        [StatusCodes.Status500InternalServerError] = ("internal-error", "Internal error", "Something failed on our side. It has been logged; try again later."),
    };

    public static void Apply(ProblemDetailsContext context)
    {
        var problem = context.ProblemDetails;
        var isDefault = problem.Type is null || problem.Type.StartsWith("https://tools.ietf.org/", StringComparison.Ordinal);
        if (isDefault && problem.Status is { } status && ByStatus.TryGetValue(status, out var known))
        {
            problem.Type = $"/problems/{known.Code}";
            problem.Title = known.Title;
            problem.Detail ??= known.Detail;
        }
    }
}
