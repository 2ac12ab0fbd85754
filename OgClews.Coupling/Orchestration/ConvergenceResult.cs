namespace OgClews.Coupling.Orchestration;

/// <summary>The outcome of <see cref="ConvergenceOrchestrator.RunAsync"/> or <see cref="ConvergenceOrchestrator.ResumeAsync"/>.</summary>
public sealed class ConvergenceResult
{
    /// <summary>How the run ended.</summary>
    public required ConvergenceStatus Status { get; init; }

    /// <summary>What happened, in a sentence (the iteration, the residual, the criterion that fired).</summary>
    public required string Message { get; init; }

    /// <summary>The last evaluated iterate x_k (x₀ when no iteration completed). When converged, its residual is below the tolerance.</summary>
    public required double[] X { get; init; }

    /// <summary>G(X), or null when no iteration completed.</summary>
    public double[]? GX { get; init; }

    /// <summary>The relative residual of <see cref="X"/>, or NaN when no iteration completed.</summary>
    public required double Residual { get; init; }

    /// <summary>The iterate the run would evaluate next, or null when there is none (converged, or G(x) not finite).</summary>
    public double[]? NextX { get; init; }

    /// <summary>Completed iterations of the whole run, including those done before a resume.</summary>
    public required int Iterations { get; init; }

    /// <summary>The records of every completed iteration whose checkpoint could be read, in order, then this call's.</summary>
    public required IReadOnlyList<IterationRecord> Records { get; init; }

    /// <summary>Map evaluations made by this call (a resume does not repeat completed iterations).</summary>
    public required int Evaluations { get; init; }

    /// <summary>The iteration restored by a resume (the last complete checkpoint), or null for a fresh run.</summary>
    public int? ResumedFromIteration { get; init; }

    /// <summary>Problems that did not stop the run, e.g. an unreadable checkpoint that was skipped.</summary>
    public required IReadOnlyList<string> Warnings { get; init; }

    /// <summary>Wall time of this call.</summary>
    public required TimeSpan WallTime { get; init; }

    /// <summary>Time this call spent in map evaluations.</summary>
    public required TimeSpan MapTime { get; init; }

    /// <summary>Time this call spent writing checkpoints and <c>iterations.csv</c>.</summary>
    public required TimeSpan CheckpointTime { get; init; }
}
