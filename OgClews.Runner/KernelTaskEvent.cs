using Mesh.Protocol;
using OgClews.Coupling.Orchestration;

namespace OgClews.Runner;

/// <summary>States of one kernel task of a coupled run, as the run service shows them.</summary>
public enum SubTaskState
{
    /// <summary>Known to the run, not yet sent.</summary>
    Pending,
    /// <summary>Sent to the kernel.</summary>
    Queued,
    /// <summary>Running in the kernel.</summary>
    Started,
    /// <summary>Finished with a result.</summary>
    Completed,
    /// <summary>Failed (kernel error, or the kernel died).</summary>
    Error,
    /// <summary>Cancelled with the run.</summary>
    Cancelled,
}

/// <summary>
/// One kernel task of a coupled run changed state: e.g. <c>iter-0003/energy.solve</c> on kernel
/// <c>energy</c> completed.
/// </summary>
/// <param name="Name">Unique within the run: <c>iter-NNNN/step</c>, with <c>#2</c> appended on a retry.</param>
/// <param name="Iteration">The iteration (−1 for calibration).</param>
/// <param name="Step">The step: <c>macro_to_energy</c>, <c>energy.solve</c>, <c>energy_to_macro</c>, <c>macro.solve_transition</c>, <c>macro.model</c> (creating the remote model, named <c>calibration/macro.model</c>, then <c>model-N/macro.model</c> after the N-th restart of the macro kernel).</param>
/// <param name="Kernel">The kernel id.</param>
/// <param name="State">The new state.</param>
/// <param name="Time">When the state was entered (client clock).</param>
/// <param name="Retry">0 for the first attempt, 1 for the retry after a kernel restart.</param>
/// <param name="Record">The kernel's task record once the task ended (kernel-side start/end times).</param>
/// <param name="Error">The error text when <paramref name="State"/> is <see cref="SubTaskState.Error"/>.</param>
/// <param name="KernelLogFile">The kernel's log file.</param>
public sealed record KernelTaskEvent(
    string Name,
    int Iteration,
    string Step,
    string Kernel,
    SubTaskState State,
    DateTimeOffset Time,
    int Retry,
    TaskRecord? Record,
    string? Error,
    string KernelLogFile);

/// <summary>Receives what a coupled run does, as it happens. Calls come from the run's thread: keep them quick.</summary>
public interface ICoupledRunObserver
{
    /// <summary>A line for the run log (also written to the run folder's <c>ogclews.log</c>).</summary>
    void Log(string line) { }

    /// <summary>A kernel task changed state.</summary>
    void TaskChanged(KernelTaskEvent change) { }

    /// <summary>An iteration finished and was checkpointed.</summary>
    void IterationCompleted(IterationRecord record) { }
}
