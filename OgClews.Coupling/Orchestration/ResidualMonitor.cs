using System.Globalization;

namespace OgClews.Coupling.Orchestration;

// The residual history of a run and the divergence and oscillation criteria on it. The criteria are
// pure functions of the history and the options, so a resumed run (whose history is restored from
// the checkpoint) decides exactly as the uninterrupted run would.
internal sealed class ResidualMonitor
{
    private readonly List<double> _relative = [];
    private readonly List<double> _absolute = [];

    public IReadOnlyList<double> Relative => _relative;

    public IReadOnlyList<double> Absolute => _absolute;

    public void Add(double relative, double absolute)
    {
        _relative.Add(relative);
        _absolute.Add(absolute);
    }

    public void Restore(IReadOnlyList<double> relative, IReadOnlyList<double> absolute)
    {
        _relative.Clear();
        _absolute.Clear();
        _relative.AddRange(relative);
        _absolute.AddRange(absolute);
    }

    // Diverged or Oscillating with a message, or null to go on.
    public (ConvergenceStatus Status, string Message)? Check(ConvergenceOptions o)
    {
        int k = _relative.Count - 1;
        if (k < 0) return null;
        double r = _relative[k];

        if (r > o.DivergenceThreshold)
            return (ConvergenceStatus.Diverged, F($"Diverged at iteration {k}: the relative residual {r:G6} exceeds the divergence threshold {o.DivergenceThreshold:G6}."));

        if (o.DivergenceWindow > 0)
        {
            int run = 0;
            while (run < k && _absolute[k - run] > _absolute[k - run - 1]) run++;
            if (run >= o.DivergenceWindow && _absolute[k] >= o.DivergenceGrowthFactor * _absolute[k - run])
                return (ConvergenceStatus.Diverged, F(
                    $"Diverged at iteration {k}: the residual ‖G(x) − x‖∞ grew in each of the last {run} iterations, from {_absolute[k - run]:G6} to {_absolute[k]:G6} (×{_absolute[k] / _absolute[k - run]:G4}; limits: {o.DivergenceWindow} iterations, ×{o.DivergenceGrowthFactor:G4})."));
        }

        // Oscillating: the last w absolute residuals stay within the range of the w before them (no
        // new minimum and no new maximum, each up to the relative margin p). A stall or a cycle
        // does this; a transient rise (a new maximum) or a slow decrease (a new minimum) does not.
        // The absolute residual is used because the relative one jumps whenever a component of G
        // passes near zero, which is not a lack of progress.
        int w = o.OscillationWindow;
        double p = o.OscillationMinProgress;
        if (w > 0 && _relative.Count >= 2 * w)
        {
            var (bestRecent, worstRecent) = Range(_absolute, k - w + 1, k);
            var (bestBefore, worstBefore) = Range(_absolute, k - 2 * w + 1, k - w);
            if (bestRecent >= (1 - p) * bestBefore && worstRecent <= (1 + p) * worstBefore)
            {
                // Alternating: the (relative or absolute) residual's successive changes flip sign
                // (almost) every iteration, as on a 2-cycle.
                string kind = Alternates(_relative, k, w) || Alternates(_absolute, k, w) ? "alternating (a cycle)" : "stagnating";
                var (rMin, rMax) = Range(_relative, k - w + 1, k);
                return (ConvergenceStatus.Oscillating, F(
                    $"Oscillating at iteration {k}: the residual is {kind}: over the last {w} iterations ‖G(x) − x‖∞ stayed between {bestRecent:G6} and {worstRecent:G6}, within the range of the {w} before them ({bestBefore:G6} to {worstBefore:G6}), without {p:P0} progress; the relative residual was between {rMin:G6} and {rMax:G6}."));
            }
        }
        return null;
    }

    private static (double Min, double Max) Range(List<double> values, int from, int to)
    {
        double min = double.PositiveInfinity, max = double.NegativeInfinity;
        for (int i = from; i <= to; i++)
        {
            min = Math.Min(min, values[i]);
            max = Math.Max(max, values[i]);
        }
        return (min, max);
    }

    private static bool Alternates(List<double> values, int k, int w)
    {
        int flips = 0, changes = 0;
        for (int i = k - w + 2; i <= k; i++)
        {
            double d1 = values[i - 1] - values[i - 2], d2 = values[i] - values[i - 1];
            changes++;
            if (d1 * d2 < 0) flips++;
        }
        return changes > 1 && flips >= changes - 1;
    }

    private static string F(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
}
