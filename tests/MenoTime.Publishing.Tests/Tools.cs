using System.Diagnostics;
using MenoTime.AppHost.Hosting.Aws;

namespace MenoTime.Publishing.Tests;

/// <summary>cfn-lint, found as .ci/run and the AppHost find moto: PATH first, then pyenv's Pythons.</summary>
public static class Tools
{
    private static readonly Lazy<string> Python = new(() =>
        AwsEmulatorResource.PythonWithMoto.Value is { } python && Runs(python, "-c", "import cfnlint")
            ? python
            : throw new InvalidOperationException("No Python here imports cfnlint and moto. Install them: pip install 'moto[server]==5.2.1' cfn-lint==1.51.0"));

    /// <summary>Runs cfn-lint on <paramref name="templates"/> for us-west-1; exit code: bit 2 errors, bit 4 warnings.</summary>
    public static async Task<(int ExitCode, string Output)> CfnLintAsync(params string[] templates)
    {
        var start = new ProcessStartInfo(Python.Value) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in new[] { "-c", "import sys; from cfnlint.runner import main; sys.argv[0] = 'cfn-lint'; sys.exit(main())", "--regions", "us-west-1", "--" }.Concat(templates))
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return (process.ExitCode, await output + await errors);
    }

    /// <summary>Runs a Python script with the interpreter that has cfn-lint and moto; returns what it printed.</summary>
    public static string RunPython(string script)
    {
        var start = new ProcessStartInfo(Python.Value, ["-c", script]) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        using var process = Process.Start(start)!;
        var errors = process.StandardError.ReadToEndAsync();
        var output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        return process.ExitCode == 0 ? output : throw new InvalidOperationException($"python failed: {errors.Result}");
    }

    private static bool Runs(string program, params string[] arguments)
    {
        using var process = Process.Start(new ProcessStartInfo(program, arguments) { RedirectStandardError = true, UseShellExecute = false })!;
        process.StandardError.ReadToEnd();
        process.WaitForExit();
        return process.ExitCode == 0;
    }
}
