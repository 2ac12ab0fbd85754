using System.Runtime.InteropServices;

namespace Mesh.Kernel.Hosting;

/// <summary>Exits the kernel (code 4) when the manager process that started it is gone.</summary>
internal static partial class ParentWatch
{
    public const int ExitCodeParentDied = 4;

    public static Timer? Start(int? parentPid, Action onParentDied)
    {
        if (parentPid is not { } pid || pid <= 1) return null;
        return new Timer(_ =>
        {
            if (!IsAlive(pid)) onParentDied();
        }, null, TimeSpan.FromMilliseconds(500), TimeSpan.FromMilliseconds(500));
    }

    /// <summary>kill(pid, 0): ESRCH means no such process; EPERM still means alive.</summary>
    public static bool IsAlive(int pid)
    {
        if (kill(pid, 0) == 0) return true;
        return Marshal.GetLastPInvokeError() != 3; // ESRCH
    }

    [LibraryImport("libc", SetLastError = true)]
    private static partial int kill(int pid, int sig);
}
