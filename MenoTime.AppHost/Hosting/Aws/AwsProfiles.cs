using Amazon.Runtime.CredentialManagement;

namespace MenoTime.AppHost.Hosting.Aws;

/// <summary>A named profile of ~/.aws/config and ~/.aws/credentials (SSO, assume-role and keys), read by AWSSDK.Core.</summary>
internal static class AwsProfiles
{
    public static string? GetRegion(string profile) =>
        new CredentialProfileStoreChain().TryGetProfile(profile, out var found) ? found.Region?.SystemName : null;

    public static async Task<AwsCredentials> GetCredentialsAsync(string profile, CancellationToken cancellationToken)
    {
        if (!new CredentialProfileStoreChain().TryGetAWSCredentials(profile, out var credentials))
        {
            throw new DistributedApplicationException($"aws: the AWS profile '{profile}' was not found in ~/.aws/config or ~/.aws/credentials.");
        }

        cancellationToken.ThrowIfCancellationRequested();
        var current = await credentials.GetCredentialsAsync();
        return new AwsCredentials(current.AccessKey, current.SecretKey, string.IsNullOrEmpty(current.Token) ? null : current.Token);
    }
}
