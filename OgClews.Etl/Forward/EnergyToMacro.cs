using System.Globalization;
using OgClews.Etl.Gmpl;
using OgClews.Etl.Results;

namespace OgClews.Etl.Forward;

/// <summary>
/// The forward pass: collapses energy-model results (region × technology × fuel × emission ×
/// time slice × year) into yearly macro inputs. All regions are summed (one macro economy).
/// Formulas and units are in OgClews.Etl/README.md and on <see cref="MacroSeries"/>.
/// </summary>
public static class EnergyToMacro
{
    /// <summary>Result tables the pass always needs.</summary>
    public static IReadOnlyList<string> RequiredResults { get; } =
        ["Demand", "CapitalInvestment", "AnnualFixedOperatingCost", "AnnualVariableOperatingCost", "AnnualEmissions"];

    /// <summary>
    /// Runs the pass. <paramref name="data"/> (the model's GMPL data, optional) supplies the model years,
    /// the technology set, <c>OperationalLife</c>, <c>DiscountRate</c> and, for the residual capital
    /// charge, <c>ResidualCapacity</c> and <c>CapitalCost</c>.
    /// </summary>
    public static MacroInputs Run(ResultSet results, EnergyToMacroOptions? options = null, GmplData? data = null)
    {
        ArgumentNullException.ThrowIfNull(results);
        var o = options ?? new EnergyToMacroOptions();
        IReadOnlySet<string>? techs = o.Technologies is not null ? o.Technologies.ToHashSet(StringComparer.Ordinal)
            : data is not null && data.Sets.TryGetValue("TECHNOLOGY", out var ts) ? ts.ToHashSet(StringComparer.Ordinal) : null;

        // ---- final energy: the Demand table fixes the year axis ----
        var demand = results.Get("Demand", "final energy");
        var dc = ResultChecks.RequireColumns(demand, "final energy", Dimensions.Region, Dimensions.Fuel, Dimensions.Year);
        int[] axis = YearAxis(demand, dc[2], data);
        int n = axis.Length;
        // Demand lists only non-zero entries (model.mod filters Demand <> 0): missing rows are zeros.
        var demandPos = ResultChecks.CheckYears(demand, dc[2], axis, sparse: true);
        ResultChecks.CheckNonNegative(demand, o.NegativeTolerance, "demand");
        var finalEnergy = ResultChecks.SumByYear(demand, demandPos, n);
        for (int i = 0; i < n; i++)
        {
            if (finalEnergy[i] > 0) continue;
            int year = i;
            int after = Array.FindIndex(demandPos, p => p > year);
            if (!demandPos.Contains(i))
                throw after >= 0
                    ? demand.Error(after, Dimensions.Year, $"year {axis[i]} is missing: no final demand in it (the cost per unit of final energy is undefined)")
                    : new EtlException(demand.Source, null, demand.SourceColumnName(Dimensions.Year), $"year {axis[i]} is missing: no final demand in it");
            throw new EtlException(demand.Source, null, demand.ValueColumn, $"the final demand of year {axis[i]} is zero: the cost per unit of final energy is undefined");
        }

        // ---- costs ----
        var capital = Load(results, "CapitalInvestment", "the energy cost index and investment", axis, techs, o, Dimensions.Region, Dimensions.Technology, Dimensions.Year);
        var fixedCost = Load(results, "AnnualFixedOperatingCost", "the energy cost index", axis, techs, o, Dimensions.Region, Dimensions.Technology, Dimensions.Year);
        var variable = Load(results, "AnnualVariableOperatingCost", "the energy cost index", axis, techs, o, Dimensions.Region, Dimensions.Technology, Dimensions.Year);
        // AnnualFuelImportCost has rows only where the import technology outputs the fuel in that year: sparse by nature.
        Loaded? imports = results.Find("AnnualFuelImportCost") is null ? null
            : Load(results, "AnnualFuelImportCost", "the fuel import bill", axis, techs, o with { AllowSparseYears = true }, Dimensions.Region, Dimensions.Technology, Dimensions.Year);
        foreach (var l in new[] { capital, fixedCost, variable, imports })
            if (l is not null) ResultChecks.CheckNonNegative(l.Table, o.NegativeTolerance, "cost");

        var investment = ResultChecks.SumByYear(capital.Table, capital.YearPos, n);
        var annuity = CapitalAnnuity(capital, axis, o, data);
        bool residualOn = o.ResidualCapitalCharge ?? data is not null;
        if (residualOn && data is null)
            throw new EtlException("options", null, "ResidualCapitalCharge", "the residual capital charge needs the model data (ResidualCapacity, CapitalCost, OperationalLife): pass the data file, or turn the charge off");
        var residual = residualOn ? ResidualCharge(data!, axis, o) : new double[n];
        var fixedSum = ResultChecks.SumByYear(fixedCost.Table, fixedCost.YearPos, n);
        double[] importSum, variableSum;
        if (imports is null)
        {
            importSum = new double[n];
            variableSum = ResultChecks.SumByYear(variable.Table, variable.YearPos, n);
        }
        else
        {
            // AnnualVariableOperatingCost includes the import bill: split it off, do not count it twice.
            importSum = ResultChecks.SumByYear(imports.Table, imports.YearPos, n);
            var importTechs = Pairs(imports.Table);
            int vr = variable.Table.ColumnIndex(Dimensions.Region), vt = variable.Table.ColumnIndex(Dimensions.Technology);
            variableSum = ResultChecks.SumByYear(variable.Table, variable.YearPos, n,
                row => !importTechs.Contains(variable.Table.Index(vr, row) + "\u001F" + variable.Table.Index(vt, row)));
        }

        var cost = new double[n];
        var unitCost = new double[n];
        var costIndex = new double[n];
        for (int i = 0; i < n; i++)
        {
            cost[i] = annuity[i] + residual[i] + fixedSum[i] + variableSum[i] + importSum[i];
            unitCost[i] = cost[i] / finalEnergy[i];
        }
        if (unitCost[0] <= 0)
            throw new EtlException(results.Origin, null, null, $"the energy system cost in the base year {axis[0]} is {cost[0]}: the energy cost index is undefined");
        for (int i = 0; i < n; i++) costIndex[i] = unitCost[i] / unitCost[0];

        // ---- emissions and carbon revenue ----
        var emissions = Load(results, "AnnualEmissions", "emissions", axis, techs, o, Dimensions.Region, Dimensions.Emission, Dimensions.Year);
        int ec = emissions.Table.ColumnIndex(Dimensions.Emission);
        var species = o.EmissionSpecies?.ToHashSet(StringComparer.Ordinal);
        if (species is not null)
            foreach (var s in species)
                if (!Enumerable.Range(0, emissions.Table.RowCount).Any(r => emissions.Table.Index(ec, r) == s))
                    throw new EtlException(emissions.Table.Source, null, emissions.Table.SourceColumnName(Dimensions.Emission), $"emission species '{s}' does not occur");
        var emissionSum = ResultChecks.SumByYear(emissions.Table, emissions.YearPos, n, row => species is null || species.Contains(emissions.Table.Index(ec, row)));
        var carbonPrice = CarbonPrices(axis, o);
        var carbonRevenue = new double[n];
        for (int i = 0; i < n; i++) carbonRevenue[i] = emissionSum[i] * carbonPrice[i];

        var series = new List<KeyValuePair<string, double[]>>
        {
            new(MacroSeries.EnergyCostIndex, costIndex),
            new(MacroSeries.UnitEnergyCost, unitCost),
            new(MacroSeries.EnergySystemCost, cost),
            new(MacroSeries.CapitalAnnuity, annuity),
            new(MacroSeries.ResidualCapitalCharge, residual),
            new(MacroSeries.FixedCost, fixedSum),
            new(MacroSeries.VariableCost, variableSum),
            new(MacroSeries.FuelImportCost, importSum),
            new(MacroSeries.FinalEnergy, finalEnergy),
        };

        // ---- price signal ----
        var price = Price(results, demand, dc, demandPos, finalEnergy, axis, techs, o, data);
        if (price is not null)
        {
            series.Add(new(MacroSeries.EnergyPrice, price));
            int b = o.PriceIndexBaseYear is int year ? year - axis[0] : 0;
            if (b < 0 || b >= n)
                throw new EtlException("options", null, "PriceIndexBaseYear", $"{o.PriceIndexBaseYear} is not a model year ({axis[0]}-{axis[^1]})");
            double basePrice = price[b];
            series.Add(new(MacroSeries.EnergyPriceIndex, price.Select(p => basePrice > 0 ? p / basePrice : double.NaN).ToArray()));
        }
        series.Add(new(MacroSeries.Emissions, emissionSum));
        series.Add(new(MacroSeries.CarbonPrice, carbonPrice));
        series.Add(new(MacroSeries.CarbonRevenue, carbonRevenue));
        series.Add(new(MacroSeries.Investment, investment));
        return new MacroInputs(axis, series);
    }

    /// <summary>Capital recovery factor: ρ / (1 − (1+ρ)^−L), and 1/L for ρ = 0.</summary>
    public static double CapitalRecoveryFactor(double rate, double life)
    {
        if (!(life >= 1)) throw new ArgumentOutOfRangeException(nameof(life), life, "operational life must be at least 1 year");
        if (!(rate > -1)) throw new ArgumentOutOfRangeException(nameof(rate), rate, "discount rate must be above -1");
        return rate == 0 ? 1 / life : rate / (1 - Math.Pow(1 + rate, -life));
    }

    private sealed record Loaded(ResultTable Table, int[] YearPos);

    private static Loaded Load(ResultSet results, string name, string usedFor, int[] axis, IReadOnlySet<string>? techs,
        EnergyToMacroOptions o, params string[] dims)
    {
        var t = results.Get(name, usedFor);
        var at = ResultChecks.RequireColumns(t, usedFor, dims);
        ResultChecks.CheckTechnologies(t, techs);
        var pos = ResultChecks.CheckYears(t, at[Array.IndexOf(dims, Dimensions.Year)], axis, o.AllowSparseYears);
        return new Loaded(t, pos);
    }

    private static int[] YearAxis(ResultTable demand, int yearColumn, GmplData? data)
    {
        if (data is not null && data.Sets.ContainsKey("YEAR"))
        {
            var years = data.Years("the model years");
            for (int i = 1; i < years.Length; i++)
                if (years[i] != years[i - 1] + 1)
                    throw new EtlException(data.Source, null, "YEAR", $"set YEAR is not consecutive: year {years[i - 1] + 1} is missing (the model assumes yearly steps)");
            return years;
        }
        if (demand.RowCount == 0) throw new EtlException(demand.Source, (demand.HeaderRow ?? 0) + 1, null, "the table has no data rows");
        int min = int.MaxValue, max = int.MinValue;
        for (int r = 0; r < demand.RowCount; r++)
        {
            int y = demand.Year(r, yearColumn);
            min = Math.Min(min, y);
            max = Math.Max(max, y);
        }
        return Enumerable.Range(min, max - min + 1).ToArray();
    }

    private static HashSet<string> Pairs(ResultTable t)
    {
        int r = t.ColumnIndex(Dimensions.Region), c = t.ColumnIndex(Dimensions.Technology);
        var set = new HashSet<string>(StringComparer.Ordinal);
        for (int row = 0; row < t.RowCount; row++) set.Add(t.Index(r, row) + "\u001F" + t.Index(c, row));
        return set;
    }

    private static double Rate(string region, EnergyToMacroOptions o, GmplData? data) =>
        o.CapitalDiscountRate ?? data?.Value("DiscountRate", region) ?? 0.05;

    private static double Life(string region, string tech, EnergyToMacroOptions o, GmplData? data)
    {
        double life = o.OperationalLife is not null && o.OperationalLife.TryGetValue(tech, out double l) ? l
            : data is not null ? data.Value("OperationalLife", region, tech)
            : o.DefaultOperationalLife;
        if (!(life >= 1))
            throw new EtlException(data?.Source ?? "options", null, "OperationalLife", $"operational life of {tech} is {life}; it must be at least 1 year");
        return life;
    }

    // Annuity of every investment in the years it is alive: CI[r,t,v] × CRF(ρ_r, L_rt) for v ≤ y < v + L.
    private static double[] CapitalAnnuity(Loaded capital, int[] axis, EnergyToMacroOptions o, GmplData? data)
    {
        var t = capital.Table;
        int rc = t.ColumnIndex(Dimensions.Region), tc = t.ColumnIndex(Dimensions.Technology);
        var annuity = new double[axis.Length];
        for (int row = 0; row < t.RowCount; row++)
        {
            double v = t.Value(row);
            if (v == 0) continue;
            string region = t.Index(rc, row), tech = t.Index(tc, row);
            double life = Life(region, tech, o, data);
            double a = v * CapitalRecoveryFactor(Rate(region, o, data), life);
            int built = capital.YearPos[row];
            for (int i = built; i < axis.Length && axis[i] - axis[built] < life; i++) annuity[i] += a;
        }
        return annuity;
    }

    // Rental of pre-horizon capacity at replacement cost: ResidualCapacity[r,t,y] × CapitalCost[r,t,y] × CRF.
    private static double[] ResidualCharge(GmplData data, int[] axis, EnergyToMacroOptions o)
    {
        var charge = new double[axis.Length];
        var regions = data.RequireSet("REGION", "the residual capital charge");
        var techs = data.RequireSet("TECHNOLOGY", "the residual capital charge");
        foreach (var r in regions)
            foreach (var t in techs)
                for (int i = 0; i < axis.Length; i++)
                {
                    string y = axis[i].ToString(CultureInfo.InvariantCulture);
                    double residual = data.Value("ResidualCapacity", r, t, y);
                    if (residual == 0) continue;
                    double capex = data.Value("CapitalCost", r, t, y);
                    if (capex == 0) continue;
                    charge[i] += residual * capex * CapitalRecoveryFactor(Rate(r, o, data), Life(r, t, o, data));
                }
        return charge;
    }

    private static double[] CarbonPrices(int[] axis, EnergyToMacroOptions o)
    {
        var price = new double[axis.Length];
        for (int i = 0; i < axis.Length; i++)
        {
            double p = o.CarbonPriceByYear is null ? o.CarbonPrice
                : o.CarbonPriceByYear.TryGetValue(axis[i], out double v) ? v
                : throw new EtlException("options", null, "CarbonPriceByYear", $"no carbon price for year {axis[i]}");
            if (!double.IsFinite(p) || p < 0) throw new EtlException("options", null, "CarbonPrice", $"carbon price {p} for {axis[i]} must be a non-negative number");
            price[i] = p;
        }
        return price;
    }

    // Demand-weighted price over fuels and slices: Σ P·D / Σ D per year.
    private static double[]? Price(ResultSet results, ResultTable demand, int[] dc, int[] demandPos, double[] finalEnergy, int[] axis,
        IReadOnlySet<string>? techs, EnergyToMacroOptions o, GmplData? data)
    {
        ResultTable? table;
        bool duals;
        switch (o.PriceSource)
        {
            case PriceSource.None: return null;
            case PriceSource.MarginalCost: table = results.Get("CommodityMarginalCost", "the energy price"); duals = false; break;
            case PriceSource.Duals: table = results.Get(o.DualsTable, "the energy price"); duals = true; break;
            default:
                table = results.Find("CommodityMarginalCost");
                duals = table is null;
                table ??= results.Find(o.DualsTable);
                if (table is null)
                    throw new EtlException(results.Origin, null, null,
                        $"no price source: the energy price needs CommodityMarginalCost or the duals table '{o.DualsTable}' (or PriceSource = None)");
                break;
        }
        var loaded = Load(results, table.Name, "the energy price", axis, techs, o, Dimensions.Region, Dimensions.Fuel, Dimensions.Year);
        int pr = table.ColumnIndex(Dimensions.Region), pf = table.ColumnIndex(Dimensions.Fuel), pl = table.ColumnIndex(Dimensions.Timeslice);
        int dl = demand.ColumnIndex(Dimensions.Timeslice);
        if (pl >= 0 && dl < 0)
            throw demand.MissingColumn(Dimensions.Timeslice, $"matching the time-sliced prices of {table.Source}");
        var lookup = new Dictionary<string, double>(StringComparer.Ordinal);
        for (int row = 0; row < table.RowCount; row++)
        {
            double p = table.Value(row);
            if (duals && o.DualsAreDiscounted)
            {
                string region = table.Index(pr, row);
                double rate = o.ModelDiscountRate ?? data?.Value("DiscountRate", region)
                    ?? throw new EtlException("options", null, "ModelDiscountRate",
                        $"the duals in {table.Source} are discounted: give the model's DiscountRate (ModelDiscountRate) or its data file");
                p *= Math.Pow(1 + rate, axis[loaded.YearPos[row]] - axis[0] + 0.5);
            }
            lookup[PriceKey(table.Index(pr, row), pl >= 0 ? table.Index(pl, row) : "", table.Index(pf, row), loaded.YearPos[row])] = p;
        }
        var weighted = new double[axis.Length];
        for (int row = 0; row < demand.RowCount; row++)
        {
            double d = demand.Value(row);
            if (d == 0) continue;
            string key = PriceKey(demand.Index(dc[0], row), pl >= 0 ? demand.Index(dl, row) : "", demand.Index(dc[1], row), demandPos[row]);
            if (!lookup.TryGetValue(key, out double p))
                throw new EtlException(table.Source, null, null,
                    $"no price for {ResultChecks.Describe(demand, row, -1)} (demand on row {demand.RowNumber(row)} of {demand.Source})");
            weighted[demandPos[row]] += p * d;
        }
        for (int i = 0; i < axis.Length; i++) weighted[i] /= finalEnergy[i];
        return weighted;
    }

    private static string PriceKey(string region, string slice, string fuel, int yearPos) =>
        string.Concat(region, "\u001F", slice, "\u001F", fuel, "\u001F", yearPos.ToString(CultureInfo.InvariantCulture));
}
