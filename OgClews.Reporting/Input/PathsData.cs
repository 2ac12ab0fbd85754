namespace OgClews.Reporting.Input;

// paths.csv: the baseline and coupled yearly paths of the variables the report plots.
internal sealed class PathsData
{
    public const string FileName = "paths.csv";

    // Required: the four comparisons the report exists to show.
    public static readonly string[] RequiredColumns =
    [
        "year",
        "gdp_baseline", "gdp_coupled",
        "energy_demand_baseline", "energy_demand_coupled",
        "energy_cost_index_baseline", "energy_cost_index_coupled",
        "emissions_baseline", "emissions_coupled",
    ];

    // Shown when present; a run of another model set may not produce them.
    public static readonly string[] OptionalColumns = ["interest_rate_baseline", "interest_rate_coupled", "carbon_revenue_coupled"];

    public required int[] Year { get; init; }

    // Column name → values by year, for every required column and the optional ones present.
    public required IReadOnlyDictionary<string, double[]> Series { get; init; }

    public bool Has(string column) => Series.ContainsKey(column);

    public double[] this[string column] => Series[column];

    public static PathsData Load(string runFolder) => From(CsvTable.Load(Path.Combine(runFolder, FileName)));

    public static PathsData From(CsvTable t)
    {
        foreach (string c in RequiredColumns) t.Column(c);
        if (t.Rows.Count == 0)
            throw new ReportInputException(t.Path, $"{FileName} has a header but no rows: expected one row per model year");

        int n = t.Rows.Count, cYear = t.Column("year");
        var year = new int[n];
        for (int r = 0; r < n; r++)
        {
            double y = t.Number(r, cYear);
            if (!double.IsFinite(y) || y != Math.Floor(y) || y < 1 || y > 9999)
            {
                throw new ReportInputException(t.Path,
                    $"{FileName} line {t.LineOf(r)}, column 'year': '{t.Text(r, cYear)}' is not a year", "year", t.LineOf(r));
            }
            year[r] = (int)y;
            if (r > 0 && year[r] <= year[r - 1])
            {
                throw new ReportInputException(t.Path,
                    $"{FileName} line {t.LineOf(r)}, column 'year': {year[r]} does not follow {year[r - 1]} (years must increase)", "year", t.LineOf(r));
            }
        }

        var series = new Dictionary<string, double[]>(StringComparer.Ordinal);
        foreach (string name in RequiredColumns.Skip(1).Concat(OptionalColumns.Where(t.HasColumn)))
        {
            int c = t.Column(name);
            var v = new double[n];
            for (int r = 0; r < n; r++)
            {
                // A diverged run may leave NaN in its coupled paths; the report shows that as a gap
                // rather than refusing to report the run that most needs looking at.
                v[r] = t.Number(r, c);
            }
            series[name] = v;
        }
        return new PathsData { Year = year, Series = series };
    }
}
