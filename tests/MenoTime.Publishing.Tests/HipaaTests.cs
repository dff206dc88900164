using System.Text.Json.Nodes;

namespace MenoTime.Publishing.Tests;

/// <summary>HIPAA technical safeguards as checks over every resource of each environment (and the shared stack).</summary>
public sealed class HipaaTests(PublishedEnvironments published)
{
    [Theory]
    [MemberData(nameof(PublishedEnvironments.Names), MemberType = typeof(PublishedEnvironments))]
    public void Every_data_store_is_encrypted_with_kms(string environment)
    {
        foreach (var template in Both(environment))
        {
            foreach (var bucket in template.OfType("AWS::S3::Bucket"))
            {
                var algorithm = (string?)bucket["BucketEncryption.ServerSideEncryptionConfiguration"]![0]!["ServerSideEncryptionByDefault"]!["SSEAlgorithm"];
                // Elastic Load Balancing can write its access logs only with SSE-S3: that one bucket (no patient data) is the exception.
                Assert.Equal(bucket.Id.StartsWith("AlbAccessLogs", StringComparison.Ordinal) ? "AES256" : "aws:kms", algorithm);
            }

            Assert.All(template.OfType("AWS::RDS::DBInstance"), d => Assert.True((bool?)d["StorageEncrypted"] == true && d["KmsKeyId"] is not null));
            Assert.All(template.OfType("AWS::SNS::Topic"), t => Assert.NotNull(t["KmsMasterKeyId"]));
            Assert.All(template.OfType("AWS::Backup::BackupVault"), v => Assert.NotNull(v["EncryptionKeyArn"]));
            Assert.All(template.OfType("AWS::ECR::Repository"), r => Assert.Equal("KMS", (string?)r["EncryptionConfiguration.EncryptionType"]));
            Assert.All(template.OfType("AWS::RDS::DBInstance"), d => Assert.NotNull(d["PerformanceInsightsKMSKeyId"]));
            // Secrets Manager always encrypts with KMS: a key of this stack, or the AWS-managed one for the shared SMTP secret.
            Assert.All(template.OfType("AWS::SecretsManager::Secret"), s => Assert.True(s["KmsKeyId"] is not null || (string?)s["Name"] == "menotime/email/ses-smtp"));
        }

        Assert.NotNull(published[environment].Environment.One("AWS::ECS::Cluster")["Configuration.ManagedStorageConfiguration.FargateEphemeralStorageKmsKeyId"]);
    }

    [Theory]
    [MemberData(nameof(PublishedEnvironments.Names), MemberType = typeof(PublishedEnvironments))]
    public void Nothing_holding_data_is_public(string environment)
    {
        foreach (var template in Both(environment))
        {
            foreach (var bucket in template.OfType("AWS::S3::Bucket"))
            {
                var block = bucket["PublicAccessBlockConfiguration"]!;
                Assert.True((bool?)block["BlockPublicAcls"] & (bool?)block["BlockPublicPolicy"] & (bool?)block["IgnorePublicAcls"] & (bool?)block["RestrictPublicBuckets"], bucket.Id);
            }

            foreach (var policy in template.OfType("AWS::S3::BucketPolicy"))
            {
                var allows = policy["PolicyDocument"]!["Statement"]!.AsArray().Where(s => (string?)s!["Effect"] == "Allow");
                Assert.All(allows, s => Assert.False(s!["Principal"] is JsonValue p && (string?)p == "*", $"{policy.Id} allows everyone"));
                Assert.All(allows, s => Assert.False(s!["Principal"]?["AWS"] is JsonValue p && (string?)p == "*", $"{policy.Id} allows every AWS account"));
            }

            Assert.All(template.OfType("AWS::RDS::DBInstance"), d => Assert.False((bool?)d["PubliclyAccessible"]));
            Assert.All(template.OfType("AWS::ECS::Service"), s => Assert.Equal("DISABLED", (string?)s["NetworkConfiguration.AwsvpcConfiguration.AssignPublicIp"]));
        }

        // Only the load balancer's security group admits the internet, and only on 80 and 443.
        var template2 = published[environment].Environment;
        var open = template2.OfType("AWS::EC2::SecurityGroup")
            .SelectMany(g => (g["SecurityGroupIngress"]?.AsArray() ?? []).Select(rule => (Group: g, Rule: rule!)))
            .Where(x => (string?)x.Rule["CidrIp"] == "0.0.0.0/0")
            .ToList();
        Assert.All(open, x => Assert.StartsWith("AlbSecurityGroup", x.Group.Id, StringComparison.Ordinal));
        Assert.Equal([80, 443], open.Select(x => (int)x.Rule["FromPort"]!).Order());
    }

    [Theory]
    [MemberData(nameof(PublishedEnvironments.Names), MemberType = typeof(PublishedEnvironments))]
    public void Data_in_transit_uses_tls_1_2_or_newer(string environment)
    {
        var template = published[environment].Environment;

        Assert.Equal("ELBSecurityPolicy-TLS13-1-2-2021-06", (string?)Assert.Single(template.OfType("AWS::ElasticLoadBalancingV2::Listener"), l => (string?)l["Protocol"] == "HTTPS")["SslPolicy"]);
        Assert.Equal("TLSv1.2_2021", (string?)template.One("AWS::CloudFront::Distribution")["DistributionConfig.ViewerCertificate.MinimumProtocolVersion"]);
        Assert.Equal("1", (string?)template.One("AWS::RDS::DBParameterGroup")["Parameters"]!["rds.force_ssl"]);
        Assert.Equal("TLSv1.2", (string?)template.One("AWS::RDS::DBParameterGroup")["Parameters"]!["ssl_min_protocol_version"]);
        Assert.Equal("REQUIRE", (string?)template.Get("EmailConfigurationSet")["DeliveryOptions.TlsPolicy"]);
        foreach (var shared in Both(environment))
        {
            // Every bucket refuses requests that are not over TLS.
            foreach (var bucket in shared.OfType("AWS::S3::Bucket"))
            {
                var policy = Assert.Single(shared.OfType("AWS::S3::BucketPolicy"), p => Refs.IsRefTo(p["Bucket"], bucket.Id));
                Assert.Contains(policy["PolicyDocument"]!["Statement"]!.AsArray(), s => (string?)s!["Effect"] == "Deny" && (string?)s["Condition"]?["Bool"]?["aws:SecureTransport"] == "false");
            }

            foreach (var topic in shared.OfType("AWS::SNS::Topic"))
            {
                var policy = Assert.Single(shared.OfType("AWS::SNS::TopicPolicy"), p => Refs.RefersTo(p["Topics"], topic.Id));
                Assert.Contains(policy["PolicyDocument"]!["Statement"]!.AsArray(), s => (string?)s!["Effect"] == "Deny" && (string?)s["Condition"]?["Bool"]?["aws:SecureTransport"] == "false");
            }
        }
    }

    [Theory]
    [MemberData(nameof(PublishedEnvironments.Names), MemberType = typeof(PublishedEnvironments))]
    public void Logs_are_encrypted_with_kms_and_kept(string environment)
    {
        var template = published[environment].Environment;

        var groups = template.OfType("AWS::Logs::LogGroup").ToList();
        Assert.Equal(3, groups.Count); // services, metrics, PostgreSQL
        Assert.All(groups, g => Assert.True(Refs.RefersTo(g["KmsKeyId"], template.Named("AWS::KMS::Key", "MasterKey").Id), g.Id));
        Assert.All(groups, g => Assert.Equal(365, (int?)g["RetentionInDays"]));
        Assert.Contains(groups, g => (string?)g["LogGroupName"] == $"/aws/rds/instance/menotime-{environment}/postgresql");
        Assert.Equal(["postgresql", "upgrade"], template.One("AWS::RDS::DBInstance")["EnableCloudwatchLogsExports"]!.AsArray().Select(e => (string?)e));
        Assert.NotNull(published[environment].Shared.One("AWS::CloudTrail::Trail")["KMSKeyId"]);
    }

    [Theory]
    [MemberData(nameof(PublishedEnvironments.Names), MemberType = typeof(PublishedEnvironments))]
    public void Backups_are_on_for_every_data_store(string environment)
    {
        var template = published[environment].Environment;

        Assert.Equal(7, (int?)template.One("AWS::RDS::DBInstance")["BackupRetentionPeriod"]);
        Assert.Equal(35, (int?)template.One("AWS::Backup::BackupPlan")["BackupPlan.BackupPlanRule"]![0]!["Lifecycle"]!["DeleteAfterDays"]);
        foreach (var prefix in new[] { "StaticAssets", "Backups" })
        {
            Assert.Equal("Enabled", (string?)template.Named("AWS::S3::Bucket", prefix)["VersioningConfiguration.Status"]);
        }

        Assert.Equal("Enabled", (string?)template.Get("AuditArchiveBucket")["VersioningConfiguration.Status"]);
        Assert.All(template.OfType("AWS::S3::Bucket").Concat(template.OfType("AWS::KMS::Key")).Concat(template.OfType("AWS::Logs::LogGroup")),
            r => Assert.True((string?)r.Json["DeletionPolicy"] == "Retain" || r.Id == "PatientExportsBucket", $"{r.Id} would be deleted with the stack"));
    }

    private IEnumerable<Template> Both(string environment) => [published[environment].Environment, published[environment].Shared];
}
