using System.Diagnostics;
using System.Text.Json.Nodes;
using MenoTime.AppHost.Hosting;

namespace MenoTime.Publishing.Tests;

/// <summary>
/// The images <c>dotnet publish -t:PublishContainer</c> builds, as the .NET SDK computes their configuration
/// (the base image itself cannot be pulled here, so no image is built in the tests).
/// </summary>
public sealed class ContainerImageTests(PublishedEnvironments published)
{
    [Theory]
    [InlineData("MenoTime.Api", "menotime/api", "mcr.microsoft.com/dotnet/aspnet:10.0", "8000")]
    [InlineData("MenoTime.Worker", "menotime/worker", "mcr.microsoft.com/dotnet/aspnet:10.0", "8080")]
    [InlineData("MenoTime.MigrationService", "menotime/migrations", "mcr.microsoft.com/dotnet/runtime:10.0", null)]
    public async Task Each_service_image_runs_non_root_from_its_ecr_repository(string project, string repository, string baseImage, string? port)
    {
        var config = await ComputeContainerConfigAsync(project);

        Assert.Equal("app", (string?)config["Properties"]!["ContainerUser"]);
        Assert.Equal(repository, (string?)config["Properties"]!["ContainerRepository"]);
        Assert.Equal(baseImage, (string?)config["Properties"]!["ContainerBaseImage"]);
        var ports = config["Items"]?["ContainerPort"]?.AsArray().Select(p => (string?)p!["Identity"]).ToList() ?? [];
        Assert.Equal(port is null ? [] : [port], ports);
        // The published task definition pulls the same repository.
        var service = project == "MenoTime.MigrationService" ? "migrations" : project["MenoTime.".Length..].ToLowerInvariant();
        Assert.Contains(published["prod"].Result.Images, i => i.Key == service && i.Value.Contains($"/{repository}:", StringComparison.Ordinal));
    }

    private static async Task<JsonNode> ComputeContainerConfigAsync(string project)
    {
        var root = Path.GetFullPath(Path.Combine(AppContext.BaseDirectory, "..", "..", "..", "..", ".."));
        var start = new ProcessStartInfo(ExecutableLocator.Find("dotnet")!) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in new[]
        {
            "msbuild", Path.Combine(root, project, $"{project}.csproj"), "-t:ComputeContainerConfig", "-nologo",
            "-getProperty:ContainerUser", "-getProperty:ContainerRepository", "-getProperty:ContainerBaseImage", "-getItem:ContainerPort",
        })
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        var output = await process.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken);
        await process.WaitForExitAsync(TestContext.Current.CancellationToken);
        Assert.True(process.ExitCode == 0, output);
        return JsonNode.Parse(output)!;
    }
}
