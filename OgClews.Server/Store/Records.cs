using OgClews.Runner;

namespace OgClews.Server.Store;

/// <summary>Where a run is in its life. The names are the API's and the database's words.</summary>
internal enum RunStatus
{
    /// <summary>Waiting for a free slot.</summary>
    Queued,
    /// <summary>Iterating (or interrupted by a server stop, to be resumed on the next start).</summary>
    Running,
    /// <summary>Finished: the residual fell below the tolerance.</summary>
    Converged,
    /// <summary>Finished: the iteration limit came first.</summary>
    MaxIterations,
    /// <summary>Finished: the iteration blew up.</summary>
    Diverged,
    /// <summary>Finished: the residual stopped improving.</summary>
    Oscillating,
    /// <summary>Cancelled by a user (while queued or running).</summary>
    Cancelled,
    /// <summary>Stopped by an error (a kernel died twice, infeasible LP, bad scenario…).</summary>
    Failed,
}

internal static class RunStatuses
{
    public static bool IsFinal(this RunStatus s) => s is not (RunStatus.Queued or RunStatus.Running);

    public static RunStatus Parse(string text) =>
        Enum.TryParse<RunStatus>(text, ignoreCase: false, out var s) ? s : throw new InvalidDataException($"unknown run status '{text}' in the store");
}

/// <summary>What a run computes: everything needed to start it again or resume it after a restart.</summary>
/// <param name="Scenario">Built-in or configured scenario name.</param>
/// <param name="Method">anderson, aitken or damped.</param>
/// <param name="Tolerance">Relative residual at which the run has converged.</param>
/// <param name="MaxIterations">Iteration limit.</param>
/// <param name="Alpha">Damping weight (and the other methods' fallback step).</param>
/// <param name="AndersonDepth">Anderson history depth.</param>
/// <param name="Macro">Macro-model parameter overrides (e.g. S = 40).</param>
internal sealed record RunSpec(
    string Scenario,
    string Method,
    double Tolerance,
    int MaxIterations,
    double Alpha,
    int AndersonDepth,
    IReadOnlyDictionary<string, double> Macro);

/// <summary>One row of the runs table.</summary>
internal sealed record RunRecord
{
    public required string Id { get; init; }
    /// <summary>Submission order (FIFO tie-break within a priority).</summary>
    public required long Seq { get; init; }
    public required RunSpec Spec { get; init; }
    /// <summary>1 (least) to 10 (most urgent), as the kernels' task priorities.</summary>
    public required int Priority { get; init; }
    public required RunStatus Status { get; init; }
    public string? Message { get; init; }
    public string? Error { get; init; }
    public required string Folder { get; init; }
    public required DateTimeOffset SubmittedAt { get; init; }
    public DateTimeOffset? StartedAt { get; init; }
    public DateTimeOffset? FinishedAt { get; init; }
    /// <summary>Order in which the queue handed runs to a slot (1, 2, …); null while never started.</summary>
    public long? StartSeq { get; init; }
    /// <summary>How many times a server process started executing the run (more than 1 after restarts).</summary>
    public int Attempts { get; init; }
    public bool CancelRequested { get; init; }
    /// <summary>Completed iterations.</summary>
    public int Iterations { get; init; }
    /// <summary>The last completed iteration's relative residual.</summary>
    public double? Residual { get; init; }
    public string? RerunOf { get; init; }
}

/// <summary>One completed iteration of a run.</summary>
internal sealed record IterationRow(
    string RunId,
    int Iteration,
    double? Residual,
    double? AbsoluteResidual,
    double? StepSize,
    string Method,
    double? MapSeconds,
    double? WallSeconds,
    IReadOnlyDictionary<string, double> ComponentSeconds,
    DateTimeOffset RecordedAt);

/// <summary>
/// One kernel sub-task of a run. Keyed by (run, attempt, name): a run resumed after a restart
/// evaluates the interrupted iteration again under the same task names, and both attempts are kept.
/// </summary>
internal sealed record TaskRow
{
    public required string RunId { get; init; }
    public required int Attempt { get; init; }
    public required string Name { get; init; }
    /// <summary>1, 2, … in order of first appearance within the run (the task's id in URLs).</summary>
    public int No { get; init; }
    public required int Iteration { get; init; }
    public required string Step { get; init; }
    public required string Kernel { get; init; }
    public required SubTaskState State { get; init; }
    public int Retry { get; init; }
    /// <summary>Client clock: sent to the kernel.</summary>
    public DateTimeOffset? QueuedAt { get; init; }
    /// <summary>Client clock: the kernel said it started.</summary>
    public DateTimeOffset? StartedAt { get; init; }
    /// <summary>Client clock: reached a final state.</summary>
    public DateTimeOffset? EndedAt { get; init; }
    /// <summary>Kernel clock, from the kernel's task record.</summary>
    public DateTimeOffset? KernelQueuedAt { get; init; }
    public DateTimeOffset? KernelStartedAt { get; init; }
    public DateTimeOffset? KernelEndedAt { get; init; }
    public string? Error { get; init; }
    /// <summary>File with the lines the task wrote in the kernel (solver output, prints).</summary>
    public string? OutputLog { get; init; }
    /// <summary>File with the error, the traceback and the kernel log's tail.</summary>
    public string? ErrorLog { get; init; }
    /// <summary>The kernel process's whole log.</summary>
    public string? KernelLog { get; init; }
}

/// <summary>A log file of a run: the run log and each kernel's log.</summary>
internal sealed record LogFileRow(string RunId, string Name, string Path);
