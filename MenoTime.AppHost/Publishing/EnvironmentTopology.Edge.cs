using Amazon.CDK;
using Amazon.CDK.AWS.CertificateManager;
using Amazon.CDK.AWS.CloudFront;
using Amazon.CDK.AWS.CloudFront.Origins;
using Amazon.CDK.AWS.EC2;
using Amazon.CDK.AWS.ElasticLoadBalancingV2;
using Amazon.CDK.AWS.Route53;
using Amazon.CDK.AWS.Route53.Targets;
using Amazon.CDK.AWS.WAFv2;
using CdkHealthCheck = Amazon.CDK.AWS.ElasticLoadBalancingV2.HealthCheck;

namespace MenoTime.AppHost.Publishing;

public sealed partial class EnvironmentTopology
{
    public ApplicationLoadBalancer LoadBalancer { get; private set; } = null!;

    public ApplicationTargetGroup TargetGroup { get; private set; } = null!;

    public Distribution Cdn { get; private set; } = null!;

    /// <summary>Where CloudFront reaches the ALB over HTTPS: a name its certificate covers.</summary>
    public string OriginDomainName => $"origin.{Profile.DomainName}";

    /// <summary>
    /// Seed 000's edge: Route 53 alias → CloudFront (TLS 1.2+, HTTPS only, compression, /api/* to the ALB
    /// uncached) → ALB (80 answers 301 to 443; 443 terminates TLS with an ACM certificate and forwards to the
    /// API's target group on 8000, health /health 30 s / 2 / 3 / 5 s), with the WAF rules on the ALB.
    /// </summary>
    private void CreateEdge()
    {
        var (project, service, port) = ExternalService ?? throw new InvalidOperationException("No project has external HTTP endpoints: nothing to put behind the load balancer.");
        var zone = HostedZone.FromHostedZoneAttributes(this, "Zone", new HostedZoneAttributes { HostedZoneId = HostedZoneId.ValueAsString, ZoneName = EnvironmentProfile.ZoneName });

        var albSecurityGroup = new SecurityGroup(this, "AlbSecurityGroup", new SecurityGroupProps
        {
            Vpc = Vpc,
            SecurityGroupName = $"{Prefix}-alb-sg",
            Description = "MenoTime ALB: HTTP and HTTPS from anywhere, out to the ECS tasks only",
            AllowAllOutbound = false,
        });
        albSecurityGroup.AddIngressRule(Peer.AnyIpv4(), Port.Tcp(80), "HTTP, answered with a redirect to HTTPS");
        albSecurityGroup.AddIngressRule(Peer.AnyIpv4(), Port.Tcp(443), "HTTPS");
        Tagging.Describe(albSecurityGroup, component: "networking", encryption: "none");

        LoadBalancer = new ApplicationLoadBalancer(this, "Alb", new ApplicationLoadBalancerProps
        {
            LoadBalancerName = $"{Prefix}-alb",
            Vpc = Vpc,
            InternetFacing = true,
            VpcSubnets = new SubnetSelection { SubnetType = SubnetType.PUBLIC },
            SecurityGroup = albSecurityGroup,
            DropInvalidHeaderFields = true,
        });
        LoadBalancer.LogAccessLogs(AccessLogs, "alb");
        Tagging.Describe(LoadBalancer, component: "networking", encryption: "none");

        var certificate = new Certificate(this, "AlbCertificate", new CertificateProps
        {
            DomainName = OriginDomainName,
            Validation = CertificateValidation.FromDns(zone),
        });
        Tagging.Describe(certificate, component: "security", encryption: "none");

        LoadBalancer.AddRedirect(new ApplicationLoadBalancerRedirectConfig { SourcePort = 80, SourceProtocol = ApplicationProtocol.HTTP, TargetPort = 443, TargetProtocol = ApplicationProtocol.HTTPS });
        var https = LoadBalancer.AddListener("Https", new BaseApplicationListenerProps
        {
            Port = 443,
            Protocol = ApplicationProtocol.HTTPS,
            Certificates = [ListenerCertificate.FromCertificateManager(certificate)],
            SslPolicy = SslPolicy.RECOMMENDED_TLS, // ELBSecurityPolicy-TLS13-1-2-2021-06: TLS 1.2 and 1.3 only
            Open = false, // the security group above already admits 443
        });
        TargetGroup = https.AddTargets("Api", new AddApplicationTargetsProps
        {
            TargetGroupName = $"{Prefix}-backend-tg",
            Port = port,
            Protocol = ApplicationProtocol.HTTP,
            Targets = [service.LoadBalancerTarget(new Amazon.CDK.AWS.ECS.LoadBalancerTargetOptions { ContainerName = project.Name, ContainerPort = port })],
            HealthCheck = new CdkHealthCheck
            {
                Path = "/health",
                Interval = Duration.Seconds(30),
                HealthyThresholdCount = 2,
                UnhealthyThresholdCount = 3,
                Timeout = Duration.Seconds(5),
                HealthyHttpCodes = "200",
            },
            DeregistrationDelay = Duration.Seconds(30),
        });

        CreateFirewall();

        Cdn = new Distribution(this, "Cdn", new DistributionProps
        {
            Comment = $"MenoTime {Profile.Name}",
            DomainNames = [Profile.DomainName],
            Certificate = Certificate.FromCertificateArn(this, "CdnCertificate", CloudFrontCertificateArn.ValueAsString),
            MinimumProtocolVersion = SecurityPolicyProtocol.TLS_V1_2_2021,
            HttpVersion = HttpVersion.HTTP2_AND_3,
            PriceClass = PriceClass.PRICE_CLASS_100,
            DefaultBehavior = new BehaviorOptions
            {
                Origin = S3BucketOrigin.WithOriginAccessControl(StaticAssets),
                ViewerProtocolPolicy = ViewerProtocolPolicy.HTTPS_ONLY,
                Compress = true,
                CachePolicy = CachePolicy.CACHING_OPTIMIZED,
                ResponseHeadersPolicy = ResponseHeadersPolicy.SECURITY_HEADERS,
            },
            AdditionalBehaviors = new Dictionary<string, IBehaviorOptions>
            {
                // Seed 000 suggests caching API answers for 60 s; they carry patient data, so nothing is cached.
                ["/api/*"] = new BehaviorOptions
                {
                    Origin = new HttpOrigin(OriginDomainName, new HttpOriginProps
                    {
                        ProtocolPolicy = OriginProtocolPolicy.HTTPS_ONLY,
                        OriginSslProtocols = [OriginSslPolicy.TLS_V1_2],
                    }),
                    ViewerProtocolPolicy = ViewerProtocolPolicy.HTTPS_ONLY,
                    AllowedMethods = AllowedMethods.ALLOW_ALL,
                    Compress = true,
                    CachePolicy = CachePolicy.CACHING_DISABLED,
                    OriginRequestPolicy = OriginRequestPolicy.ALL_VIEWER_EXCEPT_HOST_HEADER,
                    ResponseHeadersPolicy = ResponseHeadersPolicy.SECURITY_HEADERS,
                },
            },
        });
        Tagging.Describe(Cdn, component: "networking", encryption: "aws-managed");

        _ = new ARecord(this, "Alias", new ARecordProps
        {
            Zone = zone,
            RecordName = Profile.DomainName,
            Target = RecordTarget.FromAlias(new CloudFrontTarget(Cdn)),
            Comment = "Seed 000: A alias to CloudFront (alias records take the target's TTL)",
        });
        _ = new ARecord(this, "OriginAlias", new ARecordProps
        {
            Zone = zone,
            RecordName = OriginDomainName,
            Target = RecordTarget.FromAlias(new LoadBalancerTarget(LoadBalancer)),
        });
    }

    /// <summary>Seed 000/003 WAF on the ALB: AWS common rules, SQL injection, known bad inputs, 2,000 requests per 5 minutes per IP.</summary>
    private void CreateFirewall()
    {
        static CfnWebACL.RuleProperty Managed(string name, int priority) => new()
        {
            Name = name,
            Priority = priority,
            OverrideAction = new CfnWebACL.OverrideActionProperty { None = new Dictionary<string, object>() },
            Statement = new CfnWebACL.StatementProperty { ManagedRuleGroupStatement = new CfnWebACL.ManagedRuleGroupStatementProperty { VendorName = "AWS", Name = name } },
            VisibilityConfig = Visibility(name),
        };
        static CfnWebACL.VisibilityConfigProperty Visibility(string name) => new() { CloudWatchMetricsEnabled = true, SampledRequestsEnabled = true, MetricName = name };

        var acl = new CfnWebACL(this, "Waf", new CfnWebACLProps
        {
            Name = $"{Prefix}-waf",
            Scope = "REGIONAL",
            DefaultAction = new CfnWebACL.DefaultActionProperty { Allow = new CfnWebACL.AllowActionProperty() },
            VisibilityConfig = Visibility($"{Prefix}-waf"),
            Rules = new object[]
            {
                Managed("AWSManagedRulesCommonRuleSet", 0),
                Managed("AWSManagedRulesSQLiRuleSet", 1),
                Managed("AWSManagedRulesKnownBadInputsRuleSet", 2),
                new CfnWebACL.RuleProperty
                {
                    Name = "RateLimitPerIp",
                    Priority = 3,
                    Action = new CfnWebACL.RuleActionProperty { Block = new CfnWebACL.BlockActionProperty() },
                    Statement = new CfnWebACL.StatementProperty
                    {
                        RateBasedStatement = new CfnWebACL.RateBasedStatementProperty { Limit = 2000, AggregateKeyType = "IP", EvaluationWindowSec = 300 },
                    },
                    VisibilityConfig = Visibility("RateLimitPerIp"),
                },
            },
        });
        Tagging.Describe(acl, component: "security", encryption: "none");
        _ = new CfnWebACLAssociation(this, "WafOnAlb", new CfnWebACLAssociationProps { ResourceArn = LoadBalancer.LoadBalancerArn, WebAclArn = acl.AttrArn });
    }
}
