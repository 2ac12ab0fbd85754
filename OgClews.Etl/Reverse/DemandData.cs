using System.Globalization;
using Mesh.Values;
using OgClews.Etl.Gmpl;
using OgClews.Etl.Results;

namespace OgClews.Etl.Reverse;

/// <summary>
/// The base final demand of the energy model: SpecifiedAnnualDemand[r,f,y] (PJ/yr) and
/// SpecifiedDemandProfile[r,f,l,y] (share), with the sets that index them. Read from the model's
/// GMPL data file or from otoole-style tables.
/// </summary>
public sealed class DemandData
{
    private readonly double[,,] _annual;    // [r,f,y]
    private readonly double[,,,] _profile;  // [r,f,l,y]

    private DemandData(string source, string[] regions, string[] fuels, string[] slices, int[] years, double[,,] annual, double[,,,] profile)
    {
        Source = source;
        Regions = regions;
        Fuels = fuels;
        Timeslices = slices;
        Years = years;
        _annual = annual;
        _profile = profile;
    }

    /// <summary>Where the data came from (for errors).</summary>
    public string Source { get; }

    /// <summary>Regions in data order.</summary>
    public IReadOnlyList<string> Regions { get; }

    /// <summary>Fuels in data order.</summary>
    public IReadOnlyList<string> Fuels { get; }

    /// <summary>Time slices in data order.</summary>
    public IReadOnlyList<string> Timeslices { get; }

    /// <summary>Model years, ascending and consecutive.</summary>
    public int[] Years { get; }

    /// <summary>SpecifiedAnnualDemand of region <paramref name="r"/>, fuel <paramref name="f"/>, year position <paramref name="y"/> (positions index the lists above).</summary>
    public double AnnualDemand(int r, int f, int y) => _annual[r, f, y];

    /// <summary>SpecifiedDemandProfile by positions.</summary>
    public double Profile(int r, int f, int l, int y) => _profile[r, f, l, y];

    /// <summary>
    /// Every demand-balance row that carries final demand (rhs = annual demand × profile share ≠ 0),
    /// named as the GLPK API names it (<c>EnergyBalance[ATLANTIS,ELC,SD,2030]</c>), in the LP's order
    /// (r, f, l, y), with its right-hand side times <paramref name="scale"/>.
    /// </summary>
    public (string[] Rows, double[] Rhs) DemandRows(double scale = 1, string constraint = "EnergyBalance")
    {
        var rows = new List<string>();
        var rhs = new List<double>();
        for (int r = 0; r < Regions.Count; r++)
            for (int f = 0; f < Fuels.Count; f++)
                for (int l = 0; l < Timeslices.Count; l++)
                    for (int y = 0; y < Years.Length; y++)
                    {
                        double value = AnnualDemand(r, f, y) * Profile(r, f, l, y);
                        if (value == 0) continue;
                        rows.Add($"{constraint}[{Regions[r]},{Fuels[f]},{Timeslices[l]},{Years[y].ToString(System.Globalization.CultureInfo.InvariantCulture)}]");
                        rhs.Add(value * scale);
                    }
        return (rows.ToArray(), rhs.ToArray());
    }

    /// <summary>Reads the demand from parsed GMPL data (sets REGION, FUEL, TIMESLICE, YEAR; model defaults 0).</summary>
    public static DemandData FromGmpl(GmplData data)
    {
        ArgumentNullException.ThrowIfNull(data);
        const string use = "the demand update";
        var regions = data.RequireSet("REGION", use).ToArray();
        var fuels = data.RequireSet("FUEL", use).ToArray();
        var slices = data.RequireSet("TIMESLICE", use).ToArray();
        var years = data.Years(use);
        CheckConsecutive(years, data.Source);
        foreach (var name in new[] { "SpecifiedAnnualDemand", "SpecifiedDemandProfile" })
        {
            if (!data.Parameters.TryGetValue(name, out var p)) throw new EtlException(data.Source, null, name, $"the data file does not set {name}");
            var sets = name == "SpecifiedAnnualDemand" ? new[] { ("REGION", regions), ("FUEL", fuels), ("YEAR", years.Select(Str).ToArray()) }
                : [("REGION", regions), ("FUEL", fuels), ("TIMESLICE", slices), ("YEAR", years.Select(Str).ToArray())];
            foreach (var (index, text, line) in p.Entries)
                for (int k = 0; k < index.Count; k++)
                    if (!sets[k].Item2.Contains(index[k]))
                        throw new EtlException(data.Source, line, name, $"'{index[k]}' is not in set {sets[k].Item1}");
        }
        var annual = new double[regions.Length, fuels.Length, years.Length];
        var profile = new double[regions.Length, fuels.Length, slices.Length, years.Length];
        for (int r = 0; r < regions.Length; r++)
            for (int f = 0; f < fuels.Length; f++)
                for (int y = 0; y < years.Length; y++)
                {
                    string ys = Str(years[y]);
                    annual[r, f, y] = data.Value("SpecifiedAnnualDemand", regions[r], fuels[f], ys);
                    if (annual[r, f, y] < 0) throw new EtlException(data.Source, Line(data, "SpecifiedAnnualDemand", regions[r], fuels[f], ys), "SpecifiedAnnualDemand", $"negative demand {annual[r, f, y]}");
                    for (int l = 0; l < slices.Length; l++)
                        profile[r, f, l, y] = data.Value("SpecifiedDemandProfile", regions[r], fuels[f], slices[l], ys);
                }
        return new DemandData(data.Source, regions, fuels, slices, years, annual, profile);
    }

    /// <summary>
    /// Reads the demand from otoole-style tables: <paramref name="annualDemand"/> with REGION, FUEL,
    /// YEAR, VALUE and <paramref name="profile"/> with REGION, FUEL, TIMESLICE, YEAR, VALUE (MUIO names
    /// r, f, l, y work too). Sets are taken from the tables; missing entries are 0.
    /// </summary>
    public static DemandData FromTables(Table annualDemand, Table profile)
    {
        var a = ResultsReader.FromTable("SpecifiedAnnualDemand", annualDemand);
        var p = ResultsReader.FromTable("SpecifiedDemandProfile", profile);
        var ac = ResultChecks.RequireColumns(a, "the demand update", Dimensions.Region, Dimensions.Fuel, Dimensions.Year);
        var pc = ResultChecks.RequireColumns(p, "the demand update", Dimensions.Region, Dimensions.Fuel, Dimensions.Timeslice, Dimensions.Year);
        var regions = Distinct(a, ac[0]).Concat(Distinct(p, pc[0])).Distinct().ToArray();
        var fuels = Distinct(a, ac[1]).Concat(Distinct(p, pc[1])).Distinct().ToArray();
        var slices = Distinct(p, pc[2]).ToArray();
        var allYears = Enumerable.Range(0, a.RowCount).Select(r => a.Year(r, ac[2])).Concat(Enumerable.Range(0, p.RowCount).Select(r => p.Year(r, pc[3]))).ToArray();
        if (allYears.Length == 0) throw new EtlException(a.Source, null, null, "no demand rows");
        var years = Enumerable.Range(allYears.Min(), allYears.Max() - allYears.Min() + 1).ToArray();
        var annual = new double[regions.Length, fuels.Length, years.Length];
        var prof = new double[regions.Length, fuels.Length, slices.Length, years.Length];
        for (int row = 0; row < a.RowCount; row++)
        {
            if (a.Value(row) < 0) throw a.Error(row, null, $"negative demand {a.Value(row)}");
            annual[Array.IndexOf(regions, a.Index(ac[0], row)), Array.IndexOf(fuels, a.Index(ac[1], row)), a.Year(row, ac[2]) - years[0]] = a.Value(row);
        }
        for (int row = 0; row < p.RowCount; row++)
            prof[Array.IndexOf(regions, p.Index(pc[0], row)), Array.IndexOf(fuels, p.Index(pc[1], row)), Array.IndexOf(slices, p.Index(pc[2], row)), p.Year(row, pc[3]) - years[0]] = p.Value(row);
        return new DemandData($"{a.Source} and {p.Source}", regions, fuels, slices, years, annual, prof);
    }

    private static IEnumerable<string> Distinct(ResultTable t, int column) =>
        Enumerable.Range(0, t.RowCount).Select(r => t.Index(column, r)).Distinct(StringComparer.Ordinal);

    private static void CheckConsecutive(int[] years, string source)
    {
        for (int i = 1; i < years.Length; i++)
            if (years[i] != years[i - 1] + 1)
                throw new EtlException(source, null, "YEAR", $"set YEAR is not consecutive: year {years[i - 1] + 1} is missing");
    }

    private static int? Line(GmplData data, string name, params string[] index) =>
        data.Parameters.TryGetValue(name, out var p) && p.TryGet(index, out _, out int line) ? line : null;

    private static string Str(int y) => y.ToString(CultureInfo.InvariantCulture);
}
