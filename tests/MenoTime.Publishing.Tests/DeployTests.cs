using System.Diagnostics;
using MenoTime.AppHost.Hosting;

namespace MenoTime.Publishing.Tests;

/// <summary>deploy/deploy.sh: publish, push images, deploy the stacks; its dry run needs no AWS account.</summary>
public sealed class DeployTests
{
    [Fact]
    public async Task Deploy_dry_run_publishes_and_prints_each_aws_step_in_order_without_running_it()
    {
        var root = Path.GetFullPath(Path.Combine(AppContext.BaseDirectory, "..", "..", "..", "..", ".."));
        var output = Directory.CreateTempSubdirectory("menotime-deploy-").FullName;
        var start = new ProcessStartInfo(ExecutableLocator.Find("bash")!) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in new[] { Path.Combine(root, "deploy", "deploy.sh"), "prod", "--dry-run", "--output", output })
        {
            start.ArgumentList.Add(argument);
        }

        start.Environment["MENOTIME_APPHOST"] = Path.Combine(AppContext.BaseDirectory, "MenoTime.AppHost.dll");
        start.Environment["PATH"] = "/usr/bin:/bin:" + Path.GetDirectoryName(ExecutableLocator.Find("dotnet")); // no aws CLI: nothing may call it
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken);
        var stderr = process.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
        await process.WaitForExitAsync(TestContext.Current.CancellationToken);
        var text = await stdout + await stderr;

        try
        {
            Assert.True(process.ExitCode == 0, text);
            Assert.True(File.Exists(Path.Combine(output, "MenoTime-prod.template.json")), text);
            var commands = text.Split('\n').Where(l => l.StartsWith("+ ", StringComparison.Ordinal)).ToList();
            Assert.Equal(6, commands.Count);
            Assert.StartsWith("+ aws cloudformation deploy --region us-west-1 --stack-name MenoTime-shared", commands[0], StringComparison.Ordinal);
            Assert.All(commands.Skip(1).Take(3), c => Assert.Contains("-t:PublishContainer -p:ContainerRegistry=<account>.dkr.ecr.us-west-1.amazonaws.com", c, StringComparison.Ordinal));
            Assert.StartsWith("+ aws cloudformation deploy --region us-west-1 --stack-name MenoTime-prod", commands[4], StringComparison.Ordinal);
            Assert.Contains("CAPABILITY_AUTO_EXPAND", commands[4], StringComparison.Ordinal); // prod's rotation function is a SAM application
            Assert.Matches("ImageTag=[0-9a-f]{12} ", commands[4]);
            Assert.StartsWith("+ aws ecs wait services-stable --region us-west-1 --cluster menotime-prod-cluster", commands[5], StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(output, recursive: true);
        }
    }
}
