namespace OgClews.Coupling.Orchestration;

/// <summary>What one iteration did: the point, its image, the residual, the step taken and the timings.</summary>
public sealed class IterationRecord
{
    /// <summary>The 0-based iteration number k: this iteration evaluated G(x_k).</summary>
    public required int Iteration { get; init; }

    /// <summary>x_k.</summary>
    public required double[] X { get; init; }

    /// <summary>G(x_k).</summary>
    public required double[] GX { get; init; }

    /// <summary>The true relative residual of x_k (see <see cref="ConvergenceOptions.Norm"/>).</summary>
    public required double Residual { get; init; }

    /// <summary>‖G(x_k) − x_k‖∞, unscaled.</summary>
    public required double AbsoluteResidual { get; init; }

    /// <summary>The relative residual of each block, by block name, in the same norm.</summary>
    public required IReadOnlyDictionary<string, double> BlockResiduals { get; init; }

    /// <summary>The step taken from x_k to x_{k+1} (<see cref="Acceleration.StepMethods"/>); <c>none</c> when the run stopped here without one.</summary>
    public required string Method { get; init; }

    /// <summary>‖x_{k+1} − x_k‖∞, 0 when no step was taken. Reported only: never a stopping criterion.</summary>
    public required double StepSize { get; init; }

    /// <summary>The map's own per-component timings.</summary>
    public required IReadOnlyDictionary<string, TimeSpan> ComponentTimes { get; init; }

    /// <summary>Wall time of the map evaluation, as the orchestrator measured it.</summary>
    public required TimeSpan MapTime { get; init; }

    /// <summary>
    /// Wall time of the iteration: the map evaluation, the residual and the accelerator step (the
    /// checkpoint write that follows is not included; see <see cref="ConvergenceResult.CheckpointTime"/>).
    /// </summary>
    public required TimeSpan WallTime { get; init; }

    /// <summary>Orchestration overhead: <see cref="WallTime"/> − <see cref="MapTime"/>.</summary>
    public TimeSpan Overhead => WallTime - MapTime;
}
