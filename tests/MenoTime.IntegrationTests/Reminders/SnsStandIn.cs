using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;

namespace MenoTime.IntegrationTests.Reminders;

/// <summary>
/// Plays Amazon SNS for the API's test hook (<c>Testing__SnsEndpoint</c>): a real HTTP server on loopback that
/// serves a signing certificate generated here and records every request (certificate fetches, subscription
/// confirmations). It also signs messages the way SNS does, with the key of that certificate.
/// </summary>
public sealed class SnsStandIn : IDisposable
{
    public const string TopicArn = "arn:aws:sns:eu-central-1:123456789012:menotime-ses-events";
    public const string CertificatePath = "/SimpleNotificationService-menotime-test.pem";
    public const string CertificateUrl = "https://sns.eu-central-1.amazonaws.com" + CertificatePath;

    private readonly RSA _key = RSA.Create(2048);
    private readonly string _certificatePem;
    private readonly HttpListener _listener = new();
    private readonly Task _serving;

    public SnsStandIn()
    {
        var request = new CertificateRequest("CN=sns.amazonaws.com", _key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30));
        _certificatePem = certificate.ExportCertificatePem();

        using (var probe = new TcpListener(IPAddress.Loopback, 0))
        {
            probe.Start();
            BaseAddress = $"http://127.0.0.1:{((IPEndPoint)probe.LocalEndpoint).Port}/";
        }

        _listener.Prefixes.Add(BaseAddress);
        _listener.Start();
        _serving = ServeAsync();
    }

    public string BaseAddress { get; }

    /// <summary>Path and query of every request received, in order.</summary>
    public ConcurrentQueue<string> Requests { get; } = new();

    /// <summary>An SES event delivered as an SNS notification, signed (signature version 1: SHA1, 2: SHA256).</summary>
    public string Notification(object sesEvent, string signatureVersion = "2", string topicArn = TopicArn, string certificateUrl = CertificateUrl)
    {
        var fields = new SortedDictionary<string, string>(StringComparer.Ordinal)
        {
            ["Type"] = "Notification",
            ["MessageId"] = Guid.NewGuid().ToString(),
            ["TopicArn"] = topicArn,
            ["Message"] = JsonSerializer.Serialize(sesEvent),
            ["Timestamp"] = DateTimeOffset.UtcNow.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", System.Globalization.CultureInfo.InvariantCulture),
        };
        return Signed(fields, ["Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type"], signatureVersion, certificateUrl);
    }

    public string SubscriptionConfirmation(string subscribeUrl, string token)
    {
        var fields = new SortedDictionary<string, string>(StringComparer.Ordinal)
        {
            ["Type"] = "SubscriptionConfirmation",
            ["MessageId"] = Guid.NewGuid().ToString(),
            ["Token"] = token,
            ["TopicArn"] = TopicArn,
            ["Message"] = $"You have chosen to subscribe to the topic {TopicArn}.",
            ["SubscribeURL"] = subscribeUrl,
            ["Timestamp"] = DateTimeOffset.UtcNow.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", System.Globalization.CultureInfo.InvariantCulture),
        };
        return Signed(fields, ["Message", "MessageId", "SubscribeURL", "Timestamp", "Token", "TopicArn", "Type"], "2", CertificateUrl);
    }

    /// <summary>Signs as documented by AWS: "name\nvalue\n" for each listed field present, in that order.</summary>
    private string Signed(SortedDictionary<string, string> fields, string[] signedNames, string version, string certificateUrl)
    {
        var text = new StringBuilder();
        foreach (var name in signedNames.Where(fields.ContainsKey))
        {
            text.Append(name).Append('\n').Append(fields[name]).Append('\n');
        }

        var hash = version == "1" ? HashAlgorithmName.SHA1 : HashAlgorithmName.SHA256;
        fields["SignatureVersion"] = version;
        fields["Signature"] = Convert.ToBase64String(_key.SignData(Encoding.UTF8.GetBytes(text.ToString()), hash, RSASignaturePadding.Pkcs1));
        fields["SigningCertURL"] = certificateUrl;
        return JsonSerializer.Serialize(fields);
    }

    private async Task ServeAsync()
    {
        while (_listener.IsListening)
        {
            HttpListenerContext context;
            try
            {
                context = await _listener.GetContextAsync();
            }
            catch (Exception e) when (e is HttpListenerException or ObjectDisposedException or InvalidOperationException)
            {
                return;
            }

            Requests.Enqueue(context.Request.Url!.PathAndQuery);
            var body = context.Request.Url.AbsolutePath == CertificatePath
                ? _certificatePem
                : "<ConfirmSubscriptionResponse><ConfirmSubscriptionResult><SubscriptionArn>arn</SubscriptionArn></ConfirmSubscriptionResult></ConfirmSubscriptionResponse>";
            var bytes = Encoding.UTF8.GetBytes(body);
            context.Response.StatusCode = 200;
            await context.Response.OutputStream.WriteAsync(bytes);
            context.Response.Close();
        }
    }

    public void Dispose()
    {
        _listener.Close();
        _serving.Wait(TimeSpan.FromSeconds(5));
        _key.Dispose();
    }
}
