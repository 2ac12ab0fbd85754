using MathNet.Numerics.LinearAlgebra;
using MathNet.Numerics.LinearAlgebra.Factorization;

namespace OgClews.Coupling.Acceleration;

/// <summary>
/// Type-II Anderson acceleration (Anderson mixing) with regularisation, damping, optional restarts
/// and two safeguards.
/// </summary>
/// <remarks>
/// <para>
/// With f_k = G(x_k) − x_k and g_k = G(x_k), the history holds the differences
/// ΔF = [Δf_{k−m_k}, …, Δf_{k−1}] and ΔG likewise, Δf_j = f_{j+1} − f_j. The coefficients solve
/// γ = argmin ‖f_k − ΔF γ‖₂² + λ‖ΔF‖²_F ‖γ‖₂² (by a thin QR of ΔF and a small QR of the regularised
/// triangular system), and the step is
/// x₊ = (g_k − ΔG γ) − (1 − β)(f_k − ΔF γ).
/// For a linear map, full depth, λ = 0 and β = 1, the iterates are G applied to GMRES iterates, so
/// the fixed point of an n-dimensional affine map is reached at x_{n+1}.
/// </para>
/// <para>
/// Safeguards: (1) residual growth — when ‖f_k‖₂ exceeds <see cref="AndersonOptions.SafeguardGrowthFactor"/>
/// × ‖f_{k−1}‖₂, the history is cleared and a damped step x_k + <see cref="AndersonOptions.FallbackDamping"/>·f_k
/// is taken (<see cref="StepMethods.FallbackDamped"/>); (2) ill-conditioning — while cond₂(ΔF) exceeds
/// <see cref="AndersonOptions.MaxConditionNumber"/> the oldest column is dropped. With no column
/// left the step is x_k + β f_k (<see cref="StepMethods.AndersonStart"/>).
/// </para>
/// <para>
/// Deterministic: the loops here run in a fixed order, and MathNet's managed provider (the default)
/// parallelizes its factorizations only over independent columns, keeping every reduction
/// sequential; so a restored state continues bit-identically.
/// </para>
/// </remarks>
public sealed class AndersonAcceleration : IFixedPointAccelerator
{
    private readonly List<double[]> _deltaF = [];
    private readonly List<double[]> _deltaG = [];
    private double[]? _previousF;
    private double[]? _previousG;
    private double _previousNorm;
    private int _stepsSinceRestart;

    /// <summary>Creates the method; null options use the defaults.</summary>
    public AndersonAcceleration(AndersonOptions? options = null)
    {
        var o = options ?? new AndersonOptions();
        if (o.Depth < 1) throw new ArgumentException($"Depth must be at least 1 (got {o.Depth}).", nameof(options));
        if (!(o.Regularization >= 0 && double.IsFinite(o.Regularization)))
            throw new ArgumentException($"Regularization must be finite and ≥ 0 (got {o.Regularization}).", nameof(options));
        if (!(o.Damping > 0 && o.Damping <= 1)) throw new ArgumentException($"Damping must be in (0, 1] (got {o.Damping}).", nameof(options));
        if (o.RestartInterval < 0) throw new ArgumentException($"RestartInterval must be ≥ 0 (got {o.RestartInterval}).", nameof(options));
        if (!(o.SafeguardGrowthFactor >= 1)) throw new ArgumentException($"SafeguardGrowthFactor must be ≥ 1 (got {o.SafeguardGrowthFactor}).", nameof(options));
        if (!(o.FallbackDamping > 0 && o.FallbackDamping <= 1)) throw new ArgumentException($"FallbackDamping must be in (0, 1] (got {o.FallbackDamping}).", nameof(options));
        if (!(o.MaxConditionNumber > 1)) throw new ArgumentException($"MaxConditionNumber must be > 1 (got {o.MaxConditionNumber}).", nameof(options));
        Options = o;
    }

    /// <summary>The settings.</summary>
    public AndersonOptions Options { get; }

    /// <inheritdoc/>
    public string Name => "anderson";

    /// <inheritdoc/>
    public string LastStep { get; private set; } = StepMethods.None;

    /// <summary>Number of history columns the last step used.</summary>
    public int LastDepth { get; private set; }

    /// <summary>How often the residual-growth safeguard fired (since creation or <see cref="Reset"/>).</summary>
    public int FallbackCount { get; private set; }

    /// <summary>How many history columns were dropped for ill-conditioning.</summary>
    public int DroppedColumnCount { get; private set; }

    /// <summary>How many periodic restarts (<see cref="AndersonOptions.RestartInterval"/>) happened.</summary>
    public int RestartCount { get; private set; }

    /// <inheritdoc/>
    public double[] Next(ReadOnlySpan<double> x, ReadOnlySpan<double> gx)
    {
        AcceleratorState.CheckInputs(x, gx, _previousF?.Length ?? -1);
        int n = x.Length;
        var f = new double[n];
        var g = gx.ToArray();
        for (int i = 0; i < n; i++) f[i] = g[i] - x[i];
        double norm = Norm2(f);

        double[] next;
        if (_previousF is not null && norm > Options.SafeguardGrowthFactor * _previousNorm)
        {
            ClearHistory();
            FallbackCount++;
            next = Relax(x, f, Options.FallbackDamping);
            LastStep = StepMethods.FallbackDamped;
            LastDepth = 0;
        }
        else
        {
            if (_previousF is not null && _previousG is not null)
            {
                if (Options.RestartInterval > 0 && _stepsSinceRestart >= Options.RestartInterval)
                {
                    ClearHistory();
                    RestartCount++;
                }
                else
                {
                    _deltaF.Add(Subtract(f, _previousF));
                    _deltaG.Add(Subtract(g, _previousG));
                    if (_deltaF.Count > Options.Depth)
                    {
                        _deltaF.RemoveAt(0);
                        _deltaG.RemoveAt(0);
                    }
                }
            }

            double[]? gamma = _deltaF.Count > 0 ? SolveCoefficients(f) : null;
            if (gamma is null)
            {
                next = Relax(x, f, Options.Damping);
                LastStep = StepMethods.AndersonStart;
                LastDepth = 0;
            }
            else
            {
                next = Extrapolate(f, g, gamma);
                _stepsSinceRestart++;
                LastStep = StepMethods.Anderson;
                LastDepth = gamma.Length;
            }
        }

        _previousF = f;
        _previousG = g;
        _previousNorm = norm;
        return next;
    }

    /// <inheritdoc/>
    public void Reset()
    {
        ClearHistory();
        _previousF = null;
        _previousG = null;
        _previousNorm = 0;
        FallbackCount = 0;
        DroppedColumnCount = 0;
        RestartCount = 0;
        LastStep = StepMethods.None;
        LastDepth = 0;
    }

    /// <inheritdoc/>
    public AcceleratorState SaveState()
    {
        var vectors = new Dictionary<string, double[]>(StringComparer.Ordinal);
        if (_previousF is not null) vectors["previousF"] = (double[])_previousF.Clone();
        if (_previousG is not null) vectors["previousG"] = (double[])_previousG.Clone();
        return new AcceleratorState
        {
            Kind = Name,
            Settings = Settings(),
            Scalars = new Dictionary<string, double>(StringComparer.Ordinal)
            {
                ["previousNorm"] = _previousNorm,
                ["stepsSinceRestart"] = _stepsSinceRestart,
                ["fallbackCount"] = FallbackCount,
                ["droppedColumnCount"] = DroppedColumnCount,
                ["restartCount"] = RestartCount,
            },
            Vectors = vectors,
            Lists = new Dictionary<string, double[][]>(StringComparer.Ordinal)
            {
                ["deltaF"] = [.. _deltaF.Select(c => (double[])c.Clone())],
                ["deltaG"] = [.. _deltaG.Select(c => (double[])c.Clone())],
            },
        };
    }

    /// <inheritdoc/>
    public void RestoreState(AcceleratorState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        state.Require(Name, Settings());
        var previousF = state.Vector("previousF", -1, required: false);
        int n = previousF?.Length ?? -1;
        var previousG = state.Vector("previousG", n, required: previousF is not null);
        if (previousF is null && previousG is not null) throw new CouplingException("The saved 'anderson' state has previousG without previousF.");
        var deltaF = state.List("deltaF", n);
        var deltaG = state.List("deltaG", n);
        if (deltaF.Count != deltaG.Count || deltaF.Count > Options.Depth || (previousF is null && deltaF.Count > 0))
            throw new CouplingException($"The saved 'anderson' state has {deltaF.Count} ΔF and {deltaG.Count} ΔG columns (depth {Options.Depth}).");
        double previousNorm = state.Scalar("previousNorm");
        if (!(previousNorm >= 0 && double.IsFinite(previousNorm))) throw new CouplingException($"The saved 'anderson' state has previousNorm = {previousNorm}.");
        int stepsSinceRestart = state.Count("stepsSinceRestart");
        int fallbacks = state.Count("fallbackCount");
        int dropped = state.Count("droppedColumnCount");
        int restarts = state.Count("restartCount");

        ClearHistory();
        _deltaF.AddRange(deltaF);
        _deltaG.AddRange(deltaG);
        _previousF = previousF;
        _previousG = previousG;
        _previousNorm = previousNorm;
        _stepsSinceRestart = stepsSinceRestart;
        FallbackCount = fallbacks;
        DroppedColumnCount = dropped;
        RestartCount = restarts;
        LastStep = StepMethods.None;
        LastDepth = 0;
    }

    // γ for the current history, after dropping the oldest columns while ΔF is ill-conditioned;
    // null when no column is left.
    private double[]? SolveCoefficients(double[] f)
    {
        while (_deltaF.Count > 0)
        {
            int n = f.Length, m = _deltaF.Count;
            var dF = Matrix<double>.Build.Dense(n, m);
            double frobenius2 = 0;
            for (int j = 0; j < m; j++)
            {
                var column = _deltaF[j];
                for (int i = 0; i < n; i++)
                {
                    dF[i, j] = column[i];
                    frobenius2 += column[i] * column[i];
                }
            }

            QR<double>? qr = null;
            double condition = double.PositiveInfinity;
            if (frobenius2 > 0 && double.IsFinite(frobenius2) && n >= m)
            {
                qr = dF.QR(QRMethod.Thin);
                condition = ConditionNumber(qr.R);
            }
            if (qr is null || !(condition <= Options.MaxConditionNumber))
            {
                _deltaF.RemoveAt(0);
                _deltaG.RemoveAt(0);
                DroppedColumnCount++;
                continue;
            }

            // ΔF = QR, so ‖f − ΔFγ‖² = ‖Qᵀf − Rγ‖² + const; the regularised problem becomes the small
            // least-squares problem [R; √λ' I] γ ≈ [Qᵀf; 0].
            var qtf = qr.Q.TransposeThisAndMultiply(Vector<double>.Build.DenseOfArray(f));
            double lambda = Options.Regularization * frobenius2;
            double[] gamma;
            if (lambda > 0)
            {
                var a = Matrix<double>.Build.Dense(2 * m, m);
                var b = Vector<double>.Build.Dense(2 * m);
                double s = Math.Sqrt(lambda);
                for (int i = 0; i < m; i++)
                {
                    for (int j = i; j < m; j++) a[i, j] = qr.R[i, j];
                    a[m + i, i] = s;
                    b[i] = qtf[i];
                }
                gamma = a.QR(QRMethod.Thin).Solve(b).ToArray();
            }
            else
            {
                gamma = BackSubstitute(qr.R, qtf);
            }
            if (!gamma.All(double.IsFinite))
            {
                _deltaF.RemoveAt(0);
                _deltaG.RemoveAt(0);
                DroppedColumnCount++;
                continue;
            }
            return gamma;
        }
        return null;
    }

    private double[] Extrapolate(double[] f, double[] g, double[] gamma)
    {
        int n = f.Length, m = gamma.Length;
        double beta = Options.Damping;
        var next = new double[n];
        for (int i = 0; i < n; i++)
        {
            double fBar = f[i], gBar = g[i];
            for (int j = 0; j < m; j++)
            {
                fBar -= _deltaF[j][i] * gamma[j];
                gBar -= _deltaG[j][i] * gamma[j];
            }
            next[i] = beta == 1.0 ? gBar : gBar - (1 - beta) * fBar;
        }
        return next;
    }

    private static double ConditionNumber(Matrix<double> r)
    {
        var singular = r.Svd(computeVectors: false).S;
        double max = singular.Maximum(), min = singular.Minimum();
        return min > 0 ? max / min : double.PositiveInfinity;
    }

    private static double[] BackSubstitute(Matrix<double> r, Vector<double> b)
    {
        int m = r.ColumnCount;
        var x = new double[m];
        for (int i = m - 1; i >= 0; i--)
        {
            double s = b[i];
            for (int j = i + 1; j < m; j++) s -= r[i, j] * x[j];
            x[i] = s / r[i, i];
        }
        return x;
    }

    private static double[] Relax(ReadOnlySpan<double> x, double[] f, double factor)
    {
        var next = new double[x.Length];
        for (int i = 0; i < x.Length; i++) next[i] = x[i] + factor * f[i];
        return next;
    }

    private static double[] Subtract(double[] a, double[] b)
    {
        var d = new double[a.Length];
        for (int i = 0; i < a.Length; i++) d[i] = a[i] - b[i];
        return d;
    }

    private static double Norm2(double[] v)
    {
        // Scaled to avoid overflow for large paths.
        double scale = 0;
        foreach (double e in v) scale = Math.Max(scale, Math.Abs(e));
        if (scale == 0) return 0;
        double sum = 0;
        foreach (double e in v)
        {
            double t = e / scale;
            sum += t * t;
        }
        return scale * Math.Sqrt(sum);
    }

    private void ClearHistory()
    {
        _deltaF.Clear();
        _deltaG.Clear();
        _stepsSinceRestart = 0;
    }

    private Dictionary<string, double> Settings() => new(StringComparer.Ordinal)
    {
        ["depth"] = Options.Depth,
        ["regularization"] = Options.Regularization,
        ["damping"] = Options.Damping,
        ["restartInterval"] = Options.RestartInterval,
        ["safeguardGrowthFactor"] = Options.SafeguardGrowthFactor,
        ["fallbackDamping"] = Options.FallbackDamping,
        ["maxConditionNumber"] = Options.MaxConditionNumber,
    };
}
