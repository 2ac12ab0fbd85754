namespace Mesh.Protocol;

/// <summary>A task's record as a kernel reports it (docs/protocol.md section 6.1).</summary>
public sealed record TaskRecord
{
    /// <summary>Task id chosen by the client.</summary>
    public required string TaskId { get; init; }
    /// <summary>Endpoint name.</summary>
    public required string Endpoint { get; init; }
    /// <summary>Current state.</summary>
    public TaskState State { get; init; }
    /// <summary>Priority 1 (least) to 10 (most urgent).</summary>
    public int Priority { get; init; }
    /// <summary>When the kernel received it.</summary>
    public DateTime? PendingAt { get; init; }
    /// <summary>When it was queued.</summary>
    public DateTime? QueuedAt { get; init; }
    /// <summary>When a worker started it.</summary>
    public DateTime? StartedAt { get; init; }
    /// <summary>When it reached a final state.</summary>
    public DateTime? EndedAt { get; init; }
    /// <summary>How often the client re-submitted it.</summary>
    public int Retries { get; init; }
    /// <summary>Lines the task wrote (stdout, logger, solver output).</summary>
    public IReadOnlyList<string> Log { get; init; } = [];

    /// <summary>The wire map.</summary>
    public Dictionary<string, object?> ToMap() => new()
    {
        ["task_id"] = TaskId,
        ["endpoint"] = Endpoint,
        ["state"] = State.WireName(),
        ["priority"] = (long)Priority,
        ["pending_at"] = PendingAt,
        ["queued_at"] = QueuedAt,
        ["started_at"] = StartedAt,
        ["ended_at"] = EndedAt,
        ["retries"] = (long)Retries,
        ["log"] = Log,
    };

    /// <summary>A wire timestamp as a DateTime (nanosecond timestamps truncated to 100 ns ticks).</summary>
    private static DateTime? Time(object? value) => value switch
    {
        DateTime d => d,
        Values.MessagePackTimestamp t => DateTime.UnixEpoch.AddTicks(t.Seconds * TimeSpan.TicksPerSecond + t.Nanoseconds / 100),
        _ => null,
    };

    /// <summary>Reads the wire map.</summary>
    public static TaskRecord FromMap(IReadOnlyDictionary<string, object?> m) => new()
    {
        TaskId = m.GetValueOrDefault("task_id") as string ?? "",
        Endpoint = m.GetValueOrDefault("endpoint") as string ?? "",
        State = TaskStates.Parse(m.GetValueOrDefault("state") as string),
        Priority = m.GetValueOrDefault("priority") is long p ? (int)p : 0,
        PendingAt = Time(m.GetValueOrDefault("pending_at")),
        QueuedAt = Time(m.GetValueOrDefault("queued_at")),
        StartedAt = Time(m.GetValueOrDefault("started_at")),
        EndedAt = Time(m.GetValueOrDefault("ended_at")),
        Retries = m.GetValueOrDefault("retries") is long r ? (int)r : 0,
        Log = m.GetValueOrDefault("log") is object?[] lines ? lines.Select(x => x?.ToString() ?? "").ToArray() : [],
    };
}
