using Mesh.Client.Launching;
using Mesh.Protocol;

namespace Mesh.Client.Managing;

/// <summary>
/// A kernel started by a <see cref="KernelManager"/>. <see cref="Client"/> stays valid across
/// restarts (it is pointed at the new process).
/// </summary>
public sealed class KernelHandle
{
    private readonly object _lock = new();
    private IKernelProcess? _process;

    internal KernelHandle(KernelSpec spec, string logFile)
    {
        Spec = spec;
        LogFile = logFile;
    }

    /// <summary>The spec it was started from.</summary>
    public KernelSpec Spec { get; }

    /// <summary>Kernel id.</summary>
    public string Id => Spec.Id;

    /// <summary>Client connected to the kernel.</summary>
    public Client Client { get; internal set; } = null!;

    /// <summary>The kernel's self-description from registration.</summary>
    public IReadOnlyDictionary<string, object?> Info { get; internal set; } = new Dictionary<string, object?>();

    /// <summary>Connection info including the kernel's addresses.</summary>
    public ConnectionInfo ConnectionInfo { get; internal set; } = null!;

    /// <summary>Path of the client connection file (for clients in other processes).</summary>
    public string? ClientConnectionFile { get; internal set; }

    /// <summary>Lifecycle state.</summary>
    public KernelState State { get; internal set; } = KernelState.Starting;

    /// <summary>Restarts so far.</summary>
    public int RestartCount { get; internal set; }

    /// <summary>Start-to-ready time of the latest start.</summary>
    public TimeSpan StartupTime { get; internal set; }

    /// <summary>The kernel's log file (stdout and stderr).</summary>
    public string LogFile { get; }

    /// <summary>The current process id.</summary>
    public int Pid => Process?.Pid ?? 0;

    /// <summary>The last lines of the kernel's output.</summary>
    public IReadOnlyList<string> LogTail() => Process?.LogTail() ?? [];

    /// <summary>Raised when the kernel dies or stops answering (calls in flight have failed).</summary>
    public event EventHandler<KernelLostException>? Lost;

    /// <summary>Raised after a successful restart.</summary>
    public event EventHandler? Restarted;

    internal IKernelProcess? Process
    {
        get { lock (_lock) return _process; }
        set { lock (_lock) _process = value; }
    }

    internal volatile bool Stopping;

    internal void RaiseLost(KernelLostException e) => Lost?.Invoke(this, e);

    internal void RaiseRestarted() => Restarted?.Invoke(this, EventArgs.Empty);
}
