using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.RegularExpressions;

namespace MenoTime.Api.Features.Email;

/// <summary>
/// Everything this API fetches from Amazon SNS: signing certificates and subscription confirmations. It only
/// ever requests https URLs on an SNS host (<c>sns.&lt;region&gt;.amazonaws.com</c>), without following redirects,
/// so a forged message cannot make the API fetch anything else.
///
/// Test hook: with <c>Testing:SnsEndpoint</c> set (refused outside Development) the request that passed those
/// checks goes to that local base address instead, keeping its path and query, so tests can serve a certificate
/// they generated. The checks on the original URL are the same either way.
/// </summary>
public sealed partial class SnsClient(IHttpClientFactory httpClients, Uri? testEndpoint)
{
    public const string TestEndpointKey = "Testing:SnsEndpoint";
    public const string HttpClientName = "sns";

    private readonly ConcurrentDictionary<string, X509Certificate2> _certificates = new(StringComparer.Ordinal);

    /// <summary>True for https://sns.&lt;region&gt;.amazonaws.com[.cn]/… on the default port.</summary>
    public static bool IsSnsUrl(string? url, out Uri uri)
    {
        uri = null!;
        if (!Uri.TryCreate(url, UriKind.Absolute, out var parsed) || parsed.Scheme != Uri.UriSchemeHttps || !parsed.IsDefaultPort
            || !string.IsNullOrEmpty(parsed.UserInfo) || !SnsHost().IsMatch(parsed.IdnHost))
        {
            return false;
        }

        uri = parsed;
        return true;
    }

    /// <summary>Whether <paramref name="message"/> carries a valid SNS signature (versions 1 and 2).</summary>
    public async Task<bool> VerifyAsync(SnsMessage message, CancellationToken cancellationToken)
    {
        var hash = message.SignatureVersion switch
        {
            "1" => HashAlgorithmName.SHA1,
            "2" => HashAlgorithmName.SHA256,
            _ => default,
        };
        if (hash == default || message.StringToSign() is not { } signed || message.Signature is null
            || !IsSnsUrl(message.SigningCertUrl, out var certificateUrl) || !certificateUrl.AbsolutePath.EndsWith(".pem", StringComparison.Ordinal))
        {
            return false;
        }

        byte[] signature;
        try
        {
            signature = Convert.FromBase64String(message.Signature);
        }
        catch (FormatException)
        {
            return false;
        }

        X509Certificate2 certificate;
        try
        {
            certificate = await GetCertificateAsync(certificateUrl, cancellationToken);
        }
        catch (CryptographicException)
        {
            return false; // What the SNS URL served is not a certificate.
        }

        using var rsa = certificate.GetRSAPublicKey();
        return rsa is not null && rsa.VerifyData(Encoding.UTF8.GetBytes(signed), signature, hash, RSASignaturePadding.Pkcs1);
    }

    /// <summary>Visits the SubscribeURL of a confirmation, which must itself be an SNS URL.</summary>
    public async Task<bool> ConfirmSubscriptionAsync(SnsMessage message, CancellationToken cancellationToken)
    {
        if (!IsSnsUrl(message.SubscribeUrl, out var subscribeUrl))
        {
            return false;
        }

        using var response = await httpClients.CreateClient(HttpClientName).GetAsync(Destination(subscribeUrl), cancellationToken);
        response.EnsureSuccessStatusCode();
        return true;
    }

    private async Task<X509Certificate2> GetCertificateAsync(Uri url, CancellationToken cancellationToken)
    {
        if (_certificates.TryGetValue(url.AbsoluteUri, out var cached) && cached.NotAfter > DateTime.Now)
        {
            return cached;
        }

        var pem = await httpClients.CreateClient(HttpClientName).GetStringAsync(Destination(url), cancellationToken);
        var certificate = X509Certificate2.CreateFromPem(pem);
        _certificates[url.AbsoluteUri] = certificate;
        return certificate;
    }

    private Uri Destination(Uri snsUrl) => testEndpoint is null ? snsUrl : new Uri(testEndpoint, snsUrl.PathAndQuery);

    [GeneratedRegex(@"^sns\.[a-z0-9-]+\.amazonaws\.com(\.cn)?$", RegexOptions.CultureInvariant)]
    private static partial Regex SnsHost();
}
