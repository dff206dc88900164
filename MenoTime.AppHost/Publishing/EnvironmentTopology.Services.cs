using System.Globalization;
using Amazon.CDK;
using Amazon.CDK.AWS.ApplicationAutoScaling;
using Amazon.CDK.AWS.ECR;
using Amazon.CDK.AWS.ECS;
using Amazon.CDK.AWS.IAM;
using Amazon.CDK.AWS.SecretsManager;
using MenoTime.AppHost.Hosting;
using MenoTime.AppHost.Hosting.Aws;
using MenoTime.AppHost.Hosting.Mail;
using MenoTime.AppHost.Hosting.Postgres;
using EcsSecret = Amazon.CDK.AWS.ECS.Secret;

namespace MenoTime.AppHost.Publishing;

public sealed partial class EnvironmentTopology
{
    /// <summary>The port a project without a fixed one (the worker) serves its health on in its container.</summary>
    public const int DefaultContainerPort = 8080;

    /// <summary>Metric the worker counts dead-lettered notifications with (OTLP → ADOT → CloudWatch EMF).</summary>
    public const string DeadLetterMetric = "menotime.notifications.dead_lettered";

    public Cluster Cluster { get; private set; } = null!;

    public string ClusterName => $"{Prefix}-cluster";

    public Dictionary<string, FargateService> Services { get; } = new(StringComparer.Ordinal);

    /// <summary>The external project (the API): behind the ALB and CloudFront.</summary>
    public (ProjectResource Project, FargateService Service, int Port)? ExternalService { get; private set; }

    public ISecret ThirdPartyKeys { get; private set; } = null!;

    /// <summary>Which image each project runs: its ECR repository name.</summary>
    public static string RepositoryName(ProjectResource project) => $"menotime/{project.Name}";

    private void CreateServices(DistributedApplication model)
    {
        Cluster = new Cluster(this, "Cluster", new ClusterProps
        {
            ClusterName = ClusterName,
            Vpc = Vpc,
            ContainerInsights = true,
        });
        ((CfnCluster)Cluster.Node.DefaultChild!).AddPropertyOverride("Configuration.ManagedStorageConfiguration.FargateEphemeralStorageKmsKeyId", EbsKey.KeyId);
        Tagging.Describe(Cluster, compliance: "audit-required", encryption: "kms");

        ThirdPartyKeys = Tagging.Describe(new Amazon.CDK.AWS.SecretsManager.Secret(this, "ThirdPartyKeys", new SecretProps
        {
            SecretName = $"menotime/api/third-party-keys/{Profile.Name}",
            Description = "Third-party API keys of the API ({\"name\":\"key\"}), set by operators",
            EncryptionKey = MasterKey,
            SecretObjectValue = new Dictionary<string, SecretValue>(),
        }), component: "security");

        // A project others wait to see finish (the migrations) is no service of its own: it runs first in every
        // task of the projects that wait for it (below).
        foreach (var project in model.PublishedResources.OfType<ProjectResource>().Where(p => !ResourceGraph.RunsToCompletion(p, model.PublishedResources)))
        {
            var taskDefinition = TaskDefinition(project);

            var service = new FargateService(this, $"{Pascal(project.Name)}Service", new FargateServiceProps
            {
                ServiceName = $"{Prefix}-{project.Name}",
                Cluster = Cluster,
                TaskDefinition = taskDefinition,
                DesiredCount = Profile.DesiredTasks,
                SecurityGroups = [ServiceSecurityGroup],
                VpcSubnets = AppSubnets,
                AssignPublicIp = false,
                // dev/staging: all at once (stop every task, then start the new ones); prod: rolling, never
                // fewer than half of the (at least two) tasks, so at least one serves throughout.
                MinHealthyPercent = Profile.RollingDeployment ? 50 : 0,
                MaxHealthyPercent = Profile.RollingDeployment ? 200 : 100,
                CircuitBreaker = new DeploymentCircuitBreaker { Enable = true, Rollback = true },
                PropagateTags = PropagatedTagSource.SERVICE,
                EnableECSManagedTags = true,
                HealthCheckGracePeriod = project.HasExternalHttpEndpoints ? Duration.Seconds(60) : null,
            });
            if (Profile.AutoScales)
            {
                var scaling = service.AutoScaleTaskCount(new EnableScalingProps { MinCapacity = Profile.DesiredTasks, MaxCapacity = Profile.MaxTasks });
                scaling.ScaleOnCpuUtilization("Cpu", new CpuUtilizationScalingProps { TargetUtilizationPercent = 70 });
                scaling.ScaleOnMemoryUtilization("Memory", new MemoryUtilizationScalingProps { TargetUtilizationPercent = 75 });
            }

            Services[project.Name] = service;
            if (project.HasExternalHttpEndpoints)
            {
                ExternalService = (project, service, ContainerPort(project));
            }
        }
    }

    private FargateTaskDefinition TaskDefinition(ProjectResource project)
    {
        var name = Pascal(project.Name);
        var taskRole = new Role(this, $"{name}TaskRole", new RoleProps
        {
            AssumedBy = new ServicePrincipal("ecs-tasks.amazonaws.com"),
            Description = $"MenoTime {project.Name}: what its code calls in AWS, nothing more",
        });
        var taskDefinition = new FargateTaskDefinition(this, $"{name}Task", new FargateTaskDefinitionProps
        {
            Family = $"{Prefix}-{project.Name}",
            Cpu = Profile.TaskCpu,
            MemoryLimitMiB = Profile.TaskMemoryMiB,
            TaskRole = taskRole,
            RuntimePlatform = new RuntimePlatform { OperatingSystemFamily = OperatingSystemFamily.LINUX, CpuArchitecture = CpuArchitecture.X86_64 },
        });

        var main = AddContainer(taskDefinition, project, taskRole, essential: true);
        // WaitForCompletion in the model: the step runs in the same task, before the service's container starts,
        // which starts only if it exited 0 (ECS's SUCCESS condition). Migrations take an advisory lock and skip
        // what is applied, so tasks starting together are safe.
        foreach (var step in project.WaitsFor.Where(d => d.Behavior == WaitBehavior.Completed).Select(d => d.Resource).OfType<ProjectResource>())
        {
            var container = AddContainer(taskDefinition, step, taskRole, essential: false);
            main.AddContainerDependencies(new ContainerDependency { Container = container, Condition = ContainerDependencyCondition.SUCCESS });
        }

        AddTelemetryCollector(taskDefinition, taskRole, project.Name);
        return taskDefinition;
    }

    private ContainerDefinition AddContainer(FargateTaskDefinition taskDefinition, ProjectResource project, Role taskRole, bool essential)
    {
        var (environment, secrets) = ContainerConfiguration(project, taskRole);
        var port = ContainerPort(project);
        return taskDefinition.AddContainer(project.Name, new ContainerDefinitionOptions
        {
            ContainerName = project.Name,
            Image = ContainerImage.FromEcrRepository(Repository.FromRepositoryName(this, $"{taskDefinition.Node.Id}{Pascal(project.Name)}Repository", RepositoryName(project)), ImageTag.ValueAsString),
            Essential = essential,
            User = "1654", // the .NET images' non-root "app" user
            Environment = environment,
            Secrets = secrets,
            PortMappings = project.Endpoints.Count == 0 ? [] : [new PortMapping { ContainerPort = port, Protocol = Amazon.CDK.AWS.ECS.Protocol.TCP }],
            Logging = LogDriver.AwsLogs(new AwsLogDriverProps { LogGroup = ServiceLogs, StreamPrefix = project.Name }),
            StopTimeout = Duration.Seconds(30),
        });
    }

    /// <summary>
    /// The configuration contract, filled from the project's references as the AppHost fills it locally:
    /// database → ConnectionStrings + PGPASSWORD from the rotated secret; mail → SES SMTP with STARTTLS on 587;
    /// aws → AWS__Resources__* from the included template; another project → its public address.
    /// </summary>
    private (Dictionary<string, string> Environment, Dictionary<string, EcsSecret> Secrets) ContainerConfiguration(ProjectResource project, Role taskRole)
    {
        var environment = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["ASPNETCORE_ENVIRONMENT"] = "Production",
            ["DOTNET_ENVIRONMENT"] = "Production",
            ["OTEL_SERVICE_NAME"] = project.Name,
            ["OTEL_RESOURCE_ATTRIBUTES"] = $"deployment.environment={Profile.Name}",
            ["OTEL_EXPORTER_OTLP_ENDPOINT"] = "http://localhost:4318",
            ["OTEL_EXPORTER_OTLP_PROTOCOL"] = "http/protobuf",
        };
        if (project.Endpoints.Count > 0)
        {
            environment["ASPNETCORE_HTTP_PORTS"] = ContainerPort(project).ToString(CultureInfo.InvariantCulture);
        }

        var secrets = new Dictionary<string, EcsSecret>(StringComparer.Ordinal);
        foreach (var reference in project.References)
        {
            switch (reference)
            {
                case PostgresDatabaseResource database:
                    // The migration step logs in as the owner and sets the application role's password; the
                    // services log in as that role. Npgsql reads PGPASSWORD when the connection string has none.
                    var owner = database.Owners.Contains(project);
                    environment[$"ConnectionStrings__{database.Name}"] =
                        $"Host={Database.DbInstanceEndpointAddress};Port={Database.DbInstanceEndpointPort};Database={DatabaseName};Username={(owner ? DatabaseUser : ApplicationRole)};SSL Mode=Require";
                    secrets["PGPASSWORD"] = owner ? EcsSecret.FromSecretsManager(DatabaseSecret, "password") : EcsSecret.FromSecretsManager(AppDatabaseSecret, "password");
                    if (owner)
                    {
                        secrets["Database__ApplicationRolePassword"] = EcsSecret.FromSecretsManager(AppDatabaseSecret, "password");
                    }

                    break;
                case MailDevResource:
                    environment["Email__Smtp__Host"] = $"email-smtp.{Aws.REGION}.amazonaws.com";
                    environment["Email__Smtp__Port"] = "587";
                    environment["Email__Smtp__UseStartTls"] = "true";
                    environment["Email__From"] = $"MenoTime <{SharedTopology.SenderAddress}>";
                    var smtp = Amazon.CDK.AWS.SecretsManager.Secret.FromSecretNameV2(this, $"{Pascal(project.Name)}SesSmtpSecret", SharedTopology.SesSmtpSecretName);
                    secrets["Email__Smtp__Username"] = EcsSecret.FromSecretsManager(smtp, "username");
                    secrets["Email__Smtp__Password"] = EcsSecret.FromSecretsManager(smtp, "password");
                    break;
                case CloudFormationStackResource:
                    foreach (var (key, value) in AppResourceOutputs)
                    {
                        environment[$"AWS__Resources__{key}"] = value;
                    }

                    environment["AWS_REGION"] = Aws.REGION;
                    GrantAppResources(project, taskRole);
                    break;
                case ProjectResource other when other.HasExternalHttpEndpoints:
                    environment[$"services__{other.Name}__http__0"] = $"https://origin.{Profile.DomainName}";
                    break;
            }
        }

        if (project.HasExternalHttpEndpoints)
        {
            // The API trusts access tokens of this environment's Cognito user pool issued to its two clients, and
            // the client address the ALB (inside the VPC) forwards.
            environment["Auth__Authority"] = UserPool.UserPoolProviderUrl;
            environment["Auth__ClientIds"] = Fn.Join(",", [WebClient.UserPoolClientId, ServerClient.UserPoolClientId]);
            environment["Network__TrustedNetworks"] = Vpc.VpcCidrBlock;
            environment["Security__AlertRecipients__0"] = EnvironmentProfile.SecurityAlertRecipient;
            secrets["ThirdParty__Keys"] = EcsSecret.FromSecretsManager(ThirdPartyKeys);
        }

        return (environment, secrets);
    }

    /// <summary>
    /// Least privilege on the app resources: the API encrypts and decrypts fields with the field key, writes
    /// and reads the audit archive (never deletes: Object Lock) and patient exports. Seed 000's task role also
    /// grants secretsmanager:GetSecretValue, ses:SendEmail and KMS on every key: ECS injects the secrets (the
    /// execution role reads them), email goes through SMTP, and one key is enough.
    /// </summary>
    private void GrantAppResources(ProjectResource project, Role taskRole)
    {
        if (!project.HasExternalHttpEndpoints)
        {
            return; // The worker sends email through SMTP and reads no encrypted field.
        }

        var fieldKeyArn = Token.AsString(AppResources.GetResource("FieldEncryptionKey").GetAtt("Arn"));
        taskRole.AddToPolicy(new PolicyStatement(new PolicyStatementProps
        {
            Sid = "FieldEncryption",
            Actions = ["kms:GenerateDataKey", "kms:Decrypt", "kms:ReEncryptFrom", "kms:ReEncryptTo", "kms:DescribeKey"],
            Resources = [fieldKeyArn],
        }));
        var audit = Token.AsString(AppResources.GetResource("AuditArchiveBucket").GetAtt("Arn"));
        var exports = Token.AsString(AppResources.GetResource("PatientExportsBucket").GetAtt("Arn"));
        taskRole.AddToPolicy(new PolicyStatement(new PolicyStatementProps
        {
            Sid = "AuditArchive",
            Actions = ["s3:PutObject", "s3:GetObject"],
            Resources = [$"{audit}/*"],
        }));
        taskRole.AddToPolicy(new PolicyStatement(new PolicyStatementProps
        {
            Sid = "PatientExports",
            Actions = ["s3:PutObject", "s3:GetObject", "s3:DeleteObject"],
            Resources = [$"{exports}/*"],
        }));
    }

    /// <summary>
    /// The ADOT collector beside every task (ARCHITECTURE: OTLP → ADOT → CloudWatch / X-Ray): traces to X-Ray,
    /// metrics as EMF into the encrypted metrics log group. The app keeps logging to stdout (awslogs).
    /// </summary>
    private void AddTelemetryCollector(FargateTaskDefinition taskDefinition, Role taskRole, string service)
    {
        var config = $$"""
            receivers:
              otlp:
                protocols:
                  http:
                    endpoint: 127.0.0.1:4318
            processors:
              batch: {}
            exporters:
              awsxray: {}
              awsemf:
                namespace: MenoTime
                log_group_name: {{MetricLogs.LogGroupName}}
                log_stream_name: {{service}}
                dimension_rollup_option: NoDimensionRollup
            service:
              pipelines:
                traces: { receivers: [otlp], processors: [batch], exporters: [awsxray] }
                metrics: { receivers: [otlp], processors: [batch], exporters: [awsemf] }
            """;
        taskDefinition.AddContainer("otel-collector", new ContainerDefinitionOptions
        {
            ContainerName = "otel-collector",
            Image = ContainerImage.FromRegistry("public.ecr.aws/aws-observability/aws-otel-collector:v0.41.1"),
            Essential = false,
            Environment = new Dictionary<string, string> { ["AOT_CONFIG_CONTENT"] = config },
            Logging = LogDriver.AwsLogs(new AwsLogDriverProps { LogGroup = ServiceLogs, StreamPrefix = $"{service}-otel" }),
            MemoryReservationMiB = 64,
        });
        taskRole.AddToPolicy(new PolicyStatement(new PolicyStatementProps
        {
            Sid = "Traces",
            Actions = ["xray:PutTraceSegments", "xray:PutTelemetryRecords", "xray:GetSamplingRules", "xray:GetSamplingTargets"],
            Resources = ["*"], // X-Ray has no resource-level permissions for these
        }));
        taskRole.AddToPolicy(new PolicyStatement(new PolicyStatementProps
        {
            Sid = "Metrics",
            Actions = ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"],
            Resources = [MetricLogs.LogGroupArn, $"{MetricLogs.LogGroupArn}:log-stream:*"],
        }));
    }

    private static int ContainerPort(ProjectResource project) =>
        project.Endpoints.FirstOrDefault(e => e.Scheme == "http")?.Port ?? DefaultContainerPort;

    private static string Pascal(string name) => string.Concat(name.Split('-').Select(part => char.ToUpperInvariant(part[0]) + part[1..]));
}
