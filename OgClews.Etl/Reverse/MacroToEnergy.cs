using System.Globalization;
using System.Text;

namespace OgClews.Etl.Reverse;

/// <summary>
/// The reverse pass: turns macro paths into energy-model data updates. New annual demand per fuel
/// (<see cref="DemandBasis"/>, <see cref="DemandDriver"/>), the demand rows' new lower bounds by the
/// models/energy demand-update rule (rhs(EnergyBalance[r,f,l,y]) = SpecifiedAnnualDemand[r,f,y] ×
/// SpecifiedDemandProfile[r,f,l,y]), and a GMPL data file with the new SpecifiedAnnualDemand (and
/// DiscountRate from the macro interest rate).
/// </summary>
public static class MacroToEnergy
{
    /// <summary>Runs the pass.</summary>
    public static MacroToEnergyResult Run(MacroPaths paths, DemandData demand, MacroToEnergyOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(paths);
        ArgumentNullException.ThrowIfNull(demand);
        var o = options ?? new MacroToEnergyOptions();
        int[] years = demand.Years;
        int n = years.Length;
        int[] at = AlignYears(paths, years);

        // driver ratio per year, before the elasticity
        double[] driver;
        double[]? reference = null;
        if (o.Driver == DemandDriver.Gdp)
        {
            driver = Series(paths, paths.Gdp, MacroPaths.GdpColumn, at, positive: true);
            if (o.Basis == DemandBasis.BasePath)
                reference = Series(paths, paths.GdpReference, MacroPaths.GdpReferenceColumn, at, positive: true);
        }
        else driver = Series(paths, paths.EnergyDemandIndex, MacroPaths.EnergyDemandIndexColumn, at, positive: true);
        var ratio = new double[n];
        for (int y = 0; y < n; y++)
            ratio[y] = o.Basis == DemandBasis.BaseYear ? driver[y] / driver[0] : reference is not null ? driver[y] / reference[y] : driver[y];

        var annual = new List<AnnualDemandUpdate>();
        var newDemand = new double[demand.Regions.Count, demand.Fuels.Count, n];
        var isDemand = new bool[demand.Regions.Count, demand.Fuels.Count];
        for (int r = 0; r < demand.Regions.Count; r++)
            for (int f = 0; f < demand.Fuels.Count; f++)
            {
                bool any = false;
                for (int y = 0; y < n; y++) any |= demand.AnnualDemand(r, f, y) > 0;
                if (!any) continue;
                isDemand[r, f] = true;
                string fuel = demand.Fuels[f];
                double elasticity = o.Driver == DemandDriver.EnergyDemandIndex ? 1
                    : o.Elasticities.TryGetValue(fuel, out double e) ? e
                    : o.DefaultElasticity ?? throw new EtlException(demand.Source, null, "FUEL",
                        $"no income elasticity for demand fuel '{fuel}' (give one in Elasticities, or a DefaultElasticity)");
                double baseYear = demand.AnnualDemand(r, f, 0);
                if (o.Basis == DemandBasis.BaseYear && baseYear <= 0)
                    throw new EtlException(demand.Source, null, "SpecifiedAnnualDemand",
                        $"{demand.Regions[r]},{fuel} has no demand in the base year {years[0]}, so base-year growth cannot scale it; use DemandBasis.BasePath");
                for (int y = 0; y < n; y++)
                {
                    double b = demand.AnnualDemand(r, f, y);
                    double scale = Math.Pow(ratio[y], elasticity);
                    double d = o.Basis == DemandBasis.BaseYear ? baseYear * scale : b * scale;
                    newDemand[r, f, y] = d;
                    annual.Add(new AnnualDemandUpdate(demand.Regions[r], fuel, years[y], b, d));
                }
            }

        // rows in the LP's order: EnergyBalance{r in REGION, f in FUEL, l in TIMESLICE, y in YEAR}
        var rows = new List<RowUpdate>();
        for (int r = 0; r < demand.Regions.Count; r++)
            for (int f = 0; f < demand.Fuels.Count; f++)
            {
                if (!isDemand[r, f]) continue;
                for (int y = 0; y < n; y++)
                {
                    double total = 0;
                    for (int l = 0; l < demand.Timeslices.Count; l++) total += demand.Profile(r, f, l, y);
                    if (newDemand[r, f, y] > 0 && total <= 0)
                        throw new EtlException(demand.Source, null, "SpecifiedDemandProfile",
                            $"{demand.Regions[r]},{demand.Fuels[f]},{years[y]} gets demand {newDemand[r, f, y]} but has no demand profile");
                }
                for (int l = 0; l < demand.Timeslices.Count; l++)
                    for (int y = 0; y < n; y++)
                    {
                        double share = demand.Profile(r, f, l, y);
                        double lower = newDemand[r, f, y] * share;
                        if (lower == 0 && demand.AnnualDemand(r, f, y) * share == 0) continue; // rhs 0 stays 0: leave the row alone
                        string name = $"{o.ConstraintName}[{demand.Regions[r]},{demand.Fuels[f]},{demand.Timeslices[l]},{years[y].ToString(CultureInfo.InvariantCulture)}]";
                        rows.Add(new RowUpdate(name, lower, demand.Regions[r], demand.Fuels[f], demand.Timeslices[l], years[y]));
                    }
            }

        double? rate = null;
        if (o.SetDiscountRate && paths.InterestRate is not null)
        {
            var interest = Series(paths, paths.InterestRate, MacroPaths.InterestRateColumn, at, positive: false);
            for (int y = 0; y < n; y++)
                if (!(interest[y] > -0.5 && interest[y] < 1))
                    throw new EtlException(paths.Source, paths.RowOf(at[y]), paths.ColumnName(MacroPaths.InterestRateColumn),
                        $"interest rate {interest[y]} in {years[y]} is outside (-0.5, 1): give it as a fraction (0.04 = 4 %)");
            // decimal mean: a constant 0.05 path gives exactly 0.05 in the data file
            rate = (double)(interest.Sum(x => (decimal)x) / interest.Length) + o.DiscountRatePremium;
            if (!(rate > -1)) throw new EtlException("options", null, "DiscountRatePremium", $"the discount rate {rate} must be above -1");
        }
        var replaced = rate is null ? new[] { "SpecifiedAnnualDemand" } : ["SpecifiedAnnualDemand", "DiscountRate"];
        return new MacroToEnergyResult(rows, annual, rate, DataFile(demand, newDemand, isDemand, rate, replaced), replaced);
    }

    // Position of each model year in the paths; a model year the paths lack is an error naming the gap.
    private static int[] AlignYears(MacroPaths paths, int[] years)
    {
        var at = new int[years.Length];
        for (int y = 0; y < years.Length; y++)
        {
            at[y] = Array.BinarySearch(paths.Years, years[y]);
            if (at[y] >= 0) continue;
            int next = ~at[y];
            int? row = next < paths.Years.Length ? paths.RowOf(next) : null;
            string where = next > 0 && next < paths.Years.Length ? $" (the paths jump from {paths.Years[next - 1]} to {paths.Years[next]})"
                : next == 0 ? $" (the paths start in {paths.Years[0]})" : $" (the paths end in {paths.Years[^1]})";
            throw new EtlException(paths.Source, row, paths.ColumnName(MacroPaths.YearColumn),
                $"year {years[y]} is missing{where}; the energy model needs {years[0]}-{years[^1]}");
        }
        return at;
    }

    private static double[] Series(MacroPaths paths, double[]? series, string column, int[] at, bool positive)
    {
        if (series is null) throw new EtlException(paths.Source, null, column, $"missing required column {column}");
        var values = new double[at.Length];
        for (int y = 0; y < at.Length; y++)
        {
            double v = series[at[y]];
            if (!double.IsFinite(v) || positive && v <= 0)
                throw new EtlException(paths.Source, paths.RowOf(at[y]), paths.ColumnName(column),
                    $"{v.ToString("R", CultureInfo.InvariantCulture)} in {paths.Years[at[y]]} is not {(positive ? "a positive" : "a finite")} number");
            values[y] = v;
        }
        return values;
    }

    private static string DataFile(DemandData demand, double[,,] newDemand, bool[,] isDemand, double? rate, IReadOnlyList<string> replaced)
    {
        static string Num(double v) => v.ToString("R", CultureInfo.InvariantCulture);
        var sb = new StringBuilder();
        sb.Append("# OG-CLEWS demand update written by OgClews.Etl (MacroToEnergy).\n");
        sb.Append($"# Sets {string.Join(" and ", replaced)}. GMPL refuses a parameter that two data files both set:\n");
        sb.Append("# load the base data with these parameters removed (GmplDataReader.RemoveParameters), then this file:\n");
        sb.Append("#   glpsol -m model.mod -d base_without_them.dat -d this_file.dat\n");
        sb.Append("data;\n\n# PJ/yr (no default clause: GMPL refuses one when the model declares a default)\nparam SpecifiedAnnualDemand :=\n");
        string header = string.Join(' ', demand.Years.Select(y => y.ToString(CultureInfo.InvariantCulture)));
        for (int r = 0; r < demand.Regions.Count; r++)
        {
            var fuels = Enumerable.Range(0, demand.Fuels.Count).Where(f => isDemand[r, f]).ToArray();
            if (fuels.Length == 0) continue;
            sb.Append($"[{demand.Regions[r]},*,*]: {header} :=\n");
            foreach (int f in fuels)
            {
                sb.Append("  ").Append(demand.Fuels[f]);
                for (int y = 0; y < demand.Years.Length; y++) sb.Append(' ').Append(Num(newDemand[r, f, y]));
                sb.Append('\n');
            }
        }
        sb.Append(";\n");
        if (rate is double dr)
        {
            sb.Append("\n# 1/yr, from the macro interest rate\nparam DiscountRate :=");
            foreach (var region in demand.Regions) sb.Append(' ').Append(region).Append(' ').Append(Num(dr));
            sb.Append(";\n");
        }
        sb.Append("\nend;\n");
        return sb.ToString();
    }
}
