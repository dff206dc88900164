namespace MenoTime.Publishing.Tests;

/// <summary>cfn-lint (the AWS CloudFormation linter, offline, with us-west-1's resource specifications).</summary>
public sealed class CfnLintTests(PublishedEnvironments published)
{
    [Theory]
    [MemberData(nameof(PublishedEnvironments.Names), MemberType = typeof(PublishedEnvironments))]
    public async Task Cfn_lint_reports_no_error_in_the_environment_and_shared_templates(string environment)
    {
        var (exitCode, output) = await Tools.CfnLintAsync(published[environment].Result.EnvironmentTemplatePath, published[environment].Result.SharedTemplatePath);

        TestContext.Current.SendDiagnosticMessage($"cfn-lint {environment}: exit {exitCode}\n{output}");
        Assert.True((exitCode & 2) == 0 && exitCode is 0 or 4 or 8 or 12, $"cfn-lint exit code {exitCode}:\n{output}");
    }

    [Fact]
    public async Task Cfn_lint_reports_nothing_in_the_app_resources_template()
    {
        var template = Path.Combine(Path.GetDirectoryName(typeof(CfnLintTests).Assembly.Location)!, "..", "..", "..", "..", "..", "MenoTime.AppHost", "aws", "app-resources.json");

        var (exitCode, output) = await Tools.CfnLintAsync(Path.GetFullPath(template));

        Assert.True(exitCode == 0, output);
    }
}
