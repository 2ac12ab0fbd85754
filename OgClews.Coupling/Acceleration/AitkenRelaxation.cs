namespace OgClews.Coupling.Acceleration;

/// <summary>
/// Dynamic relaxation by the vector form of Aitken's Δ² (Irons and Tuck's formulation): with the
/// residuals r_k = G(x_k) − x_k, x₊ = x_k + ω_k r_k and
/// ω_k = −ω_{k−1} · r_{k−1}ᵀ(r_k − r_{k−1}) / ‖r_k − r_{k−1}‖², clamped to
/// [<see cref="AitkenOptions.OmegaMin"/>, <see cref="AitkenOptions.OmegaMax"/>]. For a scalar linear
/// map with slope a the update gives ω = 1/(1 − a), the exact step, after one step.
/// </summary>
public sealed class AitkenRelaxation : IFixedPointAccelerator
{
    private double _omega;
    private double[]? _previousResidual;

    /// <summary>Creates the method; null options use the defaults.</summary>
    public AitkenRelaxation(AitkenOptions? options = null)
    {
        Options = options ?? new AitkenOptions();
        if (!double.IsFinite(Options.OmegaMin) || !double.IsFinite(Options.OmegaMax) || !(Options.OmegaMin < Options.OmegaMax))
            throw new ArgumentException($"Need finite OmegaMin < OmegaMax (got [{Options.OmegaMin}, {Options.OmegaMax}]).", nameof(options));
        if (!(Options.InitialOmega >= Options.OmegaMin && Options.InitialOmega <= Options.OmegaMax) || Options.InitialOmega == 0)
            throw new ArgumentException($"InitialOmega {Options.InitialOmega} must be non-zero and within [{Options.OmegaMin}, {Options.OmegaMax}].", nameof(options));
        _omega = Options.InitialOmega;
    }

    /// <summary>The settings.</summary>
    public AitkenOptions Options { get; }

    /// <summary>The ω of the last step (the initial ω before the first).</summary>
    public double Omega => _omega;

    /// <inheritdoc/>
    public string Name => "aitken";

    /// <inheritdoc/>
    public string LastStep { get; private set; } = StepMethods.None;

    /// <inheritdoc/>
    public double[] Next(ReadOnlySpan<double> x, ReadOnlySpan<double> gx)
    {
        AcceleratorState.CheckInputs(x, gx, _previousResidual?.Length ?? -1);
        int n = x.Length;
        var r = new double[n];
        for (int i = 0; i < n; i++) r[i] = gx[i] - x[i];

        if (_previousResidual is { } p)
        {
            double num = 0, den = 0;
            for (int i = 0; i < n; i++)
            {
                double d = r[i] - p[i];
                num += p[i] * d;
                den += d * d;
            }
            // Equal residuals (den = 0) or an orthogonal change (num = 0) carry no information: keep ω.
            if (den > 0 && num != 0)
            {
                double omega = -_omega * num / den;
                if (double.IsFinite(omega)) _omega = Math.Clamp(omega, Options.OmegaMin, Options.OmegaMax);
            }
        }

        var next = new double[n];
        for (int i = 0; i < n; i++) next[i] = x[i] + _omega * r[i];
        _previousResidual = r;
        LastStep = StepMethods.Aitken;
        return next;
    }

    /// <inheritdoc/>
    public void Reset()
    {
        _omega = Options.InitialOmega;
        _previousResidual = null;
        LastStep = StepMethods.None;
    }

    /// <inheritdoc/>
    public AcceleratorState SaveState()
    {
        var vectors = new Dictionary<string, double[]>(StringComparer.Ordinal);
        if (_previousResidual is not null) vectors["previousResidual"] = (double[])_previousResidual.Clone();
        return new AcceleratorState
        {
            Kind = Name,
            Settings = Settings(),
            Scalars = new Dictionary<string, double>(StringComparer.Ordinal) { ["omega"] = _omega },
            Vectors = vectors,
        };
    }

    /// <inheritdoc/>
    public void RestoreState(AcceleratorState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        state.Require(Name, Settings());
        double omega = state.Scalar("omega");
        if (!(omega >= Options.OmegaMin && omega <= Options.OmegaMax))
            throw new CouplingException($"The saved 'aitken' state has ω = {omega}, outside [{Options.OmegaMin}, {Options.OmegaMax}].");
        var previous = state.Vector("previousResidual", -1, required: false);
        _omega = omega;
        _previousResidual = previous;
        LastStep = StepMethods.None;
    }

    private Dictionary<string, double> Settings() => new(StringComparer.Ordinal)
    {
        ["initialOmega"] = Options.InitialOmega,
        ["omegaMin"] = Options.OmegaMin,
        ["omegaMax"] = Options.OmegaMax,
    };
}
