using Amazon;
using Amazon.KeyManagementService;
using MenoTime.Aws;
using MenoTime.Aws.FieldEncryption;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.Hosting;

public static class AwsExtensions
{
    /// <summary>
    /// The app-resources outputs (<see cref="AwsResources"/>) and AWS clients configured from the contract:
    /// <c>AWS_REGION</c>, and <c>AWS_ENDPOINT_URL</c> only when an emulator stands in for AWS. Credentials come
    /// from the SDK's default chain: environment locally, the ECS task role in AWS.
    /// </summary>
    public static TBuilder AddMenoTimeAws<TBuilder>(this TBuilder builder) where TBuilder : IHostApplicationBuilder
    {
        builder.Services.AddOptions<AwsResources>().Bind(builder.Configuration.GetSection(AwsResources.Section));
        var configuration = builder.Configuration;
        builder.Services.TryAddSingleton<IAmazonKeyManagementService>(_ => new AmazonKeyManagementServiceClient(CreateConfig<AmazonKeyManagementServiceConfig>(configuration)));
        return builder;
    }

    /// <summary>
    /// Envelope encryption of sensitive fields (<see cref="IFieldEncryptor"/>) with the stack's KMS key, and a
    /// readiness check proving that this service can encrypt and decrypt with it.
    /// </summary>
    public static TBuilder AddFieldEncryption<TBuilder>(this TBuilder builder) where TBuilder : IHostApplicationBuilder
    {
        builder.AddMenoTimeAws();
        builder.Services.AddOptions<FieldEncryptionOptions>()
            .Bind(builder.Configuration.GetSection(FieldEncryptionOptions.Section))
            .PostConfigure<IOptions<AwsResources>>((options, resources) => options.KeyId ??= resources.Value.FieldEncryptionKeyArn)
            .Validate(
                options => !string.IsNullOrWhiteSpace(options.KeyId),
                "AWS__Resources__FieldEncryptionKeyArn is not set. Start MenoTime with 'dotnet run --project MenoTime.AppHost', which provisions the key, or set it to a KMS key ARN.")
            .ValidateOnStart();
        builder.Services.TryAddSingleton<IFieldEncryptor, EnvelopeFieldEncryptor>();
        builder.Services.AddHealthChecks().AddCheck<FieldEncryptionHealthCheck>("field-encryption");
        return builder;
    }

    /// <summary>An SDK client configuration for the region and, with an emulator, its endpoint.</summary>
    public static TConfig CreateConfig<TConfig>(IConfiguration configuration) where TConfig : Amazon.Runtime.ClientConfig, new()
    {
        var region = configuration["AWS_REGION"] ?? "us-west-1";
        var config = new TConfig();
        if (configuration["AWS_ENDPOINT_URL"] is { Length: > 0 } endpoint)
        {
            config.ServiceURL = endpoint;
            config.AuthenticationRegion = region;
        }
        else
        {
            config.RegionEndpoint = RegionEndpoint.GetBySystemName(region);
        }

        return config;
    }
}
