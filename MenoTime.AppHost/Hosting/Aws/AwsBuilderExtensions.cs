using Microsoft.Extensions.Configuration;

namespace MenoTime.AppHost.Hosting.Aws;

public static class AwsBuilderExtensions
{
    public const string DefaultRegion = "us-west-1";

    /// <summary>moto, the local AWS emulator, on <paramref name="port"/> (any free port when null, and always in tests).</summary>
    public static IResourceBuilder<AwsEmulatorResource> AddAwsEmulator(this DistributedApplicationBuilder builder, string name, string region = DefaultRegion, int? port = null) =>
        builder.AddResource(new AwsEmulatorResource(name, region, builder.Options)).WithHttpEndpoint(port, AwsEmulatorResource.HttpEndpoint);

    /// <summary>
    /// The AWS resources of <paramref name="templatePath"/> (relative to the AppHost project) as a CloudFormation
    /// stack. By default it goes into the local emulator, which this adds to the graph as <c>{name}-emulator</c>;
    /// with <c>--aws-profile NAME</c> it goes into that profile's account (<c>--aws-region</c>, else the
    /// profile's region, else us-west-1). The stack's EnvironmentName parameter is <c>local</c>.
    /// </summary>
    public static IResourceBuilder<CloudFormationStackResource> AddAwsCloudFormationTemplate(
        this DistributedApplicationBuilder builder, string name, string templatePath)
    {
        var configuration = builder.Configuration;
        var profile = configuration["aws-profile"];
        var region = configuration["aws-region"] ?? (profile is null ? null : AwsProfiles.GetRegion(profile)) ?? DefaultRegion;
        AwsEmulatorResource? emulator = null;
        if (profile is null && !builder.IsPublishMode)
        {
            emulator = builder.AddAwsEmulator($"{name}-emulator", region, configuration.GetValue<int?>("aws-emulator-port")).Resource;
        }
        else if (profile is not null && builder.Options.StartupTimeout < TimeSpan.FromMinutes(15))
        {
            // A real stack takes minutes to create (S3, KMS); the emulator takes a second.
            builder.Options.StartupTimeout = TimeSpan.FromMinutes(15);
        }

        var path = Path.IsPathRooted(templatePath) ? templatePath : Path.Combine(Projects.RepositoryLayout.Root, "MenoTime.AppHost", templatePath);
        var stack = new CloudFormationStackResource(name, path, $"menotime-local-{name}", new AwsTarget(region, emulator, profile));
        stack.Parameters["EnvironmentName"] = "local";
        if (emulator is not null)
        {
            stack.WaitsFor.Add(new ResourceDependency(emulator, WaitBehavior.Healthy));
        }

        return builder.AddResource(stack);
    }
}
