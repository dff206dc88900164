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

    /// <summary>True while any process of the group led by <paramref name="groupId"/> is alive.</summary>
    public static bool GroupIsAlive(int groupId) => Send(-groupId, 0);

    public static bool IsRoot => geteuid() == 0;

    [DllImport("libc", SetLastError = true)]
#pragma warning disable SYSLIB1054 // LibraryImport would need unsafe code for no gain on two calls.
    private static extern int kill(int pid, int sig);

    [DllImport("libc")]
    private static extern uint geteuid();
#pragma warning restore SYSLIB1054
}
