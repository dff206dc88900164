using System.Runtime.InteropServices;

namespace MenoTime.AppHost.Hosting;

/// <summary>POSIX signals for child processes (Linux numbering), which .NET's Process cannot send.</summary>
public static partial class Signals
{
    public const int SigInt = 2;
    public const int SigKill = 9;
    public const int SigTerm = 15;

    private const int NoSuchProcess = 3; // ESRCH

    /// <summary>Sends a signal to a process, or to a whole process group when <paramref name="pid"/> is negative.</summary>
    /// <returns>False when no such process (or group) exists any more.</returns>
    public static bool Send(int pid, int signal)
    {
        if (kill(pid, signal) == 0)
        {
            return true;
        }

        var error = Marshal.GetLastPInvokeError();
        return error == NoSuchProcess
            ? false
            : throw new InvalidOperationException($"kill({pid}, {signal}) failed with errno {error}");
    }

    /// <summary>
    /// True while any process of the group led by <paramref name="groupId"/> is alive. Zombies do not count:
    /// a killed process whose parent has not reaped it yet holds no memory, file or port.
    /// </summary>
    public static bool GroupIsAlive(int groupId) =>
        Directory.EnumerateDirectories("/proc")
            .Select(ReadStat)
            .Any(stat => stat is { } s && s.GroupId == groupId && s.State != 'Z');

    /// <summary>True while the process exists and is not a zombie.</summary>
    public static bool IsAlive(int pid) => ReadStat($"/proc/{pid}") is { } stat && stat.State != 'Z';

    private static (char State, int GroupId)? ReadStat(string processDirectory)
    {
        try
        {
            // "pid (comm) state ppid pgrp ...": comm may contain spaces and parentheses, so parse after the last ')'.
            var stat = File.ReadAllText(Path.Combine(processDirectory, "stat"));
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            return (fields[0][0], int.Parse(fields[2], System.Globalization.CultureInfo.InvariantCulture));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or ArgumentOutOfRangeException)
        {
            return null; // Not a process directory, or the process is gone.
        }
    }

    public static bool IsRoot => geteuid() == 0;

    [DllImport("libc", SetLastError = true)]
#pragma warning disable SYSLIB1054 // LibraryImport would need unsafe code for no gain on two calls.
    private static extern int kill(int pid, int sig);

    [DllImport("libc")]
    private static extern uint geteuid();
#pragma warning restore SYSLIB1054
}
