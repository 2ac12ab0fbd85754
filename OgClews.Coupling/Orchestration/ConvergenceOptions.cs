using OgClews.Coupling.Acceleration;

namespace OgClews.Coupling.Orchestration;

/// <summary>Settings of a <see cref="ConvergenceOrchestrator"/> run.</summary>
public sealed record ConvergenceOptions
{
    /// <summary>Creates the accelerator (the method). Called once per orchestrator. Default: Anderson with default options.</summary>
    public Func<IFixedPointAccelerator> Accelerator { get; init; } = static () => new AndersonAcceleration();

    /// <summary>Stop when the relative residual is below this. Default 1e-6.</summary>
    public double Tolerance { get; init; } = 1e-6;

    /// <summary>
    /// The most iterations (evaluations of G) of the whole run, counting those done before a resume.
    /// Default 100.
    /// </summary>
    public int MaxIterations { get; init; } = 100;

    /// <summary>How the residual is measured. Default <see cref="ResidualNorm.Componentwise"/>.</summary>
    public ResidualNorm Norm { get; init; } = ResidualNorm.Componentwise;

    /// <summary>
    /// The floor ε of the residual's denominator: values smaller than ε in magnitude are measured
    /// against ε, so a path that converges to zero needs |G − x| &lt; tolerance × ε there. Blocks may
    /// set their own (<see cref="ComponentBlock.Floor"/>). Default 1e-8.
    /// </summary>
    public double ResidualFloor { get; init; } = 1e-8;

    /// <summary>Diverged when the relative residual exceeds this. Default 1e6; +∞ turns it off.</summary>
    public double DivergenceThreshold { get; init; } = 1e6;

    /// <summary>
    /// Diverged when the absolute residual ‖G(x) − x‖∞ has grown in at least this many consecutive
    /// iterations and by at least <see cref="DivergenceGrowthFactor"/> over them. Default 5; 0 turns it off.
    /// </summary>
    public int DivergenceWindow { get; init; } = 5;

    /// <summary>The total growth required by <see cref="DivergenceWindow"/>. Default 10.</summary>
    public double DivergenceGrowthFactor { get; init; } = 10;

    /// <summary>
    /// Oscillating when the absolute residuals ‖G(x) − x‖∞ of the last this many iterations stay within the
    /// range of the same number before them: no new minimum and no new maximum, each up to the
    /// relative margin <see cref="OscillationMinProgress"/> (a cycle or a stall). Needs twice this
    /// many iterations. Default 10; 0 turns it off.
    /// </summary>
    public int OscillationWindow { get; init; } = 10;

    /// <summary>The relative margin of <see cref="OscillationWindow"/>: less progress than this counts as none. Default 0.01.</summary>
    public double OscillationMinProgress { get; init; } = 0.01;

    /// <summary>
    /// The run folder for checkpoints and <c>iterations.csv</c>; null (default) writes nothing and
    /// makes <see cref="ConvergenceOrchestrator.ResumeAsync"/> unavailable.
    /// </summary>
    public string? RunFolder { get; init; }

    /// <summary>Flush checkpoint files to disk (fsync) before renaming them into place. Default true.</summary>
    public bool DurableCheckpoints { get; init; } = true;

    /// <summary>Told about every completed iteration, after its checkpoint is written. Default none.</summary>
    public IProgress<IterationRecord>? Progress { get; init; }

    internal void Validate()
    {
        ArgumentNullException.ThrowIfNull(Accelerator, nameof(Accelerator));
        if (!(Tolerance > 0)) throw new ArgumentException($"Tolerance must be positive (got {Tolerance}).");
        if (MaxIterations < 0) throw new ArgumentException($"MaxIterations must be ≥ 0 (got {MaxIterations}).");
        if (!(ResidualFloor > 0 && double.IsFinite(ResidualFloor))) throw new ArgumentException($"ResidualFloor must be positive and finite (got {ResidualFloor}).");
        if (!(DivergenceThreshold > 0)) throw new ArgumentException($"DivergenceThreshold must be positive (got {DivergenceThreshold}).");
        if (DivergenceWindow < 0) throw new ArgumentException($"DivergenceWindow must be ≥ 0 (got {DivergenceWindow}).");
        if (!(DivergenceGrowthFactor >= 1)) throw new ArgumentException($"DivergenceGrowthFactor must be ≥ 1 (got {DivergenceGrowthFactor}).");
        if (OscillationWindow < 0) throw new ArgumentException($"OscillationWindow must be ≥ 0 (got {OscillationWindow}).");
        if (!(OscillationMinProgress >= 0 && OscillationMinProgress < 1)) throw new ArgumentException($"OscillationMinProgress must be in [0, 1) (got {OscillationMinProgress}).");
        if (!Enum.IsDefined(Norm)) throw new ArgumentException($"Unknown residual norm {Norm}.");
    }
}
