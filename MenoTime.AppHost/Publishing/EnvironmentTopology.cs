using Amazon.CDK;
using Amazon.CDK.AWS.IAM;
using Amazon.CDK.AWS.KMS;
using Amazon.CDK.AWS.Logs;
using Amazon.CDK.AWS.S3;
using Constructs;
using MenoTime.AppHost.Hosting;
using MenoTime.AppHost.Hosting.Aws;
using MenoTime.AppHost.Hosting.Postgres;

namespace MenoTime.AppHost.Publishing;

/// <summary>
/// One environment's stack, built from the application model: every project an ECS Fargate service (one that
/// runs to completion, the migrations, a container that runs first in the tasks of those that wait for it),
/// <c>postgres</c> RDS, <c>mail</c> SES, the <c>aws</c> template included as it is. The parts live in the partial files beside this one.
/// </summary>
public sealed partial class EnvironmentTopology : Stack
{
    private static readonly string[] DecryptOnly = ["Decrypt"];

    public EnvironmentTopology(Construct scope, IStackProps props, EnvironmentProfile profile, DistributedApplication model) : base(scope, $"MenoTime-{profile.Name}", props)
    {
        Profile = profile;
        Prefix = $"menotime-{profile.Name}";
        Tagging.ApplyDefaults(this, profile.Name, profile.CostCenter);

        ImageTag = new CfnParameter(this, "ImageTag", new CfnParameterProps
        {
            Type = "String",
            Default = "latest",
            Description = "Tag of the api, worker and migrations images in ECR (the deploy step passes the commit's)",
        });
        HostedZoneId = new CfnParameter(this, "HostedZoneId", new CfnParameterProps
        {
            Type = "AWS::Route53::HostedZone::Id",
            Description = $"The Route 53 hosted zone of {EnvironmentProfile.ZoneName}",
        });
        CloudFrontCertificateArn = new CfnParameter(this, "CloudFrontCertificateArn", new CfnParameterProps
        {
            Type = "String",
            AllowedPattern = "arn:aws:acm:us-east-1:[0-9]{12}:certificate/.+",
            Description = $"ACM certificate for {profile.DomainName} in us-east-1 (CloudFront accepts no other region)",
        });

        CreateKeys();
        CreateNetwork();
        CreateStorage();
        AppResources = IncludeAppResources(model.PublishedResources.OfType<CloudFormationStackResource>().Single());
        CreateDatabase(model.PublishedResources.OfType<PostgresDatabaseResource>().Single());
        CreateIdentity();
        CreateServices(model);
        CreateEdge();
        CreateOperations();
    }

    public EnvironmentProfile Profile { get; }

    /// <summary>The name every resource of this environment starts with: menotime-dev, menotime-prod.</summary>
    public string Prefix { get; }

    public CfnParameter ImageTag { get; }

    public CfnParameter HostedZoneId { get; }

    public CfnParameter CloudFrontCertificateArn { get; }

    /// <summary>Seed 000 menotime-master-key: RDS, S3, Secrets Manager, CloudWatch Logs, SNS of this environment.</summary>
    public Key MasterKey { get; private set; } = null!;

    /// <summary>Seed 000 menotime-ebs-key: the Fargate tasks' ephemeral storage.</summary>
    public Key EbsKey { get; private set; } = null!;

    public LogGroup ServiceLogs { get; private set; } = null!;

    public LogGroup MetricLogs { get; private set; } = null!;

    private void CreateKeys()
    {
        MasterKey = Tagging.Describe(new Key(this, "MasterKey", new KeyProps
        {
            Alias = $"alias/{Prefix}-master",
            Description = $"MenoTime {Profile.Name}: RDS, S3, Secrets Manager, CloudWatch Logs and SNS",
            EnableKeyRotation = true,
            RemovalPolicy = RemovalPolicy.RETAIN,
        }), component: "security");
        MasterKey.AddToResourcePolicy(new PolicyStatement(new PolicyStatementProps
        {
            Sid = "CloudWatchLogsEncryptsThisEnvironmentsLogGroups",
            Principals = [new ServicePrincipal($"logs.{Aws.REGION}.amazonaws.com")],
            Actions = ["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"],
            Resources = ["*"],
            Conditions = new Dictionary<string, object>
            {
                ["ArnLike"] = new Dictionary<string, object> { ["kms:EncryptionContext:aws:logs:arn"] = $"arn:{Aws.PARTITION}:logs:{Aws.REGION}:{Aws.ACCOUNT_ID}:log-group:*" },
            },
        }));
        MasterKey.AddToResourcePolicy(new PolicyStatement(new PolicyStatementProps
        {
            Sid = "AwsServicesDeliverEncrypted",
            Principals = [new ServicePrincipal("delivery.logs.amazonaws.com"), new ServicePrincipal("cloudwatch.amazonaws.com")],
            Actions = ["kms:GenerateDataKey*", "kms:Decrypt"],
            Resources = ["*"],
            Conditions = new Dictionary<string, object> { ["StringEquals"] = new Dictionary<string, object> { ["aws:SourceAccount"] = Aws.ACCOUNT_ID } },
        }));

        EbsKey = Tagging.Describe(new Key(this, "EbsKey", new KeyProps
        {
            Alias = $"alias/{Prefix}-ebs",
            Description = $"MenoTime {Profile.Name}: ECS Fargate task storage",
            EnableKeyRotation = true,
            RemovalPolicy = RemovalPolicy.RETAIN,
        }), component: "security");
        var fargateContext = new Dictionary<string, object>
        {
            ["kms:EncryptionContext:aws:ecs:clusterAccount"] = new[] { Aws.ACCOUNT_ID },
            ["kms:EncryptionContext:aws:ecs:clusterName"] = new[] { ClusterName },
        };
        EbsKey.AddToResourcePolicy(new PolicyStatement(new PolicyStatementProps
        {
            Sid = "FargateEncryptsTaskStorage",
            Principals = [new ServicePrincipal("fargate.amazonaws.com")],
            Actions = ["kms:GenerateDataKeyWithoutPlaintext"],
            Resources = ["*"],
            Conditions = new Dictionary<string, object> { ["StringEquals"] = fargateContext },
        }));
        EbsKey.AddToResourcePolicy(new PolicyStatement(new PolicyStatementProps
        {
            Sid = "FargateDecryptsTaskStorage",
            Principals = [new ServicePrincipal("fargate.amazonaws.com")],
            Actions = ["kms:CreateGrant"],
            Resources = ["*"],
            Conditions = new Dictionary<string, object>
            {
                ["StringEquals"] = fargateContext,
                ["ForAllValues:StringEquals"] = new Dictionary<string, object> { ["kms:GrantOperations"] = DecryptOnly },
            },
        }));
    }

    /// <summary>A log group of this environment, encrypted with the master key.</summary>
    private LogGroup EncryptedLogGroup(string id, string name, RetentionDays retention) =>
        new(this, id, new LogGroupProps
        {
            LogGroupName = name,
            EncryptionKey = MasterKey,
            Retention = retention,
            RemovalPolicy = RemovalPolicy.RETAIN,
        });

    /// <summary>A private bucket: master-key encryption, public access blocked, TLS only, owner-enforced objects.</summary>
    private Bucket PrivateBucket(string id, bool versioned, params ILifecycleRule[] lifecycle) =>
        new(this, id, new BucketProps
        {
            Encryption = BucketEncryption.KMS,
            EncryptionKey = MasterKey,
            BucketKeyEnabled = true,
            BlockPublicAccess = BlockPublicAccess.BLOCK_ALL,
            EnforceSSL = true,
            Versioned = versioned,
            ObjectOwnership = ObjectOwnership.BUCKET_OWNER_ENFORCED,
            RemovalPolicy = RemovalPolicy.RETAIN,
            LifecycleRules = lifecycle,
        });
}
