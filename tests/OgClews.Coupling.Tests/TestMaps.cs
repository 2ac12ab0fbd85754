using OgClews.Coupling;

namespace OgClews.Coupling.Tests;

// Maps with known behaviour, counting their evaluations.
internal class FunctionMap(Func<double[], double[]> g, IReadOnlyDictionary<string, TimeSpan>? timings = null) : IFixedPointMap
{
    public int Evaluations { get; private set; }

    public List<int> EvaluatedIterations { get; } = [];

    public virtual ValueTask<MapEvaluation> EvaluateAsync(double[] x, int iteration, CancellationToken ct)
    {
        ct.ThrowIfCancellationRequested();
        Evaluations++;
        EvaluatedIterations.Add(iteration);
        return ValueTask.FromResult(new MapEvaluation(g(x), timings));
    }
}

// Cancels its token while evaluating iteration `cancelAt` and then waits for the cancellation,
// like a kernel call that is interrupted mid-flight.
internal sealed class CancellingMap(Func<double[], double[]> g, int cancelAt, CancellationTokenSource cts, IReadOnlyDictionary<string, TimeSpan>? timings = null)
    : FunctionMap(g, timings)
{
    public override async ValueTask<MapEvaluation> EvaluateAsync(double[] x, int iteration, CancellationToken ct)
    {
        if (iteration == cancelAt)
        {
            await cts.CancelAsync();
            await Task.Delay(Timeout.Infinite, ct);
        }
        return await base.EvaluateAsync(x, iteration, ct);
    }
}

internal static class TestMaps
{
    // G(x) = Mx + b.
    public static Func<double[], double[]> Affine(double[,] m, double[] b) => x =>
    {
        int n = b.Length;
        var y = new double[n];
        for (int i = 0; i < n; i++)
        {
            double s = b[i];
            for (int j = 0; j < n; j++) s += m[i, j] * x[j];
            y[i] = s;
        }
        return y;
    };

    // A non-symmetric n×n matrix with the given eigenvalues: S diag(λ) S⁻¹ with S = I + 0.3·(strictly upper random).
    public static double[,] WithEigenvalues(double[] eigenvalues, int seed)
    {
        int n = eigenvalues.Length;
        var rng = new Random(seed);
        var s = new double[n, n];
        var sInv = new double[n, n];
        for (int i = 0; i < n; i++)
        {
            s[i, i] = 1;
            for (int j = i + 1; j < n; j++) s[i, j] = 0.3 * (2 * rng.NextDouble() - 1);
        }
        // Inverse of a unit upper-triangular matrix, column by column.
        for (int c = 0; c < n; c++)
        {
            for (int i = n - 1; i >= 0; i--)
            {
                double v = i == c ? 1 : 0;
                for (int j = i + 1; j < n; j++) v -= s[i, j] * sInv[j, c];
                sInv[i, c] = v;
            }
        }
        var m = new double[n, n];
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++)
            {
                double v = 0;
                for (int k = 0; k < n; k++) v += s[i, k] * eigenvalues[k] * sInv[k, j];
                m[i, j] = v;
            }
        return m;
    }

    public static double[] Solve(double[,] a, double[] b)
    {
        // Gaussian elimination with partial pivoting (test reference only).
        int n = b.Length;
        var m = (double[,])a.Clone();
        var x = (double[])b.Clone();
        for (int c = 0; c < n; c++)
        {
            int p = c;
            for (int r = c + 1; r < n; r++) if (Math.Abs(m[r, c]) > Math.Abs(m[p, c])) p = r;
            for (int j = 0; j < n; j++) (m[c, j], m[p, j]) = (m[p, j], m[c, j]);
            (x[c], x[p]) = (x[p], x[c]);
            for (int r = c + 1; r < n; r++)
            {
                double f = m[r, c] / m[c, c];
                for (int j = c; j < n; j++) m[r, j] -= f * m[c, j];
                x[r] -= f * x[c];
            }
        }
        for (int r = n - 1; r >= 0; r--)
        {
            double s = x[r];
            for (int j = r + 1; j < n; j++) s -= m[r, j] * x[j];
            x[r] = s / m[r, r];
        }
        return x;
    }

    // The fixed point of x = Mx + b: (I − M)x = b.
    public static double[] AffineFixedPoint(double[,] m, double[] b)
    {
        int n = b.Length;
        var a = new double[n, n];
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++) a[i, j] = (i == j ? 1 : 0) - m[i, j];
        return Solve(a, b);
    }

    // A coupled cosine system: G_i(x) = cos(x_i) + 0.1 Σ_j C_ij sin(x_j), C with rows of 1-norm ≤ 1.
    public static Func<double[], double[]> CosineSystem(int n, int seed)
    {
        var rng = new Random(seed);
        var c = new double[n, n];
        for (int i = 0; i < n; i++)
        {
            double row = 0;
            for (int j = 0; j < n; j++) row += Math.Abs(c[i, j] = 2 * rng.NextDouble() - 1);
            for (int j = 0; j < n; j++) c[i, j] /= row;
        }
        return x =>
        {
            var y = new double[n];
            for (int i = 0; i < n; i++)
            {
                double s = Math.Cos(x[i]);
                for (int j = 0; j < n; j++) s += 0.1 * c[i, j] * Math.Sin(x[j]);
                y[i] = s;
            }
            return y;
        };
    }

    // A symmetric matrix Q diag(λ) Qᵀ, Q the product of two Householder reflections (orthogonal).
    public static double[,] SymmetricWithEigenvalues(double[] eigenvalues, int seed)
    {
        int n = eigenvalues.Length;
        var rng = new Random(seed);
        var q = new double[n, n];
        for (int i = 0; i < n; i++) q[i, i] = 1;
        for (int h = 0; h < 2; h++)
        {
            var v = new double[n];
            double norm2 = 0;
            for (int i = 0; i < n; i++) norm2 += (v[i] = 2 * rng.NextDouble() - 1) * v[i];
            // q ← q (I − 2vvᵀ/‖v‖²)
            for (int i = 0; i < n; i++)
            {
                double dot = 0;
                for (int j = 0; j < n; j++) dot += q[i, j] * v[j];
                for (int j = 0; j < n; j++) q[i, j] -= 2 * dot * v[j] / norm2;
            }
        }
        var m = new double[n, n];
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++)
            {
                double s = 0;
                for (int k = 0; k < n; k++) s += q[i, k] * eigenvalues[k] * q[j, k];
                m[i, j] = s;
            }
        return m;
    }

    // A mildly nonlinear contraction: G(x) = Mx + b + 0.05 sin(x), M symmetric with eigenvalues
    // spread over [−0.9, 0.9] (damped by 1/2, the slowest mode contracts by 0.95 an iteration).
    public static Func<double[], double[]> MildlyNonlinear(int n, int seed)
    {
        var eig = new double[n];
        for (int i = 0; i < n; i++) eig[i] = -0.9 + 1.8 * i / (n - 1);
        var m = SymmetricWithEigenvalues(eig, seed);
        var rng = new Random(seed + 1);
        var b = new double[n];
        for (int i = 0; i < n; i++) b[i] = 1 + rng.NextDouble();
        var affine = Affine(m, b);
        return x =>
        {
            var y = affine(x);
            for (int i = 0; i < n; i++) y[i] += 0.05 * Math.Sin(x[i]);
            return y;
        };
    }

    // A two-period OLG transition path, solved by iterating on the interest-rate path (as OG-Core's
    // TPI does): given r_1..r_T, households of generation t save s_t = w_t / (1 + β^(−1/σ) (1 + r_{t+1})^(1 − 1/σ)),
    // capital is K_{t+1} = s_t, and firms price r_t = α K_t^(α−1) − δ, w_t = (1 − α) K_t^α.
    // x is the path r_1..r_T; r beyond T is the steady-state value.
    public static Func<double[], double[]> OlgInterestPath(int periods)
    {
        const double alpha = 0.35, beta = 0.96, sigma = 2.0, delta = 0.05, k0 = 0.05;
        double SteadyR()
        {
            // Steady state of the same recursion, by bisection on K.
            double lo = 1e-4, hi = 10;
            for (int it = 0; it < 200; it++)
            {
                double k = 0.5 * (lo + hi);
                double r = alpha * Math.Pow(k, alpha - 1) - delta;
                double w = (1 - alpha) * Math.Pow(k, alpha);
                double s = w / (1 + Math.Pow(beta, -1 / sigma) * Math.Pow(1 + r, 1 - 1 / sigma));
                if (s > k) lo = k; else hi = k;
            }
            double kss = 0.5 * (lo + hi);
            return alpha * Math.Pow(kss, alpha - 1) - delta;
        }
        double rBar = SteadyR();
        return r =>
        {
            var next = new double[periods];
            double k = k0;
            for (int t = 0; t < periods; t++)
            {
                double w = (1 - alpha) * Math.Pow(k, alpha);
                double rNext = t + 1 < periods ? r[t + 1] : rBar;
                double s = w / (1 + Math.Pow(beta, -1 / sigma) * Math.Pow(1 + Math.Max(rNext, -0.99), 1 - 1 / sigma));
                next[t] = alpha * Math.Pow(k, alpha - 1) - delta;
                k = s;
            }
            return next;
        };
    }

    // The logistic map x ↦ 3.2 x (1 − x): its fixed point 0.6875 repels (slope −1.2) and it settles
    // on a 2-cycle; damping by 1/2 makes the slope −0.1.
    public static double[] Logistic(double[] x) => [.. x.Select(v => 3.2 * v * (1 - v))];
}
