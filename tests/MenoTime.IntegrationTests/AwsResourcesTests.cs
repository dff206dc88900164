using System.Net.Http.Json;
using System.Text.Json;
using Amazon.KeyManagementService;
using Amazon.KeyManagementService.Model;
using Amazon.Runtime;
using MenoTime.AppHost.Hosting.Aws;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;

namespace MenoTime.IntegrationTests;

/// <summary>Run mode's app resources: the CloudFormation stack in moto, its outputs in the services' configuration.</summary>
public sealed class AwsResourcesTests(MenoTimeGraph graph)
{
    public static readonly string[] OutputKeys =
    [
        "FieldEncryptionKeyArn", "FieldEncryptionKeyAlias", "AuditArchiveBucketName",
        "PatientExportsBucketName", "EmailConfigurationSetName", "EmailNotificationsTopicArn",
    ];

    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public void Every_stack_output_arrives_in_the_api_and_worker_configuration_with_the_emulator_endpoint()
    {
        var stack = (CloudFormationStackResource)graph.App.GetResource("aws");
        var emulator = (AwsEmulatorResource)graph.App.GetResource("aws-emulator");

        Assert.Equal(OutputKeys.Order(), stack.Outputs.Keys.Order());
        foreach (var service in new[] { "api", "worker" })
        {
            var environment = graph.App.GetInstances(graph.App.GetResource(service)).Single().Environment;
            foreach (var (key, value) in stack.Outputs)
            {
                Assert.False(string.IsNullOrWhiteSpace(value), key);
                Assert.Equal(value, environment[$"AWS__Resources__{key}"]);
            }

            Assert.Equal("us-west-1", environment["AWS_REGION"]);
            Assert.Equal(emulator.GetEndpoint(graph.App).ToString().TrimEnd('/'), environment["AWS_ENDPOINT_URL"]);
        }
    }

    [Fact]
    public async Task The_stack_key_exists_in_the_emulator_with_rotation_and_its_alias()
    {
        using var kms = CreateKmsClient(graph);
        var outputs = ((CloudFormationStackResource)graph.App.GetResource("aws")).Outputs;

        var byAlias = await kms.DescribeKeyAsync(new DescribeKeyRequest { KeyId = outputs["FieldEncryptionKeyAlias"] }, Cancellation);
        var rotation = await kms.GetKeyRotationStatusAsync(new GetKeyRotationStatusRequest { KeyId = outputs["FieldEncryptionKeyArn"] }, Cancellation);

        Assert.Equal(outputs["FieldEncryptionKeyArn"], byAlias.KeyMetadata.Arn);
        Assert.Equal("alias/menotime-local-field-encryption", outputs["FieldEncryptionKeyAlias"]);
        Assert.True(rotation.KeyRotationEnabled);
    }

    [Fact]
    public async Task Api_readiness_proves_it_encrypts_with_the_stack_key()
    {
        var health = await graph.Api.GetFromJsonAsync<JsonElement>("/health", Cancellation);
        var keyArn = ((CloudFormationStackResource)graph.App.GetResource("aws")).Outputs["FieldEncryptionKeyArn"];

        var check = health.GetProperty("checks").GetProperty("field-encryption");
        Assert.Equal("Healthy", check.GetProperty("status").GetString());
        Assert.Equal($"encrypts with {keyArn}", check.GetProperty("description").GetString());
    }

    /// <summary>A KMS client configured exactly as the services configure theirs, from the api's environment.</summary>
    public static AmazonKeyManagementServiceClient CreateKmsClient(MenoTimeGraph graph)
    {
        var environment = graph.App.GetInstances(graph.App.GetResource("api")).Single().Environment;
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(environment.Select(e => new KeyValuePair<string, string?>(e.Key, e.Value))).Build();
        return new AmazonKeyManagementServiceClient(
            new BasicAWSCredentials(environment["AWS_ACCESS_KEY_ID"], environment["AWS_SECRET_ACCESS_KEY"]),
            AwsExtensions.CreateConfig<AmazonKeyManagementServiceConfig>(configuration));
    }
}
