using Amazon.KeyManagementService;
using Amazon.Runtime;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace MenoTime.Aws.FieldEncryption;

/// <summary>
/// Ready only when this service can encrypt and decrypt with the stack's KMS key (a data key generated and
/// decrypted again by KMS, past every cache). A success is trusted for a minute, so that the ALB's probe every
/// 30 s per task does not become a stream of KMS calls.
/// </summary>
public sealed class FieldEncryptionHealthCheck(IFieldEncryptor encryptor, TimeProvider clock) : IHealthCheck
{
    private static readonly TimeSpan TrustSuccessFor = TimeSpan.FromMinutes(1);
    private (DateTimeOffset At, string KeyArn)? _lastSuccess;

    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        if (_lastSuccess is { } last && clock.GetUtcNow() - last.At < TrustSuccessFor)
        {
            return HealthCheckResult.Healthy($"encrypts with {last.KeyArn}");
        }

        try
        {
            var keyArn = await encryptor.VerifyKeyAsync(cancellationToken);
            _lastSuccess = (clock.GetUtcNow(), keyArn);
            return HealthCheckResult.Healthy($"encrypts with {keyArn}");
        }
        catch (Exception e) when (e is AmazonKeyManagementServiceException or AmazonServiceException or AmazonClientException or HttpRequestException or System.Security.Cryptography.CryptographicException)
        {
            _lastSuccess = null;
            return HealthCheckResult.Unhealthy("cannot encrypt with the field encryption key (KMS refused or is unreachable)", e);
        }
    }
}
