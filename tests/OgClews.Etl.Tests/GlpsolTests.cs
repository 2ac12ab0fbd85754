using System.Globalization;
using OgClews.Etl.Forward;
using OgClews.Etl.Gmpl;
using OgClews.Etl.Results;
using OgClews.Etl.Reverse;
using Xunit.Abstractions;

namespace OgClews.Etl.Tests;

/// <summary>Solves models/energy with the demo data once (glpsol, about 0.5 s) into a temp ResultsPath.</summary>
public sealed class DemoRun : IDisposable
{
    public DemoRun()
    {
        Dir = TestFiles.TempDir("demo");
        Results = Path.Combine(Dir, "r");
        Directory.CreateDirectory(Results);
        string pathFile = Path.Combine(Dir, "results-path.dat");
        File.WriteAllText(pathFile, $"data;\nparam ResultsPath := \"{Results}\";\nend;\n");
        Stdout = TestFiles.Glpsol(Dir, true, "-m", TestFiles.EnergyModel, "-d", TestFiles.DemoData, "-d", pathFile);
    }

    public string Dir { get; }
    public string Results { get; }
    public string Stdout { get; }

    public void Dispose() => Directory.Delete(Dir, recursive: true);
}

/// <summary>The passes against the real solver and the real result files.</summary>
public class GlpsolTests(DemoRun run, ITestOutputHelper output) : IClassFixture<DemoRun>
{
    private static readonly GmplData Data = GmplDataReader.Read(TestFiles.DemoData);

    private static double[] SumByYear(string file, Func<string[], bool>? where = null)
    {
        var t = ResultsReader.ReadFile(file);
        int yc = t.ColumnIndex("YEAR");
        var sum = new double[26];
        for (int r = 0; r < t.RowCount; r++)
            if (where is null || where(Enumerable.Range(0, t.IndexColumns.Count).Select(c => t.Index(c, r)).ToArray()))
                sum[t.Year(r, yc) - 2025] += t.Value(r);
        return sum;
    }

    [Fact]
    public void Forward_pass_on_the_real_results()
    {
        var m = EnergyToMacro.Run(ResultsReader.ReadFolder(run.Results), new EnergyToMacroOptions { CarbonPrice = 50 }, Data);
        output.WriteLine(string.Join(" ", m.Names));
        for (int i = 0; i < m.Years.Length; i++)
            output.WriteLine($"{m.Years[i]} " + string.Join(" ", m.Names.Select(n => m[n][i].ToString("G6", CultureInfo.InvariantCulture))));

        Assert.Equal(Enumerable.Range(2025, 26).ToArray(), m.Years);
        var index = m[MacroSeries.EnergyCostIndex];
        Assert.Equal(1.0, index[0]);
        Assert.All(index, x => Assert.True(x > 0 && double.IsFinite(x)));
        Assert.All(m[MacroSeries.EnergyPrice], x => Assert.True(x > 0));
        Assert.All(m[MacroSeries.ResidualCapitalCharge].Take(10), x => Assert.True(x > 0));

        // emissions = Σ AnnualEmissions = Σ AnnualTechnologyEmission (no exogenous emissions in the demo)
        var byTech = SumByYear(Path.Combine(run.Results, "AnnualTechnologyEmission.csv"));
        var emissions = m[MacroSeries.Emissions];
        for (int i = 0; i < 26; i++) Assert.Equal(byTech[i], emissions[i], 9);
        var printed = double.Parse(System.Text.RegularExpressions.Regex.Match(run.Stdout, @"cumulative CO2 emissions 2025-2050 = ([0-9.]+) Mt").Groups[1].Value, CultureInfo.InvariantCulture);
        Assert.Equal(printed, emissions.Sum(), 3);
        Assert.Equal(emissions.Select(e => e * 50).ToArray(), m[MacroSeries.CarbonRevenue]);

        // costs: the import bill is split from, not added to, the variable costs
        var variable = SumByYear(Path.Combine(run.Results, "AnnualVariableOperatingCost.csv"));
        for (int i = 0; i < 26; i++)
            Assert.Equal(variable[i], m[MacroSeries.VariableCost][i] + m[MacroSeries.FuelImportCost][i], 6);
        Assert.Equal(SumByYear(Path.Combine(run.Results, "CapitalInvestment.csv")), m[MacroSeries.Investment]);
        Assert.Equal(SumByYear(Path.Combine(run.Results, "Demand.csv")), m[MacroSeries.FinalEnergy]);
    }

    [Fact]
    public void Kernel_tables_and_raw_duals_give_the_folder_result()
    {
        var tables = Directory.GetFiles(run.Results, "*.csv").ToDictionary(f => Path.GetFileNameWithoutExtension(f), TestFiles.KernelTable);
        var fromFolder = EnergyToMacro.Run(ResultsReader.ReadFolder(run.Results), null, Data);
        var fromTables = EnergyToMacro.Run(ResultsReader.FromTables(tables), null, Data);
        Assert.Equal(fromFolder.ToTable(), fromTables.ToTable());

        // the GLPK kernel's EnergyBalance row table: raw (discounted) duals; CommodityMarginalCost is
        // the same duals undiscounted by the model, so both price sources must agree.
        var cmc = ResultsReader.ReadFile(Path.Combine(run.Results, "CommodityMarginalCost.csv"));
        int yc = cmc.ColumnIndex("YEAR");
        var rows = Enumerable.Range(0, cmc.RowCount).ToArray();
        tables["EnergyBalance"] = new Mesh.Values.Table()
            .Add("REGION", rows.Select(r => (string?)cmc.Index(cmc.ColumnIndex("REGION"), r)).ToArray())
            .Add("FUEL", rows.Select(r => (string?)cmc.Index(cmc.ColumnIndex("FUEL"), r)).ToArray())
            .Add("TIMESLICE", rows.Select(r => (string?)cmc.Index(cmc.ColumnIndex("TIMESLICE"), r)).ToArray())
            .Add("YEAR", rows.Select(r => (string?)cmc.Index(yc, r)).ToArray())
            .Add("dual", rows.Select(r => cmc.Value(r) / Math.Pow(1.07, cmc.Year(r, yc) - 2025 + 0.5)).ToArray())
            .Add("activity", new double[rows.Length]);
        var fromDuals = EnergyToMacro.Run(ResultsReader.FromTables(tables), new EnergyToMacroOptions { PriceSource = PriceSource.Duals }, Data);
        for (int i = 0; i < 26; i++)
            Assert.Equal(fromFolder[MacroSeries.EnergyPrice][i], fromDuals[MacroSeries.EnergyPrice][i], 9);
    }

    [Fact]
    public void Row_updates_match_the_rhs_glpk_writes_to_mps()
    {
        string mps = Path.Combine(run.Dir, "base.mps");
        TestFiles.Glpsol(run.Dir, false, "-m", TestFiles.EnergyModel, "-d", TestFiles.DemoData, "--check", "--wfreemps", mps);
        var rhs = new Dictionary<string, double>();
        bool inRhs = false;
        foreach (var line in File.ReadLines(mps))
        {
            if (!line.StartsWith(' ')) { inRhs = line == "RHS"; continue; }
            if (!inRhs) continue;
            var f = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            for (int k = 1; k + 1 < f.Length; k += 2)
                if (f[k].StartsWith("EnergyBalance[", StringComparison.Ordinal)) rhs[f[k]] = double.Parse(f[k + 1], CultureInfo.InvariantCulture);
        }
        Assert.Equal(312, rhs.Count(kv => kv.Value > 0));

        // GDP on its reference path: the updates must reproduce the LP's current rhs exactly
        var years = Enumerable.Range(2025, 26).ToArray();
        var gdp = years.Select(y => 100 * Math.Pow(1.025, y - 2025)).ToArray();
        var same = MacroToEnergy.Run(new MacroPaths(years, gdp, gdpReference: gdp), DemandData.FromGmpl(Data), new MacroToEnergyOptions { Basis = DemandBasis.BasePath });
        Assert.Equal(rhs.Where(kv => kv.Value > 0).Select(kv => kv.Key).Order(), same.RowUpdates.Select(u => u.Row).Order());
        // free MPS carries about 11 significant digits
        foreach (var u in same.RowUpdates) Assert.Equal(rhs[u.Row], u.Lower, 1e-10 * u.Lower);
    }

    [Fact]
    public void Data_file_route_solves_and_sets_the_same_demand_as_the_row_updates()
    {
        var years = Enumerable.Range(2025, 26).ToArray();
        var paths = new MacroPaths(years, years.Select(y => 100 * Math.Pow(1.035, y - 2025)).ToArray(), interestRate: years.Select(_ => 0.06).ToArray());
        var update = MacroToEnergy.Run(paths, DemandData.FromGmpl(Data));
        Assert.Equal(0.06, update.DiscountRate!.Value, 15);

        string dir = Path.Combine(run.Dir, "c");
        string results = Path.Combine(dir, "r");
        Directory.CreateDirectory(results);
        string stripped = Path.Combine(dir, "base.dat"), overlay = Path.Combine(dir, "demand.dat"), pathFile = Path.Combine(dir, "path.dat");
        File.WriteAllText(stripped, GmplDataReader.RemoveParameters(File.ReadAllText(TestFiles.DemoData), TestFiles.DemoData, update.ReplacedParameters));
        File.WriteAllText(overlay, update.DataFile);
        File.WriteAllText(pathFile, $"data;\nparam ResultsPath := \"{results}\";\nend;\n");

        // the base file as it is cannot be combined with the overlay: GMPL refuses the second SpecifiedAnnualDemand
        string refused = TestFiles.Glpsol(dir, false, "-m", TestFiles.EnergyModel, "-d", TestFiles.DemoData, "-d", overlay, "--check");
        Assert.Contains("already provided", refused);

        string solved = TestFiles.Glpsol(dir, true, "-m", TestFiles.EnergyModel, "-d", stripped, "-d", overlay, "-d", pathFile);
        Assert.True(File.Exists(Path.Combine(results, "Demand.csv")), solved);
        var demand = ResultsReader.ReadFile(Path.Combine(results, "Demand.csv"));
        var rows = update.RowUpdates.ToDictionary(u => u.Row, u => u.Lower);
        Assert.Equal(rows.Count, demand.RowCount);
        for (int r = 0; r < demand.RowCount; r++)
        {
            string name = $"EnergyBalance[{demand.Index(0, r)},{demand.Index(2, r)},{demand.Index(1, r)},{demand.Index(3, r)}]";
            Assert.Equal(rows[name], demand.Value(r), 1e-12 * rows[name]);
        }
    }
}
