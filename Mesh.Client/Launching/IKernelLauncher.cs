namespace Mesh.Client.Launching;

/// <summary>
/// Starts a kernel process somewhere (a local process, a Python environment, a native binary,
/// later a cluster). Launching is all it does: readiness, heartbeats, restarts and shutdown are
/// the <see cref="Managing.KernelManager"/>'s job.
/// </summary>
public interface IKernelLauncher
{
    /// <summary>Starts the kernel; its connection file path is in <paramref name="context"/>.</summary>
    Task<IKernelProcess> LaunchAsync(KernelLaunchContext context, CancellationToken cancellationToken);

    /// <summary>A one-line description for error messages (e.g. the command line).</summary>
    string Describe(KernelLaunchContext context);
}
