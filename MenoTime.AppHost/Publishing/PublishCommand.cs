using System.Diagnostics;
using MenoTime.AppHost.Hosting;

namespace MenoTime.AppHost.Publishing;

/// <summary><c>publish --environment dev|staging|prod [--output dir]</c>: templates, images, cost.</summary>
public static class PublishCommand
{
    public static int Run(DistributedApplication model)
    {
        var profile = EnvironmentProfile.Find(model.Configuration["environment"]);
        if (profile is null)
        {
            Console.Error.WriteLine("publish: --environment must be one of dev, staging, prod.");
            return 2;
        }

        var output = Path.GetFullPath(model.Configuration["output"] ?? Path.Combine(model.Options.RepositoryRoot, "cdk.out", profile.Name));
        Console.WriteLine($"publishing {profile.Name} to {output} (Amazon.CDK.Lib synth, about 15 s)");
        var clock = Stopwatch.StartNew();
        var result = Publisher.Synthesize(model, profile, output);
        Console.WriteLine($"synthesized in {clock.Elapsed.TotalSeconds:F1} s:");
        Console.WriteLine($"  {Path.GetFileName(result.SharedTemplatePath)}   (account-wide, deploy once)");
        Console.WriteLine($"  {Path.GetFileName(result.EnvironmentTemplatePath)}");
        Console.WriteLine("images (pushed by the deploy step; the stack's ImageTag parameter picks the tag):");
        foreach (var (service, image) in result.Images)
        {
            Console.WriteLine($"  {service,-12} {image}");
        }

        Console.WriteLine($"estimated monthly cost of {profile.Name}, us-west-1 prices of {result.Cost.PricesAsOf} (Publishing/prices-us-west-1.json):");
        Console.WriteLine(result.Cost.Format());
        Console.WriteLine("account-wide (once for all environments):");
        Console.WriteLine(result.SharedCost.Format());
        return 0;
    }
}
