namespace OgClews.Reporting.Input;

// iterations.csv: one row per completed iteration, as OgClews.Coupling writes it.
internal sealed class IterationsData
{
    public const string FileName = "iterations.csv";

    private static readonly string[] Fixed = ["iteration", "residual", "absolute_residual", "step_size", "method"];
    private static readonly string[] Totals = ["map_seconds", "wall_seconds", "overhead_seconds"];

    public required int[] Iteration { get; init; }
    public required double[] Residual { get; init; }
    public required double[] AbsoluteResidual { get; init; }
    public required double[] StepSize { get; init; }
    public required string[] Method { get; init; }

    // Per component (energy, etl, macro, …) in header order; NaN where the component did not report.
    public required IReadOnlyList<(string Name, double[] Seconds)> Components { get; init; }
    public required double[] MapSeconds { get; init; }
    public required double[] WallSeconds { get; init; }
    public required double[] OverheadSeconds { get; init; }

    public int Count => Iteration.Length;

    public static IterationsData Load(string runFolder) => From(CsvTable.Load(Path.Combine(runFolder, FileName)));

    public static IterationsData From(CsvTable t)
    {
        int cIter = t.Column("iteration"), cRes = t.Column("residual"), cAbs = t.Column("absolute_residual"),
            cStep = t.Column("step_size"), cMethod = t.Column("method"),
            cMap = t.Column("map_seconds"), cWall = t.Column("wall_seconds"), cOver = t.Column("overhead_seconds");

        // Component columns are whatever *_seconds columns are not the fixed totals, so a run with
        // more or fewer kernels needs no change here.
        var componentColumns = new List<(string, int)>();
        for (int c = 0; c < t.Header.Count; c++)
        {
            string h = t.Header[c];
            if (h.EndsWith("_seconds", StringComparison.Ordinal) && !Totals.Contains(h) && !Fixed.Contains(h) && h.Length > "_seconds".Length)
                componentColumns.Add((h[..^"_seconds".Length], c));
        }

        int n = t.Rows.Count;
        var iteration = new int[n];
        double[] res = new double[n], abs = new double[n], step = new double[n], map = new double[n], wall = new double[n], over = new double[n];
        var method = new string[n];
        var comps = componentColumns.Select(cc => (cc.Item1, new double[n])).ToList();
        for (int r = 0; r < n; r++)
        {
            double it = t.Number(r, cIter);
            if (!double.IsFinite(it) || it < 0 || it != Math.Floor(it) || it > int.MaxValue)
            {
                throw new ReportInputException(t.Path,
                    $"{FileName} line {t.LineOf(r)}, column 'iteration': '{t.Text(r, cIter)}' is not a non-negative integer", "iteration", t.LineOf(r));
            }
            iteration[r] = (int)it;
            if (r > 0 && iteration[r] <= iteration[r - 1])
            {
                throw new ReportInputException(t.Path,
                    $"{FileName} line {t.LineOf(r)}, column 'iteration': {iteration[r]} does not follow {iteration[r - 1]} (iterations must increase)", "iteration", t.LineOf(r));
            }
            // Residuals may be NaN or infinite on a diverged run: they are data, not errors.
            res[r] = t.Number(r, cRes);
            abs[r] = t.Number(r, cAbs);
            step[r] = t.Number(r, cStep, allowEmpty: true);
            method[r] = t.Text(r, cMethod);
            for (int k = 0; k < comps.Count; k++) comps[k].Item2[r] = t.Number(r, componentColumns[k].Item2, allowEmpty: true);
            map[r] = t.Number(r, cMap, allowEmpty: true);
            wall[r] = t.Number(r, cWall, allowEmpty: true);
            over[r] = t.Number(r, cOver, allowEmpty: true);
        }
        return new IterationsData
        {
            Iteration = iteration, Residual = res, AbsoluteResidual = abs, StepSize = step, Method = method,
            Components = comps, MapSeconds = map, WallSeconds = wall, OverheadSeconds = over,
        };
    }
}
