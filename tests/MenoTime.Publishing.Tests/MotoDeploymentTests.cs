using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using System.Xml.Linq;
using MenoTime.AppHost.Hosting;
using MenoTime.AppHost.Hosting.Aws;

namespace MenoTime.Publishing.Tests;

/// <summary>
/// The dev templates deployed into the local AWS emulator (moto 5.2.1) with plain CreateStack, as far as moto's
/// CloudFormation goes. What moto cannot create is left out and every reference to it replaced by a
/// placeholder ARN: CloudFront, WAF, Cognito, ACM, Secrets Manager, AWS Backup, CloudWatch alarms, SES,
/// GuardDuty, CloudTrail, AWS Config, Application Auto Scaling, bucket and topic policies, security group
/// egress rules (moto has no CloudFormation model for them), and VPC flow logs (moto 5.2.1 fails on them).
/// Two more moto defects are worked around: KMS keys lose their tags (moto expects TagKey/TagValue) and the DB
/// instance uses the default parameter group (moto takes a Ref to a parameter group for the object itself).
/// </summary>
public sealed class MotoDeploymentTests(PublishedEnvironments published)
{
    private static readonly string[] MotoFailsOn = ["AWS::EC2::FlowLog"];

    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task The_dev_templates_supported_resources_deploy_into_moto()
    {
        var state = Directory.CreateTempSubdirectory("menotime-moto-").FullName;
        var options = new DistributedApplicationOptions { IsTesting = true, EchoResourceOutput = false, StateDirectory = state, RepositoryRoot = state };
        var builder = DistributedApplication.CreateBuilder(options);
        var emulator = builder.AddAwsEmulator("aws-emulator").Resource;
        await using var app = builder.Build();
        await app.StartAsync(Cancellation);
        using var http = new HttpClient();
        var endpoint = emulator.GetEndpoint(app);
        var client = new CloudFormationClient(http, endpoint, "us-west-1", CloudFormationStackResource.EmulatorCredentials, TimeProvider.System);
        var supported = Tools.RunPython("import moto.cloudformation.parsing as p\nprint('\\n'.join(p.get_model_map()))")
            .Split('\n', StringSplitOptions.RemoveEmptyEntries).Except(MotoFailsOn).ToHashSet(StringComparer.Ordinal);
        var zoneId = await CreateHostedZoneAsync(http, endpoint);
        var certificateArn = await RequestCertificateAsync(http, endpoint, "origin.dev.menotime.ai");

        var results = new List<string>();
        foreach (var (name, template) in new[] { ("MenoTime-shared", published["dev"].Shared), ("MenoTime-dev", published["dev"].Environment) })
        {
            var (body, kept, skipped) = Deployable(template, supported, certificateArn);
            await client.CreateStackAsync(name, body, new Dictionary<string, string>(StringComparer.Ordinal)
            {
                ["HostedZoneId"] = zoneId,
                ["CloudFrontCertificateArn"] = "arn:aws:acm:us-east-1:123456789012:certificate/moto",
            }.Where(p => template.Root["Parameters"]?[p.Key] is not null).ToDictionary(), new Dictionary<string, string>(), Cancellation);

            var stack = await client.DescribeStackAsync(name, Cancellation);
            Assert.Equal("CREATE_COMPLETE", stack!.Status);
            results.Add($"{name}: {kept} resources created, {skipped.Count} left out ({string.Join(", ", skipped.Order())})");
            if (name == "MenoTime-dev")
            {
                Assert.Equal("menotime-dev-cluster", stack.Outputs["EcsClusterName"]);
                Assert.False(string.IsNullOrEmpty(stack.Outputs["DatabaseEndpointAddress"]));
                Assert.False(string.IsNullOrEmpty(stack.Outputs["LoadBalancerDnsName"]));
                Assert.StartsWith("arn:aws:kms:us-west-1:", stack.Outputs["FieldEncryptionKeyArn"], StringComparison.Ordinal);
                Assert.Equal(2, stack.Outputs["TaskSubnetIds"].Split(',').Length);
                Assert.True(kept >= 75, $"only {kept} resources deployed");
            }
        }

        TestContext.Current.SendDiagnosticMessage(string.Join('\n', results));
        Directory.Delete(state, recursive: true);
    }

    /// <summary>The template without what moto cannot create, references to it replaced by placeholder ARNs.</summary>
    private static (string Body, int Kept, List<string> SkippedTypes) Deployable(Template template, HashSet<string> supported, string certificateArn)
    {
        var root = template.Root.DeepClone().AsObject();
        var resources = root["Resources"]!.AsObject();
        var removed = resources.Where(r => !supported.Contains((string)r.Value!["Type"]!)).ToDictionary(r => r.Key, r => (string)r.Value!["Type"]!);
        foreach (var id in removed.Keys)
        {
            resources.Remove(id);
        }

        JsonNode? Replace(JsonNode? node)
        {
            switch (node)
            {
                case JsonObject o when o["Ref"] is JsonValue r && removed.TryGetValue((string)r!, out var type):
                    return type == "AWS::CertificateManager::Certificate" ? certificateArn : $"arn:aws:moto-skipped:us-west-1:123456789012:{(string)r!}";
                case JsonObject o when o["Fn::GetAtt"] is JsonArray a && removed.ContainsKey((string)a[0]!):
                    return $"arn:aws:moto-skipped:us-west-1:123456789012:{(string)a[0]!}";
                case JsonObject o:
                    foreach (var key in o.Select(p => p.Key).ToList())
                    {
                        o[key] = Replace(o[key]?.DeepClone());
                    }

                    return o;
                case JsonArray a:
                    for (var i = 0; i < a.Count; i++)
                    {
                        a[i] = Replace(a[i]?.DeepClone());
                    }

                    return a;
                default:
                    return node;
            }
        }

        foreach (var (id, resource) in resources.ToList())
        {
            var replaced = Replace(resource!.DeepClone())!.AsObject();
            if (replaced["DependsOn"] is JsonNode dependsOn)
            {
                var remaining = (dependsOn is JsonArray list ? list.Select(d => (string)d!) : [(string)dependsOn!]).Where(d => !removed.ContainsKey(d)).ToArray();
                replaced.Remove("DependsOn");
                if (remaining.Length > 0)
                {
                    replaced["DependsOn"] = new JsonArray([.. remaining.Select(d => JsonValue.Create(d))]);
                }
            }

            var properties = replaced["Properties"]?.AsObject();
            if ((string?)replaced["Type"] == "AWS::KMS::Key")
            {
                properties?.Remove("Tags");
            }

            if ((string?)replaced["Type"] == "AWS::RDS::DBInstance" && properties?["DBParameterGroupName"] is JsonObject)
            {
                properties["DBParameterGroupName"] = "default.postgres15";
            }

            resources[id] = replaced;
        }

        if (root["Outputs"] is JsonObject outputs)
        {
            root["Outputs"] = Replace(outputs.DeepClone());
        }

        return (root.ToJsonString(), resources.Count, removed.Values.Distinct().ToList());
    }

    private static async Task<string> CreateHostedZoneAsync(HttpClient http, Uri endpoint)
    {
        var body = """<CreateHostedZoneRequest xmlns="https://route53.amazonaws.com/doc/2013-04-01/"><Name>menotime.ai</Name><CallerReference>menotime-moto-test</CallerReference></CreateHostedZoneRequest>""";
        var answer = await SendAsync(http, new Uri(endpoint, "/2013-04-01/hostedzone"), body, "application/xml", "route53", "us-east-1", target: null);
        var id = XElement.Parse(answer).Descendants().First(e => e.Name.LocalName == "Id").Value;
        return id.Split('/').Last();
    }

    private static async Task<string> RequestCertificateAsync(HttpClient http, Uri endpoint, string domain)
    {
        var answer = await SendAsync(http, endpoint, $$"""{"DomainName":"{{domain}}","ValidationMethod":"DNS"}""", "application/x-amz-json-1.1", "acm", "us-west-1", "CertificateManager.RequestCertificate");
        return (string)JsonNode.Parse(answer)!["CertificateArn"]!;
    }

    private static async Task<string> SendAsync(HttpClient http, Uri uri, string body, string contentType, string service, string region, string? target)
    {
        var bytes = Encoding.UTF8.GetBytes(body);
        using var request = new HttpRequestMessage(HttpMethod.Post, uri) { Content = new ByteArrayContent(bytes) };
        request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        if (target is not null)
        {
            request.Headers.Add("X-Amz-Target", target);
        }

        SigV4.Sign(request, bytes, CloudFormationStackResource.EmulatorCredentials, region, service, DateTimeOffset.UtcNow);
        using var response = await http.SendAsync(request, Cancellation);
        var text = await response.Content.ReadAsStringAsync(Cancellation);
        Assert.True(response.IsSuccessStatusCode, $"{service}: {(int)response.StatusCode} {text}");
        return text;
    }
}
