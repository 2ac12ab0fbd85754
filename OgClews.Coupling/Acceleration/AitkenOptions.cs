namespace OgClews.Coupling.Acceleration;

/// <summary>Settings of <see cref="AitkenRelaxation"/>.</summary>
public sealed record AitkenOptions
{
    /// <summary>ω of the first step (and of the first step after <see cref="IFixedPointAccelerator.Reset"/>). Default 0.5.</summary>
    public double InitialOmega { get; init; } = 0.5;

    /// <summary>
    /// Lower bound of ω. Default 0.05: a vanishing ω would stall the iteration. A negative bound lets
    /// ω change sign (the optimal ω of a map whose slope exceeds 1 is negative).
    /// </summary>
    public double OmegaMin { get; init; } = 0.05;

    /// <summary>Upper bound of ω. Default 2 (over-relaxation up to twice the plain step).</summary>
    public double OmegaMax { get; init; } = 2.0;
}
