namespace Mesh.Protocol;

/// <summary>Task states (docs/protocol.md section 6.1).</summary>
public enum TaskState
{
    /// <summary>Received, being validated.</summary>
    Pending,
    /// <summary>Accepted, waiting for a worker.</summary>
    Queued,
    /// <summary>Running.</summary>
    Started,
    /// <summary>Finished with a result.</summary>
    Completed,
    /// <summary>Finished with an error (including timeouts).</summary>
    Error,
    /// <summary>Cancelled while queued or running.</summary>
    Cancelled,
}

/// <summary>Wire names of <see cref="TaskState"/>.</summary>
public static class TaskStates
{
    private static readonly string[] Names = ["PENDING", "QUEUED", "STARTED", "COMPLETED", "ERROR", "CANCELLED"];

    /// <summary>The wire name, e.g. <c>COMPLETED</c>.</summary>
    public static string WireName(this TaskState state) => Names[(int)state];

    /// <summary>True for COMPLETED, ERROR and CANCELLED.</summary>
    public static bool IsFinal(this TaskState state) => state >= TaskState.Completed;

    /// <summary>Parses a wire name.</summary>
    public static TaskState Parse(string? name)
    {
        int i = Array.IndexOf(Names, name);
        return i >= 0 ? (TaskState)i : throw new ProtocolException(ErrorCode.MalformedMessage, $"unknown task state '{name}'");
    }
}
