using Mesh.Kernel.Scheduling;

namespace Mesh.Kernel;

/// <summary>
/// The task a handler is running for. Handlers take it as a parameter, or read
/// <see cref="Current"/>; it carries the cancellation token, progress reporting and the task log.
/// </summary>
public sealed class TaskContext
{
    private static readonly AsyncLocal<TaskContext?> CurrentContext = new();
    private readonly KernelTask _task;

    internal TaskContext(KernelTask task) => _task = task;

    /// <summary>The task being run on this async flow, or null outside a task.</summary>
    public static TaskContext? Current
    {
        get => CurrentContext.Value;
        internal set => CurrentContext.Value = value;
    }

    /// <summary>The task id.</summary>
    public string TaskId => _task.TaskId;

    /// <summary>The endpoint name.</summary>
    public string Endpoint => _task.Endpoint.Name;

    /// <summary>The metadata sent with the submit request.</summary>
    public IReadOnlyDictionary<string, object?> Metadata => _task.Metadata;

    /// <summary>Signalled on cancel, interrupt, timeout or shutdown.</summary>
    public CancellationToken CancellationToken => _task.Cancellation.Token;

    /// <summary>Sends a progress message to the client that submitted the task.</summary>
    public void ReportProgress(object? value, string? message = null) => _task.ReportProgress(value, message);

    /// <summary>Appends a line to the task's log.</summary>
    public void Log(string line) => _task.AppendLog(line);

    /// <summary>The client session that submitted the task (owner of references it receives).</summary>
    public string Session => _task.Session;

    internal KernelTask Task => _task;
}
