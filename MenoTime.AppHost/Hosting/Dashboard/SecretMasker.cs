using System.Text.RegularExpressions;

namespace MenoTime.AppHost.Hosting.Dashboard;

/// <summary>
/// Hides secrets in the configuration the dashboard shows: the whole value of a variable whose name says it
/// is secret, and the secret parts of "name=value" lists (a connection string's Password, an OTLP header's key).
/// </summary>
public static partial class SecretMasker
{
    public const string Mask = "••••••";

    /// <summary>The value to show for variable <paramref name="name"/>.</summary>
    public static string MaskValue(string name, string value)
    {
        if (value.Length == 0)
        {
            return value;
        }

        return IsSecretName(name) ? Mask : SecretPair().Replace(value, match => $"{match.Groups["name"].Value}={Mask}");
    }

    /// <summary>Password, Pwd, Secret, Token or Key anywhere in the name (case-insensitive).</summary>
    public static bool IsSecretName(string name) => SecretName().IsMatch(name);

    [GeneratedRegex("password|pwd|secret|token|key", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex SecretName();

    // "Password=abc;" in a connection string, "x-otlp-api-key=abc," in OTEL_EXPORTER_OTLP_HEADERS.
    [GeneratedRegex(@"(?<=^|[;,]\s*)(?<name>[^;,=]*(?:password|pwd|secret|token|key)[^;,=]*)=(?<value>""[^""]*""|'[^']*'|[^;,]*)", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex SecretPair();
}
