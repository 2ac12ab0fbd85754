namespace OgClews.Coupling.Acceleration;

/// <summary>
/// Damped (relaxed) fixed-point iteration: x₊ = x + α(G(x) − x). α = 1 is plain Picard iteration;
/// α &lt; 1 damps, which makes G's eigenvalues λ into 1 − α + αλ and can turn a divergent or
/// oscillating iteration into a convergent one, at the price of slower progress.
/// </summary>
public sealed class DampedRelaxation : IFixedPointAccelerator
{
    /// <summary>Creates the method.</summary>
    /// <param name="alpha">The relaxation factor α, positive and finite (typically in (0, 1]).</param>
    public DampedRelaxation(double alpha = 0.5)
    {
        if (!(alpha > 0 && double.IsFinite(alpha))) throw new ArgumentOutOfRangeException(nameof(alpha), alpha, "α must be positive and finite.");
        Alpha = alpha;
    }

    /// <summary>The relaxation factor α.</summary>
    public double Alpha { get; }

    /// <inheritdoc/>
    public string Name => "damped";

    /// <inheritdoc/>
    public string LastStep { get; private set; } = StepMethods.None;

    /// <inheritdoc/>
    public double[] Next(ReadOnlySpan<double> x, ReadOnlySpan<double> gx)
    {
        AcceleratorState.CheckInputs(x, gx, -1);
        var next = new double[x.Length];
        for (int i = 0; i < x.Length; i++) next[i] = x[i] + Alpha * (gx[i] - x[i]);
        LastStep = StepMethods.Damped;
        return next;
    }

    /// <inheritdoc/>
    public void Reset() => LastStep = StepMethods.None;

    /// <inheritdoc/>
    public AcceleratorState SaveState() => new()
    {
        Kind = Name,
        Settings = Settings(),
    };

    /// <inheritdoc/>
    public void RestoreState(AcceleratorState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        state.Require(Name, Settings());
        LastStep = StepMethods.None;
    }

    private Dictionary<string, double> Settings() => new(StringComparer.Ordinal) { ["alpha"] = Alpha };
}
