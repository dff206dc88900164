using System.Text.Json.Nodes;

namespace MenoTime.Publishing.Tests;

/// <summary>Seed 000 RDS, S3, KMS and Secrets Manager; the audit archive of issue 6.</summary>
public sealed class DataTests(PublishedEnvironments published)
{
    [Theory]
    [MemberData(nameof(PublishedEnvironments.Names), MemberType = typeof(PublishedEnvironments))]
    public void Rds_is_postgres_15_on_db_m7g_large_with_gp3_encrypted_by_the_master_key(string environment)
    {
        var template = published[environment].Environment;
        var database = template.One("AWS::RDS::DBInstance");

        Assert.Equal("postgres", (string?)database["Engine"]);
        Assert.StartsWith("15.", (string?)database["EngineVersion"], StringComparison.Ordinal);
        Assert.Equal("db.m7g.large", (string?)database["DBInstanceClass"]);
        Assert.Equal("gp3", (string?)database["StorageType"]);
        Assert.Equal("100", (string?)database["AllocatedStorage"]);
        Assert.Equal(1000, (int?)database["MaxAllocatedStorage"]);
        Assert.True((bool?)database["StorageEncrypted"]);
        Assert.True(Refs.RefersTo(database["KmsKeyId"], template.Named("AWS::KMS::Key", "MasterKey").Id));
        Assert.False((bool?)database["MultiAZ"]);
        Assert.Equal("menotime", (string?)database["DBName"]);
    }

    [Theory]
    [MemberData(nameof(PublishedEnvironments.Names), MemberType = typeof(PublishedEnvironments))]
    public void Rds_is_private_and_takes_5432_only_from_the_ecs_security_group(string environment)
    {
        var template = published[environment].Environment;
        var database = template.One("AWS::RDS::DBInstance");
        var databaseGroup = template.Named("AWS::EC2::SecurityGroup", "DatabaseSecurityGroup");
        var serviceGroup = template.Named("AWS::EC2::SecurityGroup", "ServiceSecurityGroup");

        Assert.False((bool?)database["PubliclyAccessible"]);
        Assert.True(Refs.RefersTo(database["VPCSecurityGroups"], databaseGroup.Id));
        var subnetGroup = template.One("AWS::RDS::DBSubnetGroup");
        Assert.All(subnetGroup["SubnetIds"]!.AsArray(), s => Assert.Contains("data", (string?)s!["Ref"], StringComparison.Ordinal));
        var ingress = template.OfType("AWS::EC2::SecurityGroupIngress").Where(i => Refs.RefersTo(i["GroupId"], databaseGroup.Id)).ToList();
        var fromTasks = Assert.Single(ingress, i => Refs.RefersTo(i["SourceSecurityGroupId"], serviceGroup.Id));
        Assert.Equal((5432, 5432), ((int)fromTasks["FromPort"]!, (int)fromTasks["ToPort"]!));
        // Nothing else but, in prod, the password rotation function (seed: 30-day rotation); never an address range.
        var others = ingress.Where(i => i != fromTasks).ToList();
        Assert.Equal(environment == "prod" ? 1 : 0, others.Count);
        Assert.All(others, i => Assert.Contains("RotationSingleUserSecurityGroup", i["SourceSecurityGroupId"]!.ToJsonString(), StringComparison.Ordinal));
        Assert.All(ingress, i => Assert.Null(i["CidrIp"]));
        Assert.All(databaseGroup["SecurityGroupEgress"]!.AsArray(), e => Assert.Equal("255.255.255.255/32", (string?)e!["CidrIp"])); // CDK's "no egress" rule
    }

    [Theory]
    [MemberData(nameof(PublishedEnvironments.Names), MemberType = typeof(PublishedEnvironments))]
    public void Rds_has_iam_auth_7_day_backups_at_0300_utc_and_maintenance_sunday_0400_utc(string environment)
    {
        var database = published[environment].Environment.One("AWS::RDS::DBInstance");

        Assert.True((bool?)database["EnableIAMDatabaseAuthentication"]);
        Assert.Equal(7, (int?)database["BackupRetentionPeriod"]);
        Assert.Equal("03:00-03:30", (string?)database["PreferredBackupWindow"]);
        Assert.Equal("Sun:04:00-Sun:04:30", (string?)database["PreferredMaintenanceWindow"]);
    }

    [Theory]
    [MemberData(nameof(PublishedEnvironments.Names), MemberType = typeof(PublishedEnvironments))]
    public void Rds_parameter_group_forces_ssl_and_logs_connections(string environment)
    {
        var template = published[environment].Environment;
        var group = template.One("AWS::RDS::DBParameterGroup");

        Assert.Equal("postgres15", (string?)group["Family"]);
        Assert.Equal("1", (string?)group["Parameters"]!["rds.force_ssl"]);
        Assert.Equal("1", (string?)group["Parameters"]!["log_connections"]);
        Assert.Equal("1", (string?)group["Parameters"]!["log_disconnections"]);
        Assert.True(Refs.IsRefTo(template.One("AWS::RDS::DBInstance")["DBParameterGroupName"], group.Id));
    }

    [Theory]
    [MemberData(nameof(PublishedEnvironments.Names), MemberType = typeof(PublishedEnvironments))]
    public void Rds_deletion_protection_is_on_in_prod_only(string environment)
    {
        var database = published[environment].Environment.One("AWS::RDS::DBInstance");

        Assert.Equal(environment == "prod", (bool?)database["DeletionProtection"]);
        Assert.Equal("Snapshot", (string?)database.Json["DeletionPolicy"]);
    }

    [Theory]
    [MemberData(nameof(PublishedEnvironments.Names), MemberType = typeof(PublishedEnvironments))]
    public void Secrets_hold_database_smtp_and_third_party_credentials_and_reach_the_tasks(string environment)
    {
        var template = published[environment].Environment;
        var secrets = template.OfType("AWS::SecretsManager::Secret").ToDictionary(s => (string)s["Name"]!);

        Assert.Contains($"menotime/db/{environment}", secrets.Keys);
        Assert.Contains($"menotime/db/{environment}/app", secrets.Keys);
        Assert.Contains($"menotime/api/third-party-keys/{environment}", secrets.Keys);
        Assert.Contains("menotime/email/ses-smtp", published[environment].Shared.OfType("AWS::SecretsManager::Secret").Select(s => (string?)s["Name"]));
        var rotation = template.OfType("AWS::SecretsManager::RotationSchedule").ToList();
        if (environment == "prod")
        {
            var schedule = Assert.Single(rotation);
            Assert.Equal("rate(30 days)", (string?)schedule["RotationRules.ScheduleExpression"]);
            Assert.Contains("DatabaseSecret", schedule["SecretId"]!.ToJsonString(), StringComparison.Ordinal); // the secret, through its attachment to the instance
        }
        else
        {
            Assert.Empty(rotation);
        }

        var api = template.Named("AWS::ECS::TaskDefinition", "ApiTask")["ContainerDefinitions"]![0]!["Secrets"]!.AsArray();
        // The services log in as the application role; the owner's login goes to the migration step only.
        Assert.Contains(api, s => (string?)s!["Name"] == "PGPASSWORD" && Refs.RefersTo(s["ValueFrom"], secrets[$"menotime/db/{environment}/app"].Id));
        Assert.Contains(api, s => (string?)s!["Name"] == "ThirdParty__Keys" && Refs.RefersTo(s["ValueFrom"], secrets[$"menotime/api/third-party-keys/{environment}"].Id));
        Assert.Contains(api, s => (string?)s!["Name"] == "Email__Smtp__Password" && Refs.Strings(s["ValueFrom"]).Any(t => t.Contains(":secret:menotime/email/ses-smtp", StringComparison.Ordinal)));
    }

    [Theory]
    [MemberData(nameof(PublishedEnvironments.Names), MemberType = typeof(PublishedEnvironments))]
    public void Kms_master_key_rotates_with_its_alias_and_the_ebs_key_encrypts_task_storage(string environment)
    {
        var template = published[environment].Environment;
        var aliases = template.OfType("AWS::KMS::Alias").ToDictionary(a => a["AliasName"]!.ToJsonString().Trim('"'));

        foreach (var (name, prefix) in new[] { ("master", "MasterKey"), ("ebs", "EbsKey") })
        {
            var key = template.Named("AWS::KMS::Key", prefix);
            Assert.True((bool?)key["EnableKeyRotation"]);
            Assert.True(Refs.RefersTo(aliases[$"alias/menotime-{environment}-{name}"]["TargetKeyId"], key.Id));
        }

        var fieldKey = template.Get("FieldEncryptionKey");
        Assert.True((bool?)fieldKey["EnableKeyRotation"]);
        Assert.Contains("-field-encryption", template.Get("FieldEncryptionKeyAlias")["AliasName"]!.ToJsonString(), StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(PublishedEnvironments.Names), MemberType = typeof(PublishedEnvironments))]
    public void S3_buckets_for_static_assets_logs_and_backups_follow_the_seed_lifecycle(string environment)
    {
        var template = published[environment].Environment;
        JsonNode Rules(string prefix) => template.Named("AWS::S3::Bucket", prefix)["LifecycleConfiguration"]!["Rules"]![0]!;

        Assert.Equal("Enabled", (string?)template.Named("AWS::S3::Bucket", "StaticAssets")["VersioningConfiguration.Status"]);
        Assert.Null(template.Named("AWS::S3::Bucket", "Logs")["VersioningConfiguration"]);
        Assert.Equal(("GLACIER", 90), ((string)Rules("Logs")["Transitions"]![0]!["StorageClass"]!, (int)Rules("Logs")["Transitions"]![0]!["TransitionInDays"]!));
        Assert.Equal(730, (int?)Rules("Logs")["ExpirationInDays"]);
        Assert.Equal("Enabled", (string?)template.Named("AWS::S3::Bucket", "Backups")["VersioningConfiguration.Status"]);
        Assert.Equal(("GLACIER", 30), ((string)Rules("Backups")["Transitions"]![0]!["StorageClass"]!, (int)Rules("Backups")["Transitions"]![0]!["TransitionInDays"]!));
        foreach (var prefix in new[] { "StaticAssets", "Logs", "Backups" })
        {
            var encryption = template.Named("AWS::S3::Bucket", prefix)["BucketEncryption.ServerSideEncryptionConfiguration"]![0]!["ServerSideEncryptionByDefault"]!;
            Assert.Equal("aws:kms", (string?)encryption["SSEAlgorithm"]);
            Assert.True(Refs.RefersTo(encryption["KMSMasterKeyID"], template.Named("AWS::KMS::Key", "MasterKey").Id));
        }
    }

    [Theory]
    [MemberData(nameof(PublishedEnvironments.Names), MemberType = typeof(PublishedEnvironments))]
    public void Audit_archive_keeps_objects_locked_for_7_years(string environment)
    {
        var template = published[environment].Environment;
        var bucket = template.Get("AuditArchiveBucket");

        Assert.True((bool?)bucket["ObjectLockEnabled"]);
        var retention = bucket["ObjectLockConfiguration.Rule.DefaultRetention"]!;
        Assert.Equal(7, (int?)retention["Years"]);
        // Compliance mode (not even the root user can delete) where patient data lives; governance in dev.
        Assert.Equal(["IsProtected", "COMPLIANCE", "GOVERNANCE"], retention["Mode"]!["Fn::If"]!.AsArray().Select(v => (string?)v));
        var isProtected = template.Root["Conditions"]!["IsProtected"]!.ToJsonString();
        Assert.Contains("staging", isProtected, StringComparison.Ordinal);
        Assert.Contains("prod", isProtected, StringComparison.Ordinal);
        Assert.Equal("Retain", (string?)bucket.Json["DeletionPolicy"]);
    }
}
