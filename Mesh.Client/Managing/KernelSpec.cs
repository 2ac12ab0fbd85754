using Mesh.Client.Launching;

namespace Mesh.Client.Managing;

/// <summary>How to start and look after one kernel.</summary>
public sealed record KernelSpec
{
    /// <summary>Unique kernel id (also names its log and connection files).</summary>
    public required string Id { get; init; }

    /// <summary>What starts the process.</summary>
    public required IKernelLauncher Launcher { get; init; }

    /// <summary>Extra environment variables for the kernel.</summary>
    public IReadOnlyDictionary<string, string?> Environment { get; init; } = new Dictionary<string, string?>();

    /// <summary>Working directory (default: the manager's).</summary>
    public string? WorkingDirectory { get; init; }

    /// <summary>Longest wait for registration and the first health reply.</summary>
    public TimeSpan StartupTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Heartbeat interval (two missed replies = lost).</summary>
    public TimeSpan HeartbeatInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>What to do when the kernel dies.</summary>
    public RestartPolicy Restart { get; init; } = RestartPolicy.Default;

    /// <summary><c>ipc</c> (Unix domain sockets in the manager's private run folder; the default
    /// where the OS has them) or <c>tcp</c> (loopback). Local kernels gain from ipc: no TCP stack,
    /// and only the user who owns the folder can connect.</summary>
    public string Transport { get; init; } = OperatingSystem.IsWindows() ? "tcp" : "ipc";
}
