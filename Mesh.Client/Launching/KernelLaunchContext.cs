namespace Mesh.Client.Launching;

/// <summary>What a launcher needs to start one kernel.</summary>
/// <param name="KernelId">Kernel id.</param>
/// <param name="ConnectionFile">Path of the connection file (passed as <c>MESH_CONNECTION_FILE</c>).</param>
/// <param name="Environment">Extra environment variables.</param>
/// <param name="WorkingDirectory">Working directory, or null for the current one.</param>
/// <param name="LogFile">Where stdout/stderr go.</param>
/// <param name="MaxLogBytes">Rotate the log at this size.</param>
/// <param name="MaxLogFiles">Rotated files kept.</param>
public sealed record KernelLaunchContext(
    string KernelId,
    string ConnectionFile,
    IReadOnlyDictionary<string, string?> Environment,
    string? WorkingDirectory,
    string LogFile,
    long MaxLogBytes,
    int MaxLogFiles);
