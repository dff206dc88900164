using Amazon.CDK;
using Amazon.CDK.AWS.EC2;
using Amazon.CDK.AWS.IAM;
using Amazon.CDK.AWS.Logs;
using Amazon.CDK.AWS.RDS;
using MenoTime.AppHost.Hosting.Postgres;

namespace MenoTime.AppHost.Publishing;

public sealed partial class EnvironmentTopology
{
    public const string DatabaseUser = "menotime_user";

    public DatabaseInstance Database { get; private set; } = null!;

    public DatabaseSecret DatabaseSecret { get; private set; } = null!;

    /// <summary>
    /// The password of the application role the API and worker log in as (created by the migrations, which
    /// may not change the schema or the audit trail). The migration step sets it on the role at every deploy.
    /// </summary>
    public Amazon.CDK.AWS.SecretsManager.Secret AppDatabaseSecret { get; private set; } = null!;

    public const string ApplicationRole = "menotime_app";

    public string DatabaseName { get; private set; } = "";

    public SecurityGroup DatabaseSecurityGroup { get; private set; } = null!;

    /// <summary>Every ECS task of this environment; the only way into the database.</summary>
    public SecurityGroup ServiceSecurityGroup { get; private set; } = null!;

    /// <summary>
    /// <c>postgres</c> becomes seed 000's RDS PostgreSQL: 15.x on db.m7g.large, gp3 (100 GB growing to 1 TB),
    /// encrypted with the master key, isolated subnets, 5432 from the ECS security group only and no egress,
    /// IAM authentication, backups 7 days at 03:00 UTC, maintenance Sunday 04:00 UTC, a parameter group that
    /// forces TLS and logs connections, Single-AZ (seed: "upgrade path available").
    /// </summary>
    private void CreateDatabase(PostgresDatabaseResource database)
    {
        DatabaseName = database.DatabaseName;
        ServiceSecurityGroup = new SecurityGroup(this, "ServiceSecurityGroup", new SecurityGroupProps
        {
            Vpc = Vpc,
            SecurityGroupName = $"{Prefix}-ecs-sg",
            Description = "MenoTime ECS tasks",
            AllowAllOutbound = true, // SES SMTP, KMS, Secrets Manager, ECR through the NAT gateway
        });
        DatabaseSecurityGroup = new SecurityGroup(this, "DatabaseSecurityGroup", new SecurityGroupProps
        {
            Vpc = Vpc,
            SecurityGroupName = $"{Prefix}-db-sg",
            Description = "MenoTime RDS: PostgreSQL from the ECS tasks only, no outbound",
            AllowAllOutbound = false,
        });
        DatabaseSecurityGroup.AddIngressRule(ServiceSecurityGroup, Port.Tcp(5432), "PostgreSQL from the ECS tasks");
        Tagging.Describe(ServiceSecurityGroup, component: "networking", encryption: "none");
        Tagging.Describe(DatabaseSecurityGroup, component: "networking", encryption: "none");

        // Seed 000: PostgreSQL 15.x. The newest 15 minor release; RDS no longer creates instances of older ones
        // (cfn-lint knows which), and minor upgrades then happen in the maintenance window.
        var engine = DatabaseInstanceEngine.Postgres(new PostgresInstanceEngineProps { Version = PostgresEngineVersion.Of("15.17", "15") });
        var parameters = new ParameterGroup(this, "DatabaseParameters", new ParameterGroupProps
        {
            Engine = engine,
            Description = "MenoTime: TLS required, connections logged",
            Parameters = new Dictionary<string, string>
            {
                ["rds.force_ssl"] = "1",
                ["ssl_min_protocol_version"] = "TLSv1.2",
                ["log_connections"] = "1",
                ["log_disconnections"] = "1",
                // Statement text can hold patient data: log only DDL, never the parameters of queries.
                ["log_statement"] = "ddl",
            },
        });
        DatabaseSecret = new DatabaseSecret(this, "DatabaseSecret", new DatabaseSecretProps
        {
            Username = DatabaseUser,
            SecretName = $"menotime/db/{Profile.Name}",
            EncryptionKey = MasterKey,
        });
        AppDatabaseSecret = new Amazon.CDK.AWS.SecretsManager.Secret(this, "AppDatabaseSecret", new Amazon.CDK.AWS.SecretsManager.SecretProps
        {
            SecretName = $"menotime/db/{Profile.Name}/app",
            Description = "Login of the application database role (menotime_app) of the API and worker",
            EncryptionKey = MasterKey,
            GenerateSecretString = new Amazon.CDK.AWS.SecretsManager.SecretStringGenerator
            {
                SecretStringTemplate = $"{{\"username\":\"{ApplicationRole}\"}}",
                GenerateStringKey = "password",
                ExcludePunctuation = true,
                PasswordLength = 40,
            },
        });
        Tagging.Describe(AppDatabaseSecret, component: "security");
        var identifier = Prefix;
        var logGroup = EncryptedLogGroup("DatabaseLogs", $"/aws/rds/instance/{identifier}/postgresql", RetentionDays.ONE_YEAR);
        // Seed 000 grants the monitoring role monitoring:PutMetricData and logs on /aws/rds/*; enhanced monitoring
        // writes only to the RDSOSMetrics log group, so this role may do only that.
        var monitoringRole = new Role(this, "DatabaseMonitoringRole", new RoleProps
        {
            AssumedBy = new ServicePrincipal("monitoring.rds.amazonaws.com"),
            Description = "RDS enhanced monitoring: write OS metrics to the RDSOSMetrics log group",
        });
        monitoringRole.AddToPolicy(new PolicyStatement(new PolicyStatementProps
        {
            Actions = ["logs:CreateLogGroup", "logs:PutRetentionPolicy"],
            Resources = [$"arn:{Aws.PARTITION}:logs:{Aws.REGION}:{Aws.ACCOUNT_ID}:log-group:RDSOSMetrics"],
        }));
        monitoringRole.AddToPolicy(new PolicyStatement(new PolicyStatementProps
        {
            Actions = ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"],
            Resources = [$"arn:{Aws.PARTITION}:logs:{Aws.REGION}:{Aws.ACCOUNT_ID}:log-group:RDSOSMetrics:log-stream:*"],
        }));

        Database = new DatabaseInstance(this, "Database", new DatabaseInstanceProps
        {
            InstanceIdentifier = identifier,
            Engine = engine,
            InstanceType = Amazon.CDK.AWS.EC2.InstanceType.Of(InstanceClass.M7G, InstanceSize.LARGE),
            Vpc = Vpc,
            VpcSubnets = DataSubnets,
            SecurityGroups = [DatabaseSecurityGroup],
            Credentials = Credentials.FromSecret(DatabaseSecret),
            DatabaseName = DatabaseName,
            Port = 5432,
            StorageType = StorageType.GP3,
            AllocatedStorage = 100,
            MaxAllocatedStorage = 1000,
            StorageEncrypted = true,
            StorageEncryptionKey = MasterKey,
            MultiAz = false,
            PubliclyAccessible = false,
            IamAuthentication = true,
            BackupRetention = Duration.Days(7),
            PreferredBackupWindow = "03:00-03:30",
            PreferredMaintenanceWindow = "Sun:04:00-Sun:04:30",
            ParameterGroup = parameters,
            DeletionProtection = Profile.DeletionProtection,
            RemovalPolicy = RemovalPolicy.SNAPSHOT,
            CopyTagsToSnapshot = true,
            CloudwatchLogsExports = ["postgresql", "upgrade"],
            MonitoringInterval = Duration.Seconds(60),
            MonitoringRole = monitoringRole,
            EnablePerformanceInsights = true,
            PerformanceInsightEncryptionKey = MasterKey,
            AutoMinorVersionUpgrade = true,
        });
        Database.Node.AddDependency(logGroup);
        Tagging.Describe(Database, component: "database", compliance: "hipaa+pii-storage", backup: "daily", costCenter: "operations");
        Tagging.Describe(DatabaseSecret, component: "security");

        if (Profile.RotateDatabaseCredentials)
        {
            // Seed 000: the prod password rotates every 30 days (AWS's rotation function, from the Serverless
            // Application Repository). Running tasks keep their connections; new tasks read the new password.
            Database.AddRotationSingleUser(new RotationSingleUserOptions { AutomaticallyAfter = Duration.Days(30) });
        }
    }
}
