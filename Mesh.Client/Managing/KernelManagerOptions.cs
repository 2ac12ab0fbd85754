namespace Mesh.Client.Managing;

/// <summary>Manager settings.</summary>
public sealed record KernelManagerOptions
{
    /// <summary>Where kernel logs go (default: <c>$TMPDIR/mesh-&lt;pid&gt;-&lt;id&gt;/logs</c>).</summary>
    public string? LogDirectory { get; init; }

    /// <summary>Where connection files go (default: <c>$TMPDIR/mesh-&lt;pid&gt;-&lt;id&gt;/run</c>, mode 0700).</summary>
    public string? RuntimeDirectory { get; init; }

    /// <summary>Time running tasks get after a shutdown request.</summary>
    public TimeSpan ShutdownGrace { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>Time between SIGTERM and SIGKILL.</summary>
    public TimeSpan TerminateTimeout { get; init; } = TimeSpan.FromSeconds(3);

    /// <summary>Log file size at which it rotates.</summary>
    public long MaxLogBytes { get; init; } = 10 * 1024 * 1024;

    /// <summary>Rotated log files kept per kernel.</summary>
    public int MaxLogFiles { get; init; } = 3;
}
