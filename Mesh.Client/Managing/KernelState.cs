namespace Mesh.Client.Managing;

/// <summary>Lifecycle of a managed kernel.</summary>
public enum KernelState
{
    /// <summary>Launched, not yet registered and healthy.</summary>
    Starting,
    /// <summary>Registered and answering health.</summary>
    Ready,
    /// <summary>Died or stopped answering; calls in flight failed.</summary>
    Lost,
    /// <summary>Being restarted after a loss.</summary>
    Restarting,
    /// <summary>Lost with no restarts left.</summary>
    Failed,
    /// <summary>Being shut down.</summary>
    Stopping,
    /// <summary>Shut down.</summary>
    Stopped,
}
