namespace MenoTime.Publishing.Tests;

/// <summary>
/// The account-wide stack (the same for every environment; checked in prod's publication): ECR, GuardDuty,
/// CloudTrail, AWS Config, the SES domain identity.
/// </summary>
public sealed class SharedAccountTests(PublishedEnvironments published)
{
    private Template Shared => published["prod"].Shared;

    [Fact]
    public void The_shared_stack_is_the_same_whichever_environment_is_published()
    {
        Assert.Equal(published["dev"].Shared.Root.ToJsonString(), published["prod"].Shared.Root.ToJsonString());
        Assert.Equal(published["staging"].Shared.Root.ToJsonString(), published["prod"].Shared.Root.ToJsonString());
    }

    [Fact]
    public void Ecr_repositories_scan_on_push_expire_untagged_images_after_30_days_and_keep_10_tagged()
    {
        var repositories = Shared.OfType("AWS::ECR::Repository").ToDictionary(r => (string)r["RepositoryName"]!);

        Assert.Equal(["menotime/api", "menotime/migrations", "menotime/worker"], repositories.Keys.Order());
        foreach (var repository in repositories.Values)
        {
            Assert.True((bool?)repository["ImageScanningConfiguration.ScanOnPush"]);
            Assert.Equal("KMS", (string?)repository["EncryptionConfiguration.EncryptionType"]);
            var policy = System.Text.Json.Nodes.JsonNode.Parse((string)repository["LifecyclePolicy.LifecyclePolicyText"]!)!["rules"]!.AsArray();
            var untagged = Assert.Single(policy, r => (string?)r!["selection"]!["tagStatus"] == "untagged")!["selection"]!;
            Assert.Equal(("sinceImagePushed", 30, "days"), ((string)untagged["countType"]!, (int)untagged["countNumber"]!, (string)untagged["countUnit"]!));
            var tagged = Assert.Single(policy, r => (string?)r!["selection"]!["tagStatus"] == "tagged")!["selection"]!;
            Assert.Equal(("imageCountMoreThan", 10), ((string)tagged["countType"]!, (int)tagged["countNumber"]!));
        }
    }

    [Fact]
    public void GuardDuty_is_enabled_and_high_severity_findings_go_to_an_encrypted_sns_topic()
    {
        var detector = Shared.One("AWS::GuardDuty::Detector");
        var rule = Shared.One("AWS::Events::Rule");
        var topic = Shared.One("AWS::SNS::Topic");

        Assert.True((bool?)detector["Enable"]);
        Assert.Equal(["RDS_LOGIN_EVENTS", "RUNTIME_MONITORING", "S3_DATA_EVENTS"], detector["Features"]!.AsArray().Select(f => (string?)f!["Name"]).Order());
        Assert.Equal("aws.guardduty", (string?)rule["EventPattern"]!["source"]![0]);
        Assert.Equal(">=", (string?)rule["EventPattern"]!["detail"]!["severity"]![0]!["numeric"]![0]);
        Assert.True(Refs.IsRefTo(rule["Targets"]![0]!["Arn"], topic.Id));
        Assert.NotNull(topic["KmsMasterKeyId"]);
    }

    [Fact]
    public void CloudTrail_is_multi_region_validates_log_files_and_encrypts_with_kms()
    {
        var trail = Shared.One("AWS::CloudTrail::Trail");

        Assert.True((bool?)trail["IsMultiRegionTrail"]);
        Assert.True((bool?)trail["EnableLogFileValidation"]);
        Assert.True((bool?)trail["IncludeGlobalServiceEvents"]);
        Assert.True(Refs.RefersTo(trail["KMSKeyId"], Shared.One("AWS::KMS::Key").Id));
        Assert.True((bool?)trail["IsLogging"]);
    }

    [Fact]
    public void Aws_config_records_every_resource_and_checks_the_hipaa_rules()
    {
        var recorder = Shared.One("AWS::Config::ConfigurationRecorder");
        var rules = Shared.OfType("AWS::Config::ConfigRule").Select(r => (string?)r["Source.SourceIdentifier"]).ToList();

        Assert.True((bool?)recorder["RecordingGroup.AllSupported"]);
        Assert.NotNull(Shared.One("AWS::Config::DeliveryChannel")["S3KmsKeyArn"]);
        foreach (var rule in new[]
        {
            "RDS_STORAGE_ENCRYPTED", "RDS_INSTANCE_PUBLIC_ACCESS_CHECK", "S3_BUCKET_SERVER_SIDE_ENCRYPTION_ENABLED", "S3_BUCKET_PUBLIC_READ_PROHIBITED",
            "S3_BUCKET_SSL_REQUESTS_ONLY", "CLOUD_TRAIL_ENCRYPTION_ENABLED", "CLOUDWATCH_LOG_GROUP_ENCRYPTED", "VPC_FLOW_LOGS_ENABLED",
            "GUARDDUTY_ENABLED_CENTRALIZED", "DB_INSTANCE_BACKUP_ENABLED",
        })
        {
            Assert.Contains(rule, rules);
        }
    }

    [Fact]
    public void Ses_domain_identity_signs_with_dkim_and_the_smtp_user_may_send_only_as_the_sender()
    {
        var identity = Shared.One("AWS::SES::EmailIdentity");

        Assert.Equal("timelessbiotech.com", (string?)identity["EmailIdentity"]);
        Assert.True((bool?)identity["DkimAttributes.SigningEnabled"]);
        Assert.Equal("RSA_2048_BIT", (string?)identity["DkimSigningAttributes.NextSigningKeyLength"]);
        var statements = Shared.OfType("AWS::IAM::Policy").Single(p => Refs.RefersTo(p["Users"], Shared.One("AWS::IAM::User").Id))["PolicyDocument"]!["Statement"]!.AsArray();
        var send = Assert.Single(statements)!;
        Assert.Equal("ses:SendRawEmail", (string?)send["Action"]);
        Assert.Equal("noreply@timelessbiotech.com", (string?)send["Condition"]!["StringEquals"]!["ses:FromAddress"]);
    }
}
