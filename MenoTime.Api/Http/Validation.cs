using System.Net.Mail;
using NodaTime;

namespace MenoTime.Api.Http;

/// <summary>Collects field errors; the request is answered 400 with all of them at once.</summary>
public sealed class Validation
{
    private readonly Dictionary<string, List<string>> _errors = [];

    public bool IsValid => _errors.Count == 0;

    public Validation Add(string field, string message)
    {
        if (!_errors.TryGetValue(field, out var messages))
        {
            _errors[field] = messages = [];
        }

        messages.Add(message);
        return this;
    }

    public Validation Check(bool condition, string field, string message) => condition ? this : Add(field, message);

    /// <summary>Non-blank text up to <paramref name="maxLength"/>; line breaks and tabs only when <paramref name="multiline"/>.</summary>
    public Validation Text(string? value, string field, int maxLength, bool required = true, bool multiline = false)
    {
        if (value is null)
        {
            return required ? Add(field, "is required.") : this;
        }

        var allowed = multiline ? (Func<char, bool>)(c => !char.IsControl(c) || c is '\n' or '\r' or '\t') : c => !char.IsControl(c);
        return Check(value.Trim().Length > 0 && value.Length <= maxLength && value.All(allowed), field,
            $"must be 1 to {maxLength} characters without control characters.");
    }

    public Validation Email(string? value, string field, bool required = true)
    {
        if (value is null)
        {
            return required ? Add(field, "is required.") : this;
        }

        return Check(value.Length <= 320 && MailAddress.TryCreate(value, out var address) && address.Address == value && value.Contains('.', StringComparison.Ordinal),
            field, "must be an email address.");
    }

    public Validation TimeZone(string? value, string field, bool required = true)
    {
        if (value is null)
        {
            return required ? Add(field, "is required.") : this;
        }

        return Check(IsTimeZone(value), field, "must be an IANA time zone id, such as Europe/London.");
    }

    public static bool IsTimeZone(string value) => DateTimeZoneProviders.Tzdb.GetZoneOrNull(value) is not null;

    public Microsoft.AspNetCore.Http.HttpResults.ValidationProblem ToProblem() =>
        Problems.Validation(_errors.ToDictionary(e => e.Key, e => e.Value.ToArray()));
}
