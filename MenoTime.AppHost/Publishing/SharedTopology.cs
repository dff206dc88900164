using Amazon.CDK;
using Amazon.CDK.AWS.CloudTrail;
using Amazon.CDK.AWS.Config;
using Amazon.CDK.AWS.ECR;
using Amazon.CDK.AWS.Events;
using Amazon.CDK.AWS.Events.Targets;
using Amazon.CDK.AWS.GuardDuty;
using Amazon.CDK.AWS.IAM;
using Amazon.CDK.AWS.KMS;
using Amazon.CDK.AWS.S3;
using Amazon.CDK.AWS.SecretsManager;
using Amazon.CDK.AWS.SES;
using Amazon.CDK.AWS.SNS;
using Constructs;

namespace MenoTime.AppHost.Publishing;

/// <summary>
/// What an AWS account (region) has once for all three environments: a second GuardDuty detector, AWS Config
/// recorder or SES domain identity would fail to create, and the image repositories serve every environment.
/// Deployed once, before the environment stacks, which refer to it by name only (no exports to unwind).
/// </summary>
public sealed class SharedTopology : Stack
{
    public const string Name = "MenoTime-shared";
    public const string SesSmtpSecretName = "menotime/email/ses-smtp";
    public const string MailDomain = "timelessbiotech.com";
    public const string SenderAddress = "noreply@timelessbiotech.com";

    public SharedTopology(Construct scope, IStackProps props, IEnumerable<string> repositoryNames) : base(scope, Name, props)
    {
        Tagging.ApplyDefaults(this, "shared", "operations");
        Tagging.Describe(this, component: "security", compliance: "audit-required");

        var key = new Key(this, "SharedKey", new KeyProps
        {
            Alias = "alias/menotime-shared",
            Description = "MenoTime account-wide: CloudTrail, AWS Config, image repositories, security findings, SES SMTP secret",
            EnableKeyRotation = true,
            RemovalPolicy = RemovalPolicy.RETAIN,
        });
        GrantServiceUse(key, "config.amazonaws.com", "events.amazonaws.com", "sns.amazonaws.com");

        foreach (var name in repositoryNames)
        {
            ImageRepository(name, key);
        }

        SecurityFindings(key);
        AuditTrail(key);
        ComplianceRules(key);
        Email(key);
    }

    /// <summary>Seed 000 ECR: scan on push; untagged images go after 30 days; the last 10 tagged versions stay.</summary>
    private void ImageRepository(string name, Key key)
    {
        var repository = new Repository(this, $"Repository-{name.Replace('/', '-')}", new RepositoryProps
        {
            RepositoryName = name,
            ImageScanOnPush = true,
            ImageTagMutability = TagMutability.MUTABLE, // seed: "latest always points to the most recent"
            Encryption = RepositoryEncryption.KMS,
            EncryptionKey = key,
            RemovalPolicy = RemovalPolicy.RETAIN,
        });
        repository.AddLifecycleRule(new Amazon.CDK.AWS.ECR.LifecycleRule
        {
            RulePriority = 1,
            Description = "Delete untagged images after 30 days",
            TagStatus = TagStatus.UNTAGGED,
            MaxImageAge = Duration.Days(30),
        });
        repository.AddLifecycleRule(new Amazon.CDK.AWS.ECR.LifecycleRule
        {
            RulePriority = 2,
            Description = "Keep the last 10 tagged versions",
            TagStatus = TagStatus.TAGGED,
            TagPatternList = ["*"],
            MaxImageCount = 10,
        });
        Tagging.Describe(repository, component: "backend");
    }

    /// <summary>Seed 000 GuardDuty: enabled for ECS, RDS and S3; critical findings (severity 7+) to SNS.</summary>
    private void SecurityFindings(Key key)
    {
        var detector = new CfnDetector(this, "GuardDuty", new CfnDetectorProps
        {
            Enable = true,
            FindingPublishingFrequency = "FIFTEEN_MINUTES",
            Features = new object[]
            {
                new CfnDetector.CFNFeatureConfigurationProperty { Name = "S3_DATA_EVENTS", Status = "ENABLED" },
                new CfnDetector.CFNFeatureConfigurationProperty { Name = "RDS_LOGIN_EVENTS", Status = "ENABLED" },
                new CfnDetector.CFNFeatureConfigurationProperty
                {
                    Name = "RUNTIME_MONITORING",
                    Status = "ENABLED",
                    AdditionalConfiguration = new object[] { new CfnDetector.CFNFeatureAdditionalConfigurationProperty { Name = "ECS_FARGATE_AGENT_MANAGEMENT", Status = "ENABLED" } },
                },
            },
        });
        var topic = new Topic(this, "SecurityFindings", new TopicProps
        {
            TopicName = "menotime-security-findings",
            DisplayName = "MenoTime GuardDuty findings (severity 7 and above)",
            MasterKey = key,
            EnforceSSL = true,
        });
        var rule = new Amazon.CDK.AWS.Events.Rule(this, "CriticalFindings", new Amazon.CDK.AWS.Events.RuleProps
        {
            Description = "GuardDuty findings of high severity go to the security topic",
            EventPattern = new EventPattern
            {
                Source = ["aws.guardduty"],
                DetailType = ["GuardDuty Finding"],
                Detail = new Dictionary<string, object> { ["severity"] = new object[] { new Dictionary<string, object> { ["numeric"] = new object[] { ">=", 7 } } } },
            },
        });
        rule.AddTarget(new SnsTopic(topic));
        Tagging.Write((CfnResource)rule.Node.DefaultChild!, "shared", "operations", "security", "none");
        rule.Node.AddDependency(detector);
    }

    /// <summary>Seed 003 CloudTrail: multi-region, log file validation, KMS-encrypted, to a private bucket.</summary>
    private void AuditTrail(Key key)
    {
        var bucket = PrivateBucket("TrailBucket", key, retainDays: 7 * 365 + 2);
        _ = new Trail(this, "Trail", new TrailProps
        {
            TrailName = "menotime-trail",
            Bucket = bucket,
            IsMultiRegionTrail = true,
            IncludeGlobalServiceEvents = true,
            EnableFileValidation = true,
            EncryptionKey = key,
            ManagementEvents = ReadWriteType.ALL,
        });
    }

    /// <summary>Seed 003 AWS Config: a recorder for every resource type and the HIPAA-relevant managed rules.</summary>
    private void ComplianceRules(Key key)
    {
        var bucket = PrivateBucket("ConfigBucket", key, retainDays: 7 * 365 + 2);
        var role = new Role(this, "ConfigRole", new RoleProps
        {
            AssumedBy = new ServicePrincipal("config.amazonaws.com"),
            ManagedPolicies = [ManagedPolicy.FromAwsManagedPolicyName("service-role/AWS_ConfigRole")],
        });
        bucket.GrantReadWrite(role);
        key.GrantEncryptDecrypt(role);
        var recorder = new CfnConfigurationRecorder(this, "ConfigRecorder", new CfnConfigurationRecorderProps
        {
            Name = "menotime",
            RoleArn = role.RoleArn,
            RecordingGroup = new CfnConfigurationRecorder.RecordingGroupProperty { AllSupported = true, IncludeGlobalResourceTypes = true },
        });
        var delivery = new CfnDeliveryChannel(this, "ConfigDelivery", new CfnDeliveryChannelProps
        {
            Name = "menotime",
            S3BucketName = bucket.BucketName,
            S3KmsKeyArn = key.KeyArn,
            ConfigSnapshotDeliveryProperties = new CfnDeliveryChannel.ConfigSnapshotDeliveryPropertiesProperty { DeliveryFrequency = "TwentyFour_Hours" },
        });
        string[] rules =
        [
            ManagedRuleIdentifiers.RDS_STORAGE_ENCRYPTED, ManagedRuleIdentifiers.RDS_INSTANCE_PUBLIC_ACCESS_CHECK,
            ManagedRuleIdentifiers.RDS_DB_INSTANCE_BACKUP_ENABLED, ManagedRuleIdentifiers.S3_BUCKET_SERVER_SIDE_ENCRYPTION_ENABLED,
            ManagedRuleIdentifiers.S3_BUCKET_PUBLIC_READ_PROHIBITED, ManagedRuleIdentifiers.S3_BUCKET_PUBLIC_WRITE_PROHIBITED,
            ManagedRuleIdentifiers.S3_BUCKET_SSL_REQUESTS_ONLY, ManagedRuleIdentifiers.CLOUD_TRAIL_ENCRYPTION_ENABLED,
            ManagedRuleIdentifiers.CLOUD_TRAIL_LOG_FILE_VALIDATION_ENABLED, ManagedRuleIdentifiers.CLOUDWATCH_LOG_GROUP_ENCRYPTED,
            ManagedRuleIdentifiers.VPC_FLOW_LOGS_ENABLED, ManagedRuleIdentifiers.GUARDDUTY_ENABLED_CENTRALIZED,
            ManagedRuleIdentifiers.ALB_HTTP_TO_HTTPS_REDIRECTION_CHECK, ManagedRuleIdentifiers.IAM_ROOT_ACCESS_KEY_CHECK,
            ManagedRuleIdentifiers.KMS_CMK_NOT_SCHEDULED_FOR_DELETION, ManagedRuleIdentifiers.SECRETSMANAGER_ROTATION_ENABLED_CHECK,
        ];
        foreach (var identifier in rules)
        {
            var rule = new ManagedRule(this, $"Rule-{identifier}", new ManagedRuleProps { Identifier = identifier, ConfigRuleName = $"menotime-{identifier.ToLowerInvariant().Replace('_', '-')}" });
            rule.Node.AddDependency(recorder);
            rule.Node.AddDependency(delivery);
        }
    }

    /// <summary>
    /// Seed 000 SES: the domain identity with Easy DKIM (its CNAMEs go into the domain's DNS), and the SMTP
    /// credentials secret the services read. SES SMTP passwords derive from an IAM user's access key, which
    /// CloudFormation cannot compute: the deploy step writes them into this secret.
    /// </summary>
    private void Email(Key key)
    {
        var identity = new EmailIdentity(this, "SesDomain", new EmailIdentityProps
        {
            Identity = Identity.Domain(MailDomain),
            DkimSigning = true,
            DkimIdentity = DkimIdentity.EasyDkim(EasyDkimSigningKeyLength.RSA_2048_BIT),
        });
        Tagging.Write((CfnResource)identity.Node.DefaultChild!, "shared", "operations", "backend", "none");
        var smtpSecret = new Secret(this, "SesSmtpSecret", new SecretProps
        {
            SecretName = SesSmtpSecretName,
            Description = "SES SMTP interface credentials {\"username\",\"password\"}, written by the deploy step",
            // The AWS-managed key (aws/secretsmanager): every environment's task execution role may then read it
            // with secretsmanager:GetSecretValue alone, without a grant on this stack's key.
            GenerateSecretString = new SecretStringGenerator { SecretStringTemplate = "{\"username\":\"set-by-deploy\"}", GenerateStringKey = "password" },
        });
        Tagging.Describe(smtpSecret, encryption: "aws-managed");
        var smtpUser = new User(this, "SesSmtpUser", new UserProps { UserName = "menotime-ses-smtp" });
        // Seed 000 gives the task role ses:SendEmail on "*"; the services send only through SMTP, as this user,
        // from the one sender address.
        smtpUser.AddToPolicy(new PolicyStatement(new PolicyStatementProps
        {
            Actions = ["ses:SendRawEmail"],
            Resources = [Arn.Format(new ArnComponents { Service = "ses", Resource = "identity", ResourceName = MailDomain }, this), Arn.Format(new ArnComponents { Service = "ses", Resource = "configuration-set", ResourceName = "menotime-*" }, this)],
            Conditions = new Dictionary<string, object> { ["StringEquals"] = new Dictionary<string, object> { ["ses:FromAddress"] = SenderAddress } },
        }));
    }

    private Bucket PrivateBucket(string id, Key key, int retainDays)
    {
        var bucket = new Bucket(this, id, new BucketProps
        {
            Encryption = BucketEncryption.KMS,
            EncryptionKey = key,
            BucketKeyEnabled = true,
            BlockPublicAccess = BlockPublicAccess.BLOCK_ALL,
            EnforceSSL = true,
            Versioned = true,
            ObjectOwnership = ObjectOwnership.BUCKET_OWNER_ENFORCED,
            RemovalPolicy = RemovalPolicy.RETAIN,
            LifecycleRules =
            [
                new Amazon.CDK.AWS.S3.LifecycleRule { Transitions = [new Transition { StorageClass = StorageClass.GLACIER, TransitionAfter = Duration.Days(90) }], Expiration = Duration.Days(retainDays) },
            ],
        });
        Tagging.Describe(bucket, compliance: "audit-required", backup: "none");
        return bucket;
    }

    private static void GrantServiceUse(Key key, params string[] services)
    {
        key.AddToResourcePolicy(new PolicyStatement(new PolicyStatementProps
        {
            Sid = "AwsServicesEncryptTheirDeliveries",
            Principals = [.. services.Select(s => new ServicePrincipal(s))],
            Actions = ["kms:GenerateDataKey*", "kms:Decrypt"],
            Resources = ["*"],
        }));
    }
}
