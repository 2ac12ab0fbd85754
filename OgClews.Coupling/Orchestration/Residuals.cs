namespace OgClews.Coupling.Orchestration;

// The true residual of an iterate: relative (in the chosen norm), absolute, and per block.
internal static class Residuals
{
    public static (double Relative, double Absolute, Dictionary<string, double> Blocks) Measure(
        ReadOnlySpan<double> x, ReadOnlySpan<double> gx, FixedPointProblem problem, ConvergenceOptions options)
    {
        var blocks = new Dictionary<string, double>(StringComparer.Ordinal);
        double relative = 0, absolute = 0, gMax = 0;
        foreach (var b in problem.Blocks)
        {
            double floor = b.Floor ?? options.ResidualFloor;
            double worstComponent = 0, diffMax = 0, blockGMax = 0;
            for (int i = b.Offset; i < b.Offset + b.Length; i++)
            {
                double d = Math.Abs(gx[i] - x[i]);
                double g = Math.Abs(gx[i]);
                worstComponent = Math.Max(worstComponent, d / Math.Max(g, floor));
                diffMax = Math.Max(diffMax, d);
                blockGMax = Math.Max(blockGMax, g);
            }
            double blockwise = diffMax / Math.Max(blockGMax, floor);
            double value = options.Norm == ResidualNorm.Componentwise ? worstComponent : blockwise;
            blocks[b.Name] = value;
            if (options.Norm != ResidualNorm.Normwise) relative = Math.Max(relative, value);
            absolute = Math.Max(absolute, diffMax);
            gMax = Math.Max(gMax, blockGMax);
        }
        if (options.Norm == ResidualNorm.Normwise) relative = absolute / Math.Max(gMax, options.ResidualFloor);
        return (relative, absolute, blocks);
    }

    public static double MaxAbsDifference(ReadOnlySpan<double> a, ReadOnlySpan<double> b)
    {
        double m = 0;
        for (int i = 0; i < a.Length; i++) m = Math.Max(m, Math.Abs(a[i] - b[i]));
        return m;
    }

    // The first non-finite component, or -1.
    public static int FirstNonFinite(ReadOnlySpan<double> v)
    {
        for (int i = 0; i < v.Length; i++)
        {
            if (!double.IsFinite(v[i])) return i;
        }
        return -1;
    }
}
