using Amazon.CDK;
using Amazon.CDK.AWS.Backup;
using Amazon.CDK.AWS.CloudWatch;
using Amazon.CDK.AWS.CloudWatch.Actions;
using Amazon.CDK.AWS.ElasticLoadBalancingV2;
using Amazon.CDK.AWS.Events;
using Amazon.CDK.AWS.IAM;
using Amazon.CDK.AWS.SNS;

namespace MenoTime.AppHost.Publishing;

public sealed partial class EnvironmentTopology
{
    public Topic Alarms { get; private set; } = null!;

    /// <summary>Seed 000 alarms to an encrypted topic, seed 003 AWS Backup, and the outputs the deploy step reads.</summary>
    private void CreateOperations()
    {
        Alarms = new Topic(this, "AlarmTopic", new TopicProps
        {
            TopicName = $"{Prefix}-alarms",
            DisplayName = $"MenoTime {Profile.Name} alarms",
            MasterKey = MasterKey,
            EnforceSSL = true,
        });
        // Who publishes (CloudWatch, for this account); EnforceSSL adds the refusal of anything but TLS.
        Alarms.AddToResourcePolicy(new PolicyStatement(new PolicyStatementProps
        {
            Sid = "CloudWatchAlarmsPublish",
            Principals = [new ServicePrincipal("cloudwatch.amazonaws.com")],
            Actions = ["sns:Publish"],
            Resources = [Alarms.TopicArn],
            Conditions = new Dictionary<string, object> { ["StringEquals"] = new Dictionary<string, object> { ["aws:SourceAccount"] = Aws.ACCOUNT_ID } },
        }));
        var notify = new SnsAction(Alarms);
        void Alarm(string id, IMetric metric, double threshold, ComparisonOperator comparison, string description, int periods = 1)
        {
            var alarm = new Alarm(this, id, new AlarmProps
            {
                Metric = metric,
                AlarmName = $"{Prefix}-{id}",
                AlarmDescription = description,
                Threshold = threshold,
                ComparisonOperator = comparison,
                EvaluationPeriods = periods,
                TreatMissingData = TreatMissingData.NOT_BREACHING,
            });
            alarm.AddAlarmAction(notify);
        }

        var fiveMinutes = Duration.Minutes(5);
        Alarm("alb-5xx", LoadBalancer.Metrics.HttpCodeElb(HttpCodeElb.ELB_5XX_COUNT, new MetricOptions { Period = fiveMinutes, Statistic = "Sum" }), 10, ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD, "The load balancer answered 5xx (no healthy API task?)");
        Alarm("api-5xx", TargetGroup.Metrics.HttpCodeTarget(HttpCodeTarget.TARGET_5XX_COUNT, new MetricOptions { Period = fiveMinutes, Statistic = "Sum" }), 10, ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD, "The API answered 5xx: every one is a bug");
        Alarm("api-latency", TargetGroup.Metrics.TargetResponseTime(new MetricOptions { Period = fiveMinutes, Statistic = "p95" }), 1, ComparisonOperator.GREATER_THAN_THRESHOLD, "API p95 latency above 1 s for 15 minutes", periods: 3);
        foreach (var (name, service) in Services)
        {
            Alarm($"{name}-cpu", service.MetricCpuUtilization(new MetricOptions { Period = fiveMinutes }), 80, ComparisonOperator.GREATER_THAN_THRESHOLD, $"{name} CPU above 80 % for 15 minutes", periods: 3);
        }

        Alarm("db-cpu", Database.MetricCPUUtilization(new MetricOptions { Period = fiveMinutes }), 80, ComparisonOperator.GREATER_THAN_THRESHOLD, "RDS CPU above 80 % for 15 minutes", periods: 3);
        Alarm("db-connections", Database.MetricDatabaseConnections(new MetricOptions { Period = fiveMinutes }), 400, ComparisonOperator.GREATER_THAN_THRESHOLD, "More than 400 of db.m7g.large's ~500 connections in use");
        Alarm("db-storage", Database.MetricFreeStorageSpace(new MetricOptions { Period = fiveMinutes }), 10L * 1024 * 1024 * 1024, ComparisonOperator.LESS_THAN_THRESHOLD, "Less than 10 GiB of database storage free");
        Alarm("worker-dead-letters", new Metric(new MetricProps
        {
            Namespace = "MenoTime",
            MetricName = DeadLetterMetric,
            DimensionsMap = new Dictionary<string, string> { ["OTelLib"] = "MenoTime" },
            Period = fiveMinutes,
            Statistic = "Sum",
        }), 1, ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD, "A reminder was dead-lettered: it will not be sent without help");

        CreateBackups();
        Outputs();
    }

    /// <summary>Seed 003 AWS Backup: daily, kept 35 days, in a vault encrypted with the master key (RDS and the audit archive).</summary>
    private void CreateBackups()
    {
        var vault = new BackupVault(this, "BackupVault", new BackupVaultProps
        {
            BackupVaultName = Prefix,
            EncryptionKey = MasterKey,
            RemovalPolicy = RemovalPolicy.RETAIN,
        });
        var plan = new BackupPlan(this, "BackupPlan", new BackupPlanProps
        {
            BackupPlanName = Prefix,
            BackupVault = vault,
            BackupPlanRules =
            [
                new BackupPlanRule(new BackupPlanRuleProps
                {
                    RuleName = "daily-35-days",
                    ScheduleExpression = Schedule.Cron(new CronOptions { Hour = "5", Minute = "0" }),
                    StartWindow = Duration.Hours(1),
                    CompletionWindow = Duration.Hours(4),
                    DeleteAfter = Duration.Days(35),
                }),
            ],
        });
        plan.AddSelection("Data", new BackupSelectionOptions
        {
            Resources =
            [
                BackupResource.FromRdsDatabaseInstance(Database),
                BackupResource.FromArn(Token.AsString(AppResources.GetResource("AuditArchiveBucket").GetAtt("Arn"))),
                BackupResource.FromArn(Backups.BucketArn),
            ],
        });
    }

    private void Outputs()
    {
        void Output(string id, string value, string description) => _ = new CfnOutput(this, id, new CfnOutputProps { Value = value, Description = description });
        Output("EcsClusterName", Cluster.ClusterName, "ECS cluster");
        Output("TaskSubnetIds", string.Join(',', Vpc.SelectSubnets(AppSubnets).SubnetIds), "Private subnets of the tasks");
        Output("TaskSecurityGroupId", ServiceSecurityGroup.SecurityGroupId, "Security group of the tasks");
        Output("LoadBalancerDnsName", LoadBalancer.LoadBalancerDnsName, "ALB (origin of CloudFront's /api/*)");
        Output("CdnDomainName", Cdn.DistributionDomainName, "CloudFront distribution");
        Output("DatabaseEndpointAddress", Database.DbInstanceEndpointAddress, "RDS PostgreSQL endpoint");
        Output("UserPoolId", UserPool.UserPoolId, "Cognito user pool the API trusts");
        Output("WebClientId", WebClient.UserPoolClientId, "Public web client (authorization code + PKCE)");
        Output("ServerClientId", ServerClient.UserPoolClientId, "Confidential server client");
    }
}
