using MenoTime.AppHost.Publishing;

namespace MenoTime.Publishing.Tests;

/// <summary>Seed 000 monitoring, seed 003 flow logs and AWS Backup, per environment.</summary>
public sealed class OperationsTests(PublishedEnvironments published)
{
    [Theory]
    [MemberData(nameof(PublishedEnvironments.Names), MemberType = typeof(PublishedEnvironments))]
    public void CloudWatch_alarms_watch_5xx_latency_cpu_database_connections_and_storage_and_dead_letters(string environment)
    {
        var template = published[environment].Environment;
        var alarms = template.OfType("AWS::CloudWatch::Alarm").ToDictionary(a => ((string)a["AlarmName"]!)[$"menotime-{environment}-".Length..]);
        var topic = template.Named("AWS::SNS::Topic", "AlarmTopic");

        Assert.Equal(["alb-5xx", "api-5xx", "api-cpu", "api-latency", "db-connections", "db-cpu", "db-storage", "worker-cpu", "worker-dead-letters"], alarms.Keys.Order());
        Assert.Equal(("HTTPCode_ELB_5XX_Count", "AWS/ApplicationELB"), ((string)alarms["alb-5xx"]["MetricName"]!, (string)alarms["alb-5xx"]["Namespace"]!));
        Assert.Equal("HTTPCode_Target_5XX_Count", (string?)alarms["api-5xx"]["MetricName"]);
        Assert.Equal(("TargetResponseTime", "p95"), ((string)alarms["api-latency"]["MetricName"]!, (string)alarms["api-latency"]["ExtendedStatistic"]!));
        Assert.Equal(("CPUUtilization", "AWS/ECS"), ((string)alarms["api-cpu"]["MetricName"]!, (string)alarms["api-cpu"]["Namespace"]!));
        Assert.Equal(("DatabaseConnections", "AWS/RDS"), ((string)alarms["db-connections"]["MetricName"]!, (string)alarms["db-connections"]["Namespace"]!));
        Assert.Equal(("FreeStorageSpace", "LessThanThreshold"), ((string)alarms["db-storage"]["MetricName"]!, (string)alarms["db-storage"]["ComparisonOperator"]!));
        Assert.Equal((EnvironmentTopology.DeadLetterMetric, "MenoTime"), ((string)alarms["worker-dead-letters"]["MetricName"]!, (string)alarms["worker-dead-letters"]["Namespace"]!));
        Assert.All(alarms.Values, a => Assert.True(Refs.IsRefTo(a["AlarmActions"]![0], topic.Id)));
        Assert.True(Refs.RefersTo(topic["KmsMasterKeyId"], template.Named("AWS::KMS::Key", "MasterKey").Id));
    }

    [Theory]
    [MemberData(nameof(PublishedEnvironments.Names), MemberType = typeof(PublishedEnvironments))]
    public void Vpc_flow_logs_record_all_traffic_into_the_encrypted_logs_bucket(string environment)
    {
        var template = published[environment].Environment;

        var flowLog = template.One("AWS::EC2::FlowLog");
        Assert.Equal("ALL", (string?)flowLog["TrafficType"]);
        Assert.Equal("s3", (string?)flowLog["LogDestinationType"]);
        Assert.True(Refs.RefersTo(flowLog["LogDestination"], template.Named("AWS::S3::Bucket", "Logs").Id));
        Assert.True(Refs.IsRefTo(flowLog["ResourceId"], template.One("AWS::EC2::VPC").Id));
    }

    [Theory]
    [MemberData(nameof(PublishedEnvironments.Names), MemberType = typeof(PublishedEnvironments))]
    public void Aws_backup_takes_daily_backups_kept_35_days_of_the_database_and_audit_archive(string environment)
    {
        var template = published[environment].Environment;

        var vault = template.One("AWS::Backup::BackupVault");
        Assert.True(Refs.RefersTo(vault["EncryptionKeyArn"], template.Named("AWS::KMS::Key", "MasterKey").Id));
        var rule = Assert.Single(template.One("AWS::Backup::BackupPlan")["BackupPlan.BackupPlanRule"]!.AsArray())!;
        Assert.Equal("cron(0 5 * * ? *)", (string?)rule["ScheduleExpression"]);
        Assert.Equal(35, (int?)rule["Lifecycle"]!["DeleteAfterDays"]);
        var selection = template.One("AWS::Backup::BackupSelection");
        Assert.True(Refs.RefersTo(selection["BackupSelection.Resources"], template.One("AWS::RDS::DBInstance").Id));
        Assert.True(Refs.RefersTo(selection["BackupSelection.Resources"], "AuditArchiveBucket"));
    }

    [Theory]
    [MemberData(nameof(PublishedEnvironments.Names), MemberType = typeof(PublishedEnvironments))]
    public void Ses_configuration_set_requires_tls_and_reports_bounces_and_complaints_to_sns(string environment)
    {
        var template = published[environment].Environment;

        var set = template.Get("EmailConfigurationSet");
        Assert.Equal("REQUIRE", (string?)set["DeliveryOptions.TlsPolicy"]);
        var destination = template.Get("EmailConfigurationSetNotifications")["EventDestination"]!;
        Assert.True(Refs.IsRefTo(destination["SnsDestination"]!["TopicARN"], "EmailNotificationsTopic"));
        Assert.Contains("bounce", destination["MatchingEventTypes"]!.AsArray().Select(e => (string?)e));
        Assert.Contains("complaint", destination["MatchingEventTypes"]!.AsArray().Select(e => (string?)e));
    }
}
