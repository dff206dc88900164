using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using MenoTime.AppHost.Hosting;

namespace MenoTime.Publishing.Tests;

/// <summary>The publish command as an operator runs it, and the cost estimate it prints.</summary>
public sealed class PublishCommandTests(PublishedEnvironments published)
{
    [Fact]
    public async Task Publish_writes_both_templates_and_prints_the_images_and_the_monthly_cost()
    {
        var output = Directory.CreateTempSubdirectory("menotime-publish-cli-").FullName;
        try
        {
            var (exitCode, text) = await RunAppHostAsync("publish", "--environment", "staging", "--output", output);

            Assert.True(exitCode == 0, text);
            Assert.True(File.Exists(Path.Combine(output, "MenoTime-staging.template.json")), text);
            Assert.True(File.Exists(Path.Combine(output, "MenoTime-shared.template.json")), text);
            Assert.Contains("api          <account>.dkr.ecr.us-west-1.amazonaws.com/menotime/api:<ImageTag>", text, StringComparison.Ordinal);
            Assert.Contains("worker       <account>.dkr.ecr.us-west-1.amazonaws.com/menotime/worker:<ImageTag>", text, StringComparison.Ordinal);
            Assert.Contains("estimated monthly cost of staging, us-west-1 prices of 2026-11-01", text, StringComparison.Ordinal);
            var total = published["staging"].Result.Cost.MonthlyUsd.ToString("N2", CultureInfo.InvariantCulture);
            Assert.Matches($@"Total per month\s+{System.Text.RegularExpressions.Regex.Escape(total)}", text);
        }
        finally
        {
            Directory.Delete(output, recursive: true);
        }
    }

    [Fact]
    public async Task Publish_for_an_unknown_environment_says_which_exist_and_writes_nothing()
    {
        var (exitCode, text) = await RunAppHostAsync("publish", "--environment", "qa");

        Assert.Equal(2, exitCode);
        Assert.Contains("publish: --environment must be one of dev, staging, prod.", text, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(PublishedEnvironments.Names), MemberType = typeof(PublishedEnvironments))]
    public void Cost_estimate_prices_the_published_topology_with_the_dated_us_west_1_table(string environment)
    {
        var cost = published[environment].Result.Cost;
        var profile = published[environment].Profile;
        var table = JsonNode.Parse(File.ReadAllText(Path.Combine(RepositoryRoot, "MenoTime.AppHost", "Publishing", "prices-us-west-1.json")))!;
        decimal Price(string name) => (decimal)table["prices"]![name]!;

        Assert.Equal((string?)table["pricesAsOf"], cost.PricesAsOf);
        // Two services at the environment's minimum task count, at the table's Fargate prices, 730 hours.
        var fargate = 2 * profile.DesiredTasks * (profile.TaskCpu / 1024m * Price("fargateVcpuHour") + profile.TaskMemoryMiB / 1024m * Price("fargateGbHour")) * 730;
        Assert.Equal(Math.Round(fargate, 2), Assert.Single(cost.Lines, l => l.Item.StartsWith("ECS Fargate", StringComparison.Ordinal)).MonthlyUsd);
        Assert.Equal(Math.Round(Price("rdsDbM7gLargeHour") * 730, 2), Assert.Single(cost.Lines, l => l.Item.StartsWith("RDS PostgreSQL db.m7g.large", StringComparison.Ordinal)).MonthlyUsd);
        Assert.Equal(cost.Lines.Sum(l => l.MonthlyUsd), cost.MonthlyUsd);
        TestContext.Current.SendDiagnosticMessage($"{environment}: {cost.MonthlyUsd:N2} USD/month\n{cost.Format()}");
    }

    [Fact]
    public void Prod_costs_more_than_dev_and_the_three_environments_compare_with_the_seed_figure()
    {
        var totals = new[] { "dev", "staging", "prod" }.Select(n => published[n].Result.Cost.MonthlyUsd).ToList();
        var shared = published["prod"].Result.SharedCost.MonthlyUsd;

        Assert.True(published["prod"].Result.Cost.MonthlyUsd > published["dev"].Result.Cost.MonthlyUsd);
        TestContext.Current.SendDiagnosticMessage($"dev+staging+prod+shared = {totals.Sum() + shared:N2} USD/month (seed 001: ~616 at 250 patients)");
    }

    private static string RepositoryRoot => Path.GetFullPath(Path.Combine(AppContext.BaseDirectory, "..", "..", "..", "..", ".."));

    private static async Task<(int ExitCode, string Output)> RunAppHostAsync(params string[] arguments)
    {
        var start = new ProcessStartInfo(ExecutableLocator.Find("dotnet")!) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "MenoTime.AppHost.dll"));
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken);
        var errors = process.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
        await process.WaitForExitAsync(TestContext.Current.CancellationToken);
        return (process.ExitCode, await output + await errors);
    }
}
