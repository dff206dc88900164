using MenoTime.AppHost.Hosting;
using MenoTime.AppHost.Hosting.Aws;

namespace MenoTime.AppHost.Tests;

/// <summary>The aws resource against the real local emulator (moto): failures, and updates only on change.</summary>
public sealed class AwsStackTests
{
    private const string Template = """
        {
          "Resources": {
            "Key": { "Type": "AWS::KMS::Key", "Properties": { "KeyPolicy": "{\"Version\":\"2012-10-17\",\"Statement\":[]}" } },
            "Topic": { "Type": "AWS::SNS::Topic", "Properties": { "KmsMasterKeyId": { "Ref": "Key" } } }
          },
          "Outputs": { "KeyArn": { "Value": { "Fn::GetAtt": ["Key", "Arn"] } } }
        }
        """;

    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_stack_that_fails_stops_the_start_naming_the_failing_resource_and_why()
    {
        await using var graph = new TestGraph();
        var template = Path.Combine(graph.WorkDirectory, "broken.json");
        await File.WriteAllTextAsync(template, Template.Replace("""{ "Ref": "Key" }""", """{ "Fn::GetAtt": ["AuditKey", "Arn"] }""", StringComparison.Ordinal), Cancellation);
        var aws = graph.Builder.AddAwsCloudFormationTemplate("aws", template);
        graph.AddService("api").WithReference(aws).WaitFor(aws);

        var error = await Assert.ThrowsAsync<DistributedApplicationException>(() => graph.Build().StartAsync(Cancellation));

        Assert.StartsWith("aws: CloudFormation refused broken.json for stack menotime-local-aws: ValidationError:", error.Message, StringComparison.Ordinal);
        Assert.Contains("Fn::GetAtt references undefined resource AuditKey", error.Message, StringComparison.Ordinal);
        Assert.Empty(graph.Journal());
    }

    [Fact]
    public async Task A_stack_is_updated_only_when_its_template_changes()
    {
        await using var graph = new TestGraph();
        var template = Path.Combine(graph.WorkDirectory, "app.json");
        await File.WriteAllTextAsync(template, Template, Cancellation);
        var aws = graph.Builder.AddAwsCloudFormationTemplate("aws", template);
        var app = graph.Build();
        await app.StartAsync(Cancellation);
        var stack = aws.Resource;
        var emulator = (AwsEmulatorResource)app.GetResource("aws-emulator");
        using var http = new HttpClient();
        var client = new CloudFormationClient(http, emulator.GetEndpoint(app), "us-west-1", CloudFormationStackResource.EmulatorCredentials, TimeProvider.System);
        var log = new ResourceLog("test");
        var provisioner = new StackProvisioner(client, stack.StackName, TimeSpan.FromMilliseconds(100), log, "aws");
        Dictionary<string, string> Tags(string body) => new() { [CloudFormationStackResource.TemplateHashTag] = stack.ComputeTemplateHash(body) };

        var unchanged = await provisioner.ProvisionAsync(Template, stack.Parameters, Tags(Template), Cancellation);
        var changedTemplate = Template.Replace("""
            "Outputs": {
            """, """
            "Outputs": { "TopicArn": { "Value": { "Ref": "Topic" } },
            """, StringComparison.Ordinal);
        var changed = await provisioner.ProvisionAsync(changedTemplate, stack.Parameters, Tags(changedTemplate), Cancellation);

        Assert.Contains(app.GetLog("aws").Snapshot(), l => l.Text == "creating stack menotime-local-aws");
        Assert.Equal(stack.Outputs, unchanged);
        Assert.Equal(["stack menotime-local-aws is up to date (template unchanged)", "updating stack menotime-local-aws (the template changed)", "stack menotime-local-aws is UPDATE_COMPLETE with 2 outputs"],
            log.Snapshot().Select(l => l.Text));
        Assert.StartsWith("arn:aws:sns:us-west-1:", changed["TopicArn"], StringComparison.Ordinal);
        var described = await client.DescribeStackAsync(stack.StackName, Cancellation);
        Assert.Equal(stack.ComputeTemplateHash(changedTemplate), described!.Tags[CloudFormationStackResource.TemplateHashTag]);
    }
}
