namespace Mesh.Client.Launching;

/// <summary>A launched kernel process, as the manager sees it.</summary>
public interface IKernelProcess : IDisposable
{
    /// <summary>Process id (also its process-group id for local launches).</summary>
    int Pid { get; }

    /// <summary>Completes when the process has exited (and been reaped).</summary>
    Task Exited { get; }

    /// <summary>Exit code after exit, if it exited normally.</summary>
    int? ExitCode { get; }

    /// <summary>The signal that killed it, if any.</summary>
    int? Signal { get; }

    /// <summary>Sends a signal to the kernel's whole process group.</summary>
    void SignalGroup(int signal);

    /// <summary>The last lines the process wrote (stdout and stderr).</summary>
    IReadOnlyList<string> LogTail();

    /// <summary>The log file on disk.</summary>
    string LogFile { get; }
}
