namespace OgClews.Coupling.Acceleration;

/// <summary>Settings of <see cref="AndersonAcceleration"/>.</summary>
public sealed record AndersonOptions
{
    /// <summary>The depth m: the most history columns used in a step. Default 5.</summary>
    public int Depth { get; init; } = 5;

    /// <summary>
    /// The Tikhonov regularisation λ, relative: the least-squares problem is
    /// min ‖f − ΔF γ‖² + λ‖ΔF‖²_F ‖γ‖², so λ is dimensionless and independent of the scale of x.
    /// 0 for none. Default 1e-10.
    /// </summary>
    public double Regularization { get; init; } = 1e-10;

    /// <summary>The damping (mixing) β in (0, 1] applied to the extrapolated residual. Default 1 (undamped).</summary>
    public double Damping { get; init; } = 1.0;

    /// <summary>
    /// Clear the history after this many Anderson steps ("restarted" Anderson); 0 (default) never
    /// restarts and keeps a sliding window of the last <see cref="Depth"/> columns.
    /// </summary>
    public int RestartInterval { get; init; }

    /// <summary>
    /// The safeguard: when ‖f_k‖₂ &gt; this factor × ‖f_{k−1}‖₂ (the residual grew by more than the
    /// factor in one step), the history is reset and a damped step x + <see cref="FallbackDamping"/>·f
    /// is taken. Must be ≥ 1; <see cref="double.PositiveInfinity"/> turns the safeguard off. Default 2.
    /// </summary>
    public double SafeguardGrowthFactor { get; init; } = 2.0;

    /// <summary>The relaxation factor of the safeguard's damped step, in (0, 1]. Default 0.5.</summary>
    public double FallbackDamping { get; init; } = 0.5;

    /// <summary>
    /// The largest acceptable 2-norm condition number of ΔF; while it is exceeded the oldest column
    /// is dropped (all of them, if need be). Default 1e10.
    /// </summary>
    public double MaxConditionNumber { get; init; } = 1e10;
}
