namespace OgClews.Coupling.Orchestration;

/// <summary>How a run ended.</summary>
public enum ConvergenceStatus
{
    /// <summary>The true relative residual fell below the tolerance.</summary>
    Converged,

    /// <summary>The iteration limit was reached first.</summary>
    MaxIterations,

    /// <summary>G(x) was not finite, the residual exceeded the divergence threshold, or it kept growing.</summary>
    Diverged,

    /// <summary>The residual stopped decreasing over the oscillation window (a cycle or a stall).</summary>
    Oscillating,

    /// <summary>The cancellation token fired; the last complete iteration is checkpointed.</summary>
    Cancelled,
}
