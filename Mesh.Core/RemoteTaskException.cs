using Mesh.Protocol;

namespace Mesh;

/// <summary>
/// A task failed on the kernel: the handler threw, the task was cancelled or timed out, or the
/// kernel refused it. Carries the remote type, message and traceback; <see cref="ToString"/> shows
/// the remote stack.
/// </summary>
public class RemoteTaskException : MeshException
{
    /// <summary>Creates the exception from the wire error.</summary>
    public RemoteTaskException(RemoteError error, string? kernelId = null, string? taskId = null)
        : base(Describe(error, kernelId)) => (Error, KernelId, TaskId) = (error, kernelId, taskId);

    /// <summary>The error as sent by the kernel.</summary>
    public RemoteError Error { get; }

    /// <summary>The remote exception type name (e.g. <c>ValueError</c>).</summary>
    public string RemoteType => Error.Type;

    /// <summary>The remote stack, innermost last.</summary>
    public IReadOnlyList<string> RemoteTraceback => Error.Traceback;

    /// <summary>The error code (0 for handler errors).</summary>
    public ErrorCode Code => (ErrorCode)Error.Code;

    /// <summary>The kernel that reported it, if known.</summary>
    public string? KernelId { get; }

    /// <summary>The task, if known.</summary>
    public string? TaskId { get; }

    private static string Describe(RemoteError e, string? kernelId)
    {
        string where = kernelId is null ? "" : $" on kernel '{kernelId}'";
        string code = e.Code == 0 ? "" : $" [{(ErrorCode)e.Code} {e.Code}]";
        return $"{e.Type}{where}{code}: {e.Message}";
    }

    /// <inheritdoc/>
    public override string ToString() =>
        base.ToString() + (Error.Traceback.Count == 0 ? "" : "\n--- remote traceback ---\n" + string.Join('\n', Error.Traceback));
}
