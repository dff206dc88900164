using Amazon.CDK;
using MenoTime.AppHost.Hosting;

namespace MenoTime.AppHost.Publishing;

/// <summary>What publish wrote: the two templates, which image each service runs, and what it costs.</summary>
public sealed record PublishResult(
    string OutputDirectory,
    string SharedTemplatePath,
    string EnvironmentTemplatePath,
    IReadOnlyDictionary<string, string> Images,
    CostEstimate Cost,
    CostEstimate SharedCost);

/// <summary>
/// The application model → a CDK app with two stacks: <c>MenoTime-shared</c> (account-wide, deployed once) and
/// <c>MenoTime-{environment}</c>, synthesized to CloudFormation in the output directory. Region us-west-1
/// (seed 001), account left to the deploy's credentials; no bootstrap stack is needed (no assets).
/// </summary>
public static class Publisher
{
    public static PublishResult Synthesize(DistributedApplication model, EnvironmentProfile profile, string outputDirectory)
    {
        // Amazon.CDK.Lib runs its JavaScript on this machine's Node, which jsii warns about on every synth.
        System.Environment.SetEnvironmentVariable("JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION", "1");
        System.Environment.SetEnvironmentVariable("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "1");
        Directory.CreateDirectory(outputDirectory);
        var app = new App(new AppProps { Outdir = outputDirectory });
        StackProps Props(string description) => new()
        {
            Env = new Amazon.CDK.Environment { Region = EnvironmentProfile.Region },
            Description = description,
            // Deployed with plain CloudFormation (no CDK bootstrap stack): no bootstrap-version rule.
            Synthesizer = new DefaultStackSynthesizer(new DefaultStackSynthesizerProps { GenerateBootstrapVersionRule = false }),
            TerminationProtection = profile.DeletionProtection,
        };

        var projects = model.PublishedResources.OfType<ProjectResource>().ToList();
        var shared = new SharedTopology(app, Props("MenoTime account-wide: image repositories, GuardDuty, CloudTrail, AWS Config, SES identity"), projects.Select(EnvironmentTopology.RepositoryName));
        var environment = new EnvironmentTopology(app, Props($"MenoTime {profile.Name}: VPC, ALB, CloudFront, ECS Fargate, RDS PostgreSQL, Cognito, app resources"), profile, model);
        app.Synth();

        var images = projects.ToDictionary(
            p => p.Name,
            p => $"<account>.dkr.ecr.{EnvironmentProfile.Region}.amazonaws.com/{EnvironmentTopology.RepositoryName(p)}:<ImageTag>",
            StringComparer.Ordinal);
        return new PublishResult(
            outputDirectory,
            Path.Combine(outputDirectory, $"{shared.StackName}.template.json"),
            Path.Combine(outputDirectory, $"{environment.StackName}.template.json"),
            images,
            CostEstimate.For(environment),
            CostEstimate.Shared());
    }
}
