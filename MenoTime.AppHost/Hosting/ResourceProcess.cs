using System.Diagnostics;

namespace MenoTime.AppHost.Hosting;

/// <summary>
/// One child process, started in its own session (setsid) so that Ctrl-C in the terminal reaches only the
/// host, which then stops the children itself in dependency order. Its process group id equals its pid,
/// which lets the host kill whatever the child spawned too.
/// </summary>
public sealed class ResourceProcess
{
    private readonly Process _process;
    private readonly TaskCompletionSource<int> _exited = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _stdoutClosed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _stderrClosed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private ResourceProcess(Process process) => _process = process;

    public int Id => _process.Id;

    /// <summary>Completes with the exit code when the process ends.</summary>
    public Task<int> Exited => _exited.Task;

    /// <summary>
    /// Starts <paramref name="command"/> with no input; <paramref name="onLine"/> receives each line of
    /// output (the flag is true for standard error). <paramref name="onExit"/> runs when it exits, before
    /// <see cref="Exited"/> completes.
    /// </summary>
    public static ResourceProcess Start(
        string command,
        IEnumerable<string> arguments,
        string workingDirectory,
        IReadOnlyDictionary<string, string> environment,
        string? runAsUser,
        Action<string, bool> onLine,
        Action<int>? onExit = null)
    {
        var executable = ExecutableLocator.Find(command) ?? throw new DistributedApplicationException($"'{command}' was not found on PATH.");
        var startInfo = new ProcessStartInfo("setsid")
        {
            WorkingDirectory = workingDirectory,
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        startInfo.ArgumentList.Add("--");
        if (runAsUser is not null)
        {
            foreach (var argument in new[] { "setpriv", $"--reuid={runAsUser}", $"--regid={runAsUser}", "--init-groups", "--" })
            {
                startInfo.ArgumentList.Add(argument);
            }
        }

        startInfo.ArgumentList.Add(executable);
        foreach (var argument in arguments)
        {
            startInfo.ArgumentList.Add(argument);
        }

        foreach (var (name, value) in environment)
        {
            startInfo.Environment[name] = value;
        }

        var process = new Process { StartInfo = startInfo, EnableRaisingEvents = true };
        var resourceProcess = new ResourceProcess(process);
        process.OutputDataReceived += (_, e) => resourceProcess.OnOutput(e.Data, isError: false, onLine);
        process.ErrorDataReceived += (_, e) => resourceProcess.OnOutput(e.Data, isError: true, onLine);
        process.Exited += (_, _) =>
        {
            try
            {
                onExit?.Invoke(process.ExitCode);
            }
            finally
            {
                resourceProcess._exited.TrySetResult(process.ExitCode);
            }
        };
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        process.StandardInput.Close();
        return resourceProcess;
    }

    /// <summary>
    /// Asks the process to stop with <paramref name="signal"/>, kills its whole group if it has not exited
    /// within <paramref name="timeout"/>, and in any case kills what it left behind in its group.
    /// </summary>
    /// <returns>The exit code.</returns>
    public async Task<int> StopAsync(int signal, TimeSpan timeout)
    {
        if (!Exited.IsCompleted)
        {
            Signals.Send(Id, signal);
            if (await Task.WhenAny(Exited, Task.Delay(timeout)) != Exited)
            {
                Signals.Send(-Id, Signals.SigKill);
            }
        }

        return await WaitForExitAsync();
    }

    /// <summary>Waits for the exit, kills what the process left behind in its group, drains its output.</summary>
    public async Task<int> WaitForExitAsync()
    {
        var exitCode = await Exited;
        Signals.Send(-Id, Signals.SigKill);
        // The last lines (often the reason it stopped) arrive after the exit; wait briefly for them.
        await Task.WhenAny(Task.WhenAll(_stdoutClosed.Task, _stderrClosed.Task), Task.Delay(TimeSpan.FromSeconds(1)));
        return exitCode;
    }

    /// <summary>Immediate SIGKILL of the process group: the last resort when the host itself is going away.</summary>
    public void Kill() => Signals.Send(-Id, Signals.SigKill);

    private void OnOutput(string? line, bool isError, Action<string, bool> onLine)
    {
        if (line is null)
        {
            (isError ? _stderrClosed : _stdoutClosed).TrySetResult();
            return;
        }

        onLine(line, isError);
    }

    /// <summary>Runs a command to completion (initdb, npm ci), its output going to <paramref name="onLine"/>.</summary>
    public static async Task<int> RunAsync(
        string command,
        IEnumerable<string> arguments,
        string workingDirectory,
        Action<string, bool> onLine,
        CancellationToken cancellationToken,
        string? runAsUser = null)
    {
        var process = Start(command, arguments, workingDirectory, new Dictionary<string, string>(), runAsUser, onLine);
        using var registration = cancellationToken.Register(process.Kill);
        var exitCode = await process.WaitForExitAsync();
        cancellationToken.ThrowIfCancellationRequested();
        return exitCode;
    }
}
