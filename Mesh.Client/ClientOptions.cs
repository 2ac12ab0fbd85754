namespace Mesh.Client;

/// <summary>Client settings.</summary>
public sealed record ClientOptions
{
    /// <summary>Heartbeat interval; default the connection file's <c>heartbeat_ms</c>. Zero disables heartbeats.</summary>
    public TimeSpan? HeartbeatInterval { get; init; }

    /// <summary>Consecutive missed heartbeats after which the kernel is lost (protocol: 2).</summary>
    public int MissedHeartbeats { get; init; } = 2;

    /// <summary>
    /// How long a caller may poll for its own reply on its own thread when no other thread is
    /// receiving (default 2 ms). A call answered within it completes without any thread hand-off;
    /// a longer one then waits asynchronously as usual. <see cref="TimeSpan.Zero"/> always waits
    /// asynchronously (replies are then received by the client's background thread).
    /// </summary>
    public TimeSpan InlineWait { get; init; } = TimeSpan.FromMilliseconds(2);

    /// <summary>
    /// How much of <see cref="InlineWait"/> the caller spends looking for its reply without
    /// sleeping, giving its core to other threads between looks (default 1 ms). A reply that
    /// arrives within it costs no wake-up — on a small machine a wake-up costs as much as the rest
    /// of a short call — at the price of that caller's thread staying runnable while it waits.
    /// <see cref="TimeSpan.Zero"/> sleeps at once.
    /// </summary>
    public TimeSpan InlineSpin { get; init; } = TimeSpan.FromMilliseconds(1);
}
