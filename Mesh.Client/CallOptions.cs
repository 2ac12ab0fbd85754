using Mesh.Protocol;

namespace Mesh.Client;

/// <summary>How a task is submitted and waited for.</summary>
public sealed record CallOptions
{
    /// <summary>Default options.</summary>
    public static CallOptions Default { get; } = new();

    /// <summary>1 (least urgent) to 10 (most urgent); default 5.</summary>
    public int Priority { get; init; } = 5;

    /// <summary>Kernel-side limit, counted from the moment the task starts; the task then ends with TASK_TIMEOUT.</summary>
    public TimeSpan? Timeout { get; init; }

    /// <summary>Client-side limit on waiting for the result; on expiry the task is cancelled and <see cref="TimeoutException"/> thrown.</summary>
    public TimeSpan? WaitTimeout { get; init; }

    /// <summary>Free-form metadata available to the handler.</summary>
    public IReadOnlyDictionary<string, object?>? Metadata { get; init; }

    /// <summary>Task id to use (default: a new GUID).</summary>
    public string? TaskId { get; init; }

    /// <summary>
    /// Receives the task's progress reports (registered before the task is sent, so none are missed).
    /// Called on the client's I/O thread: keep it quick (<see cref="Progress{T}"/> posts elsewhere).
    /// </summary>
    public IProgress<TaskProgressEventArgs>? Progress { get; init; }

    /// <summary>Recorded retry count of this logical task.</summary>
    public int Retries { get; init; }

    /// <summary>
    /// Receives the kernel's final task record (state, queue/start/end times, captured log) when the
    /// task ends, before the result is returned; e.g. to measure kernel compute time apart from
    /// transport. Called on the client's I/O thread: keep it quick.
    /// </summary>
    public Action<TaskRecord>? Finished { get; init; }
}
