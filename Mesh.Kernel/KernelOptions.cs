namespace Mesh.Kernel;

/// <summary>Kernel settings. Defaults follow docs/protocol.md.</summary>
public sealed record KernelOptions
{
    /// <summary>Tasks run at once; default <c>MESH_MAX_CONCURRENCY</c> or the CPU count.</summary>
    public int MaxConcurrency { get; init; } =
        int.TryParse(Environment.GetEnvironmentVariable("MESH_MAX_CONCURRENCY"), out var n) && n > 0 ? n : Environment.ProcessorCount;

    /// <summary>Most tasks queued (not yet started) before submits are refused with QUEUE_FULL.</summary>
    public int MaxQueued { get; init; } = 100_000;

    /// <summary>How long an unfetched final result is kept.</summary>
    public TimeSpan ResultTtl { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>Most unfetched final results kept; the oldest are evicted first.</summary>
    public int MaxRetained { get; init; } = 10_000;

    /// <summary>Longest a get request waits when it asks for no timeout.</summary>
    public TimeSpan MaxGetWait { get; init; } = TimeSpan.FromHours(1);

    /// <summary>Lines of log kept per task.</summary>
    public int MaxLogLines { get; init; } = 1000;

    /// <summary>How long to wait for the manager's register_reply.</summary>
    public TimeSpan RegistrationTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Connection file path; default <c>MESH_CONNECTION_FILE</c> or <c>--connection-file</c>.</summary>
    public string? ConnectionFile { get; init; }

    /// <summary>
    /// Whether call-style submits (docs/protocol.md 6.2) are answered with the result; default true,
    /// false when <c>MESH_ANSWER_CALLS=0</c>. Off, the kernel behaves as a base-protocol kernel that
    /// ignores <c>call</c> — which is what clients must cope with, and how their fallback is tested.
    /// </summary>
    public bool AnswerCalls { get; init; } = Environment.GetEnvironmentVariable("MESH_ANSWER_CALLS") != "0";

    /// <summary>Reported in kernel_info.</summary>
    public string Implementation { get; init; } = "mesh-dotnet";
}
