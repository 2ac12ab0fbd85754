namespace Mesh.Client;

/// <summary>Client settings.</summary>
public sealed record ClientOptions
{
    /// <summary>Heartbeat interval; default the connection file's <c>heartbeat_ms</c>. Zero disables heartbeats.</summary>
    public TimeSpan? HeartbeatInterval { get; init; }

    /// <summary>Consecutive missed heartbeats after which the kernel is lost (protocol: 2).</summary>
    public int MissedHeartbeats { get; init; } = 2;
}
