using System.Globalization;
using Mesh.Values;

namespace OgClews.Etl.Reverse;

/// <summary>
/// Yearly macro-model output paths that the reverse pass reads: GDP, an energy demand index,
/// the interest rate, and optionally the reference GDP path the energy data's demand assumes.
/// </summary>
public sealed class MacroPaths
{
    /// <summary>Column names in a paths table (matched case-insensitively).</summary>
    public const string YearColumn = "year", GdpColumn = "gdp", EnergyDemandIndexColumn = "energy_demand_index",
        InterestRateColumn = "interest_rate", GdpReferenceColumn = "gdp_ref";

    private readonly int[] _rows;
    private readonly Dictionary<string, string> _columnNames;

    /// <summary>Creates paths from arrays aligned with <paramref name="years"/> (any order; years must be distinct).</summary>
    public MacroPaths(int[] years, double[]? gdp, double[]? energyDemandIndex = null, double[]? interestRate = null,
        double[]? gdpReference = null, string source = "table 'macro_paths'")
        : this(years, gdp, energyDemandIndex, interestRate, gdpReference, source, null, null) { }

    private MacroPaths(int[] years, double[]? gdp, double[]? edi, double[]? rate, double[]? gdpRef, string source,
        int[]? rows, Dictionary<string, string>? columnNames)
    {
        ArgumentNullException.ThrowIfNull(years);
        Source = source;
        _columnNames = columnNames ?? new Dictionary<string, string>(StringComparer.Ordinal);
        rows ??= Enumerable.Range(1, years.Length).ToArray();
        foreach (var (name, series) in new[] { (GdpColumn, gdp), (EnergyDemandIndexColumn, edi), (InterestRateColumn, rate), (GdpReferenceColumn, gdpRef) })
            if (series is not null && series.Length != years.Length)
                throw new EtlException(source, null, name, $"{series.Length} values for {years.Length} years");
        var order = Enumerable.Range(0, years.Length).OrderBy(i => years[i]).ToArray();
        for (int k = 1; k < order.Length; k++)
            if (years[order[k]] == years[order[k - 1]])
                throw new EtlException(source, rows[order[k]], ColumnName(YearColumn), $"year {years[order[k]]} appears twice (also row {rows[order[k - 1]]})");
        Years = order.Select(i => years[i]).ToArray();
        _rows = order.Select(i => rows[i]).ToArray();
        Gdp = gdp is null ? null : order.Select(i => gdp[i]).ToArray();
        EnergyDemandIndex = edi is null ? null : order.Select(i => edi[i]).ToArray();
        InterestRate = rate is null ? null : order.Select(i => rate[i]).ToArray();
        GdpReference = gdpRef is null ? null : order.Select(i => gdpRef[i]).ToArray();
    }

    /// <summary>Where the paths came from (for errors).</summary>
    public string Source { get; }

    /// <summary>Years, ascending.</summary>
    public int[] Years { get; }

    /// <summary>GDP (any consistent unit; only ratios are used), or null.</summary>
    public double[]? Gdp { get; }

    /// <summary>Energy demand index, or null.</summary>
    public double[]? EnergyDemandIndex { get; }

    /// <summary>Interest rate as a fraction per year (0.04 = 4 %), or null.</summary>
    public double[]? InterestRate { get; }

    /// <summary>Reference GDP path (the GDP the energy data's demand path assumes), or null.</summary>
    public double[]? GdpReference { get; }

    /// <summary>
    /// Reads a paths table with columns <c>year</c> and any of <c>gdp</c>, <c>energy_demand_index</c>,
    /// <c>interest_rate</c>, <c>gdp_ref</c> (case-insensitive; numeric or text columns).
    /// </summary>
    public static MacroPaths FromTable(Table table, string source = "table 'macro_paths'")
    {
        ArgumentNullException.ThrowIfNull(table);
        var names = new Dictionary<string, string>(StringComparer.Ordinal);
        double[]? Column(string wanted, bool required)
        {
            string? actual = table.Names.FirstOrDefault(n => string.Equals(n, wanted, StringComparison.OrdinalIgnoreCase));
            if (actual is null)
            {
                if (required) throw new EtlException(source, null, wanted, $"missing required column {wanted} (columns: {string.Join(", ", table.Names)})");
                return null;
            }
            names[wanted] = actual;
            return Numbers(table[actual], source, actual);
        }
        var yearValues = Column(YearColumn, required: true)!;
        var years = new int[yearValues.Length];
        for (int i = 0; i < years.Length; i++)
            years[i] = yearValues[i] == Math.Floor(yearValues[i]) && Math.Abs(yearValues[i]) < 1e6
                ? (int)yearValues[i]
                : throw new EtlException(source, i + 1, names[YearColumn], $"{yearValues[i].ToString("R", CultureInfo.InvariantCulture)} is not a year");
        if (years.Length == 0) throw new EtlException(source, null, null, "the paths table has no rows");
        return new MacroPaths(years, Column(GdpColumn, false), Column(EnergyDemandIndexColumn, false), Column(InterestRateColumn, false),
            Column(GdpReferenceColumn, false), source, Enumerable.Range(1, years.Length).ToArray(), names);
    }

    /// <summary>The paths as a table: year (int64) and the series present.</summary>
    public Table ToTable()
    {
        var t = new Table().Add(YearColumn, Years.Select(y => (long)y).ToArray());
        if (Gdp is not null) t.Add(GdpColumn, Gdp);
        if (EnergyDemandIndex is not null) t.Add(EnergyDemandIndexColumn, EnergyDemandIndex);
        if (InterestRate is not null) t.Add(InterestRateColumn, InterestRate);
        if (GdpReference is not null) t.Add(GdpReferenceColumn, GdpReference);
        return t;
    }

    /// <summary>The input row of the <paramref name="i"/>-th year (sorted order).</summary>
    internal int RowOf(int i) => _rows[i];

    /// <summary>A column's name as spelled in the input.</summary>
    internal string ColumnName(string canonical) => _columnNames.GetValueOrDefault(canonical, canonical);

    private static double[] Numbers(object column, string source, string name)
    {
        switch (column)
        {
            case NDArray { Data: double[] d }: return d;
            case NDArray nd when nd.Shape.Length == 1 && nd.Data is not bool[]:
                var r = new double[nd.Length];
                for (int i = 0; i < r.Length; i++) r[i] = Convert.ToDouble(nd.Data.GetValue(i), CultureInfo.InvariantCulture);
                return r;
            case string?[] s:
                var p = new double[s.Length];
                for (int i = 0; i < s.Length; i++)
                    p[i] = double.TryParse(s[i], NumberStyles.Float, CultureInfo.InvariantCulture, out double v)
                        ? v : throw new EtlException(source, i + 1, name, $"'{s[i]}' is not a number");
                return p;
            default:
                throw new EtlException(source, null, name, "the column is not numeric");
        }
    }
}
