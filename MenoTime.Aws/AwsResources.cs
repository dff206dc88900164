namespace MenoTime.Aws;

/// <summary>
/// The outputs of the app-resources CloudFormation stack (<c>MenoTime.AppHost/aws/app-resources.json</c>),
/// bound from <c>AWS__Resources__{OutputKey}</c>: the AppHost injects them locally, the ECS task definition in AWS.
/// </summary>
public sealed class AwsResources
{
    public const string Section = "AWS:Resources";

    public string? FieldEncryptionKeyArn { get; set; }

    public string? FieldEncryptionKeyAlias { get; set; }

    public string? AuditArchiveBucketName { get; set; }

    public string? PatientExportsBucketName { get; set; }

    public string? EmailConfigurationSetName { get; set; }

    public string? EmailNotificationsTopicArn { get; set; }
}
