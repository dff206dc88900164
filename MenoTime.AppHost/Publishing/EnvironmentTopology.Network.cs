using Amazon.CDK;
using Amazon.CDK.AWS.EC2;
using Amazon.CDK.AWS.Logs;
using Amazon.CDK.AWS.S3;
using Amazon.CDK.CloudFormation.Include;
using MenoTime.AppHost.Hosting.Aws;

namespace MenoTime.AppHost.Publishing;

public sealed partial class EnvironmentTopology
{
    public Vpc Vpc { get; private set; } = null!;

    public SubnetSelection AppSubnets { get; } = new() { SubnetGroupName = "app" };

    public SubnetSelection DataSubnets { get; } = new() { SubnetGroupName = "data" };

    public Bucket StaticAssets { get; private set; } = null!;

    public Bucket Logs { get; private set; } = null!;

    public Bucket Backups { get; private set; } = null!;

    public Bucket AccessLogs { get; private set; } = null!;

    public CfnInclude AppResources { get; private set; } = null!;

    /// <summary>
    /// Seed 003's VPC: 10.0.0.0/16 over two AZs, public subnets (ALB, NAT), private subnets with NAT egress
    /// (ECS tasks) and isolated subnets (RDS), flow logs of all traffic to the logs bucket.
    /// </summary>
    private void CreateNetwork()
    {
        Vpc = new Vpc(this, "Vpc", new VpcProps
        {
            VpcName = Prefix,
            IpAddresses = IpAddresses.Cidr("10.0.0.0/16"),
            MaxAzs = 2,
            NatGateways = Profile.NatGateways,
            EnableDnsHostnames = true,
            EnableDnsSupport = true,
            // Restricting the default security group needs a Lambda-backed custom resource (a code asset);
            // nothing here uses the default group.
            RestrictDefaultSecurityGroup = false,
            SubnetConfiguration =
            [
                new SubnetConfiguration { Name = "public", SubnetType = SubnetType.PUBLIC, CidrMask = 24 },
                new SubnetConfiguration { Name = "app", SubnetType = SubnetType.PRIVATE_WITH_EGRESS, CidrMask = 24 },
                new SubnetConfiguration { Name = "data", SubnetType = SubnetType.PRIVATE_ISOLATED, CidrMask = 24 },
            ],
        });
        Tagging.Describe(Vpc, component: "networking", encryption: "none");
        // S3 traffic of the tasks stays inside AWS's network, and costs no NAT processing.
        var s3 = Vpc.AddGatewayEndpoint("S3Endpoint", new GatewayVpcEndpointOptions { Service = GatewayVpcEndpointAwsService.S3 });
        Tagging.Write((CfnResource)s3.Node.DefaultChild!, Profile.Name, Profile.CostCenter, "networking", "none");
    }

    /// <summary>Seed 000's buckets (static assets, logs, backups) and log groups; flow logs need the logs bucket.</summary>
    private void CreateStorage()
    {
        StaticAssets = PrivateBucket("StaticAssets", versioned: true,
            new LifecycleRule { NoncurrentVersionExpiration = Duration.Days(30) });
        StaticAssets.AddCorsRule(new CorsRule
        {
            AllowedMethods = [HttpMethods.GET, HttpMethods.HEAD],
            AllowedOrigins = [$"https://{Profile.DomainName}"],
            AllowedHeaders = ["*"],
            MaxAge = 3600,
        });
        Logs = PrivateBucket("Logs", versioned: false,
            new LifecycleRule { Transitions = [new Transition { StorageClass = StorageClass.GLACIER, TransitionAfter = Duration.Days(90) }], Expiration = Duration.Days(730) });
        Backups = PrivateBucket("Backups", versioned: true,
            new LifecycleRule { Transitions = [new Transition { StorageClass = StorageClass.GLACIER, TransitionAfter = Duration.Days(30) }] });
        Tagging.Describe(Backups, component: "database", compliance: "hipaa+pii-storage", backup: "daily");

        // Elastic Load Balancing writes access logs only to SSE-S3 buckets (it cannot use a KMS key), so they
        // get a bucket of their own: encrypted, private, no patient data (paths and status codes only).
        AccessLogs = new Bucket(this, "AlbAccessLogs", new BucketProps
        {
            Encryption = BucketEncryption.S3_MANAGED,
            BlockPublicAccess = BlockPublicAccess.BLOCK_ALL,
            EnforceSSL = true,
            ObjectOwnership = ObjectOwnership.BUCKET_OWNER_ENFORCED,
            RemovalPolicy = RemovalPolicy.RETAIN,
            LifecycleRules = [new LifecycleRule { Transitions = [new Transition { StorageClass = StorageClass.GLACIER, TransitionAfter = Duration.Days(90) }], Expiration = Duration.Days(730) }],
        });
        Tagging.Describe(AccessLogs, encryption: "aws-managed", compliance: "audit-required");

        Vpc.AddFlowLog("FlowLogs", new FlowLogOptions
        {
            Destination = FlowLogDestination.ToS3(Logs, "vpc-flow-logs/"),
            TrafficType = FlowLogTrafficType.ALL,
        });

        ServiceLogs = EncryptedLogGroup("ServiceLogs", $"/aws/ecs/{Prefix}", RetentionDays.ONE_YEAR);
        MetricLogs = EncryptedLogGroup("MetricLogs", $"/aws/ecs/{Prefix}/metrics", RetentionDays.ONE_YEAR);
    }

    /// <summary>The run mode's app-resources template, as it is, with this environment's name.</summary>
    private CfnInclude IncludeAppResources(CloudFormationStackResource resource)
    {
        var include = new CfnInclude(this, "AppResources", new CfnIncludeProps { TemplateFile = resource.TemplatePath });
        // The parameter stays (its conditions keep meaning something); this environment is its only value.
        var environmentName = include.GetParameter("EnvironmentName");
        environmentName.Default = Profile.Name;
        environmentName.AllowedValues = [Profile.Name];
        Tagging.Write(include.GetResource("EmailConfigurationSet"), Profile.Name, Profile.CostCenter, "backend", "none");
        var outputs = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(resource.TemplatePath))!["Outputs"]!.AsObject();
        AppResourceOutputs = outputs.ToDictionary(o => o.Key, o => Token.AsString(include.GetOutput(o.Key).Value), StringComparer.Ordinal);
        return include;
    }

    /// <summary>The app-resources outputs by key, as the services receive them: AWS__Resources__{OutputKey}.</summary>
    public IReadOnlyDictionary<string, string> AppResourceOutputs { get; private set; } = new Dictionary<string, string>();
}
