namespace MenoTime.Publishing.Tests;

/// <summary>Seed 000/001/003: VPC, ALB, CloudFront, WAF, Route 53 — one test per requirement, per environment.</summary>
public sealed class NetworkAndEdgeTests(PublishedEnvironments published)
{
    [Theory]
    [MemberData(nameof(PublishedEnvironments.Names), MemberType = typeof(PublishedEnvironments))]
    public void Vpc_has_public_and_private_subnets_in_two_zones_and_nat_egress(string environment)
    {
        var template = published[environment].Environment;

        var vpc = template.One("AWS::EC2::VPC");
        var subnets = template.OfType("AWS::EC2::Subnet").ToList();
        Assert.Equal("10.0.0.0/16", (string?)vpc["CidrBlock"]);
        Assert.Equal(2, subnets.Count(s => (bool?)s["MapPublicIpOnLaunch"] == true));
        Assert.Equal(4, subnets.Count(s => (bool?)s["MapPublicIpOnLaunch"] == false));
        Assert.Equal(2, subnets.Select(s => s["AvailabilityZone"]!.ToJsonString()).Distinct().Count());
        Assert.Equal(published[environment].Profile.NatGateways, template.OfType("AWS::EC2::NatGateway").Count());
        var natRoutes = template.OfType("AWS::EC2::Route").Where(r => r["NatGatewayId"] is not null).ToList();
        Assert.Equal(2, natRoutes.Count); // the two private "app" subnets go out through NAT; "data" subnets have no route out
    }

    [Theory]
    [MemberData(nameof(PublishedEnvironments.Names), MemberType = typeof(PublishedEnvironments))]
    public void Alb_port_80_redirects_to_443_with_301(string environment)
    {
        var template = published[environment].Environment;

        var http = Assert.Single(template.OfType("AWS::ElasticLoadBalancingV2::Listener"), l => (int?)l["Port"] == 80);
        var redirect = http["DefaultActions"]![0]!;
        Assert.Equal("redirect", (string?)redirect["Type"]);
        Assert.Equal("HTTPS", (string?)redirect["RedirectConfig"]!["Protocol"]);
        Assert.Equal("443", (string?)redirect["RedirectConfig"]!["Port"]);
        Assert.Equal("HTTP_301", (string?)redirect["RedirectConfig"]!["StatusCode"]);
        Assert.Equal("internet-facing", (string?)template.One("AWS::ElasticLoadBalancingV2::LoadBalancer")["Scheme"]);
    }

    [Theory]
    [MemberData(nameof(PublishedEnvironments.Names), MemberType = typeof(PublishedEnvironments))]
    public void Alb_port_443_terminates_tls_with_an_acm_certificate(string environment)
    {
        var template = published[environment].Environment;

        var https = Assert.Single(template.OfType("AWS::ElasticLoadBalancingV2::Listener"), l => (int?)l["Port"] == 443);
        var certificate = template.One("AWS::CertificateManager::Certificate");
        Assert.Equal("HTTPS", (string?)https["Protocol"]);
        Assert.True(Refs.IsRefTo(https["Certificates"]![0]!["CertificateArn"], certificate.Id));
        Assert.Equal("DNS", (string?)certificate["ValidationMethod"]);
        Assert.Equal($"origin.{published[environment].Profile.DomainName}", (string?)certificate["DomainName"]);
        Assert.Equal("ELBSecurityPolicy-TLS13-1-2-2021-06", (string?)https["SslPolicy"]);
    }

    [Theory]
    [MemberData(nameof(PublishedEnvironments.Names), MemberType = typeof(PublishedEnvironments))]
    public void Target_group_sends_to_port_8000_with_health_check_on_health_30s_2_3_5s(string environment)
    {
        var template = published[environment].Environment;

        var group = template.One("AWS::ElasticLoadBalancingV2::TargetGroup");
        Assert.Equal($"menotime-{environment}-backend-tg", (string?)group["Name"]);
        Assert.Equal(8000, (int?)group["Port"]);
        Assert.Equal("HTTP", (string?)group["Protocol"]);
        Assert.Equal("/health", (string?)group["HealthCheckPath"]);
        Assert.Equal(30, (int?)group["HealthCheckIntervalSeconds"]);
        Assert.Equal(2, (int?)group["HealthyThresholdCount"]);
        Assert.Equal(3, (int?)group["UnhealthyThresholdCount"]);
        Assert.Equal(5, (int?)group["HealthCheckTimeoutSeconds"]);
        var api = template.Named("AWS::ECS::Service", "ApiService");
        Assert.True(Refs.IsRefTo(api["LoadBalancers"]![0]!["TargetGroupArn"], group.Id));
        Assert.Equal(8000, (int?)api["LoadBalancers"]![0]!["ContainerPort"]);
    }

    [Theory]
    [MemberData(nameof(PublishedEnvironments.Names), MemberType = typeof(PublishedEnvironments))]
    public void CloudFront_is_https_only_tls_1_2_compressed_and_sends_api_to_the_alb(string environment)
    {
        var template = published[environment].Environment;

        var config = template.One("AWS::CloudFront::Distribution")["DistributionConfig"]!;
        Assert.Equal("TLSv1.2_2021", (string?)config["ViewerCertificate"]!["MinimumProtocolVersion"]);
        Assert.Equal("sni-only", (string?)config["ViewerCertificate"]!["SslSupportMethod"]);
        Assert.Equal(published[environment].Profile.DomainName, (string?)config["Aliases"]![0]);
        var behaviors = config["CacheBehaviors"]!.AsArray().Append(config["DefaultCacheBehavior"]).ToList();
        Assert.All(behaviors, b => Assert.Equal("https-only", (string?)b!["ViewerProtocolPolicy"]));
        Assert.All(behaviors, b => Assert.True((bool?)b!["Compress"]));
        var api = Assert.Single(config["CacheBehaviors"]!.AsArray(), b => (string?)b!["PathPattern"] == "/api/*")!;
        var origin = Assert.Single(config["Origins"]!.AsArray(), o => (string?)o!["Id"] == (string?)api["TargetOriginId"])!;
        Assert.Equal($"origin.{published[environment].Profile.DomainName}", (string?)origin["DomainName"]);
        Assert.Equal("https-only", (string?)origin["CustomOriginConfig"]!["OriginProtocolPolicy"]);
        Assert.Equal(["TLSv1.2"], origin["CustomOriginConfig"]!["OriginSSLProtocols"]!.AsArray().Select(p => (string?)p));
        Assert.Equal("4135ea2d-6df8-44a3-9df3-4b5a84be39ad", (string?)api["CachePolicyId"]); // Managed-CachingDisabled: patient data is never cached
        var originAlias = Assert.Single(template.OfType("AWS::Route53::RecordSet"), r => (string?)r["Name"] == $"origin.{published[environment].Profile.DomainName}.");
        Assert.True(Refs.RefersTo(originAlias["AliasTarget"], template.One("AWS::ElasticLoadBalancingV2::LoadBalancer").Id));
    }

    [Theory]
    [MemberData(nameof(PublishedEnvironments.Names), MemberType = typeof(PublishedEnvironments))]
    public void Static_assets_reach_cloudfront_through_origin_access_control_only(string environment)
    {
        var template = published[environment].Environment;

        var bucket = template.Named("AWS::S3::Bucket", "StaticAssets");
        var config = template.One("AWS::CloudFront::Distribution")["DistributionConfig"]!;
        var s3Origin = Assert.Single(config["Origins"]!.AsArray(), o => o!["S3OriginConfig"] is not null)!;
        Assert.True(Refs.RefersTo(s3Origin["DomainName"], bucket.Id));
        Assert.True(Refs.IsRefTo(s3Origin["OriginAccessControlId"], template.One("AWS::CloudFront::OriginAccessControl").Id));
        var policy = Assert.Single(template.OfType("AWS::S3::BucketPolicy"), p => Refs.IsRefTo(p["Bucket"], bucket.Id));
        var allows = policy["PolicyDocument"]!["Statement"]!.AsArray().Where(s => (string?)s!["Effect"] == "Allow").ToList();
        var allow = Assert.Single(allows)!;
        Assert.Equal("cloudfront.amazonaws.com", (string?)allow["Principal"]!["Service"]);
        Assert.True(Refs.RefersTo(allow["Condition"], template.One("AWS::CloudFront::Distribution").Id));
        Assert.True((bool?)bucket["PublicAccessBlockConfiguration.RestrictPublicBuckets"]);
    }

    [Theory]
    [MemberData(nameof(PublishedEnvironments.Names), MemberType = typeof(PublishedEnvironments))]
    public void Waf_on_the_alb_has_core_sql_injection_and_2000_per_5_minutes_rules(string environment)
    {
        var template = published[environment].Environment;

        var acl = template.One("AWS::WAFv2::WebACL");
        var association = template.One("AWS::WAFv2::WebACLAssociation");
        Assert.Equal("REGIONAL", (string?)acl["Scope"]);
        Assert.True(Refs.IsRefTo(association["ResourceArn"], template.One("AWS::ElasticLoadBalancingV2::LoadBalancer").Id));
        Assert.True(Refs.RefersTo(association["WebACLArn"], acl.Id));
        var rules = acl["Rules"]!.AsArray();
        var managed = rules.Select(r => (string?)r!["Statement"]!["ManagedRuleGroupStatement"]?["Name"]).OfType<string>().ToList();
        Assert.Contains("AWSManagedRulesCommonRuleSet", managed);
        Assert.Contains("AWSManagedRulesSQLiRuleSet", managed);
        var rate = Assert.Single(rules, r => r!["Statement"]!["RateBasedStatement"] is not null)!;
        Assert.Equal(2000, (int?)rate["Statement"]!["RateBasedStatement"]!["Limit"]);
        Assert.Equal(300, (int?)rate["Statement"]!["RateBasedStatement"]!["EvaluationWindowSec"]);
        Assert.Equal("IP", (string?)rate["Statement"]!["RateBasedStatement"]!["AggregateKeyType"]);
        Assert.NotNull(rate["Action"]!["Block"]);
    }

    [Theory]
    [MemberData(nameof(PublishedEnvironments.Names), MemberType = typeof(PublishedEnvironments))]
    public void Route53_alias_record_points_the_domain_at_cloudfront(string environment)
    {
        var template = published[environment].Environment;
        var domain = published[environment].Profile.DomainName;

        var record = Assert.Single(template.OfType("AWS::Route53::RecordSet"), r => (string?)r["Name"] == $"{domain}.");
        Assert.Equal("A", (string?)record["Type"]);
        Assert.True(Refs.RefersTo(record["AliasTarget"]!["DNSName"], template.One("AWS::CloudFront::Distribution").Id));
        Assert.True(Refs.IsRefTo(record["HostedZoneId"], "HostedZoneId")); // the zone of menotime.ai, a stack parameter
    }
}
