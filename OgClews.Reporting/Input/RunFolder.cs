namespace OgClews.Reporting.Input;

// Everything the report shows, read from one run folder, with the summary figures settled: run.json
// wins where it has a value, iterations.csv fills in what it lacks.
internal sealed class RunFolder
{
    public required string Folder { get; init; }
    public required RunInfo Run { get; init; }
    public required IterationsData Iterations { get; init; }
    public required PathsData Paths { get; init; }

    public static RunFolder Load(string folder)
    {
        if (!Directory.Exists(folder))
            throw new ReportInputException(folder, $"run folder {folder} does not exist");
        // run.json first: it says whether the run ended at all, the likeliest thing to be missing.
        var run = RunInfo.Load(folder);
        return new RunFolder
        {
            Folder = folder,
            Run = run,
            Iterations = IterationsData.Load(folder),
            Paths = PathsData.Load(folder),
        };
    }

    public bool Converged => string.Equals(Run.Status, "Converged", StringComparison.OrdinalIgnoreCase);

    public double WallSeconds => Run.WallSeconds ?? SumFinite(Iterations.WallSeconds);

    public double MapSeconds => Run.MapSeconds ?? SumFinite(Iterations.MapSeconds);

    // Share of wall time spent outside the kernels' compute (orchestration, checkpoints, transfers).
    public double OverheadFraction
    {
        get
        {
            if (Run.OverheadFraction is double f) return f;
            double wall = SumFinite(Iterations.WallSeconds);
            return wall > 0 ? SumFinite(Iterations.OverheadSeconds) / wall : double.NaN;
        }
    }

    public IReadOnlyList<(string Name, double Seconds)> KernelSeconds =>
        Run.KernelSeconds ?? Iterations.Components.Select(c => (c.Name, SumFinite(c.Seconds))).ToList();

    private static double SumFinite(IEnumerable<double> values) => values.Where(double.IsFinite).Sum();
}
