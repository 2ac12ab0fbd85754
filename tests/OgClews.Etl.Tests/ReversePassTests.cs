using Mesh.Values;
using OgClews.Etl.Gmpl;
using OgClews.Etl.Reverse;

namespace OgClews.Etl.Tests;

/// <summary>The reverse pass on the demo data (no solver; see <see cref="GlpsolTests"/> for the solver checks).</summary>
public class ReversePassTests
{
    private static readonly GmplData Data = GmplDataReader.Read(TestFiles.DemoData);
    private static readonly DemandData Demand = DemandData.FromGmpl(Data);
    private static readonly int[] Years = Enumerable.Range(2025, 26).ToArray();

    private static double[] Gdp(double growth, Func<int, double>? scale = null) =>
        Years.Select(y => 100 * Math.Pow(1 + growth, y - 2025) * (scale?.Invoke(y) ?? 1)).ToArray();

    private static MacroPaths Paths(double[] gdp, double[]? rate = null, double[]? gdpRef = null, double[]? edi = null)
    {
        var t = new Table().Add("year", Years.Select(y => (long)y).ToArray()).Add("gdp", gdp);
        if (rate is not null) t.Add("interest_rate", rate);
        if (gdpRef is not null) t.Add("gdp_ref", gdpRef);
        if (edi is not null) t.Add("energy_demand_index", edi);
        return MacroPaths.FromTable(t);
    }

    private static Dictionary<string, double> ByRow(MacroToEnergyResult r) => r.RowUpdates.ToDictionary(u => u.Row, u => u.Lower);

    [Fact]
    public void Row_names_and_bounds_follow_the_demand_update_rule()
    {
        var result = MacroToEnergy.Run(Paths(Gdp(0.03)), Demand);
        // 3 demand fuels × 4 slices × 26 years; non-demand rows (rhs 0) are left alone
        Assert.Equal(312, result.RowUpdates.Count);
        Assert.Equal(312, result.RowUpdates.Select(u => u.Row).Distinct().Count());
        Assert.Equal("EnergyBalance[ATLANTIS,ELC,SD,2025]", result.RowUpdates[0].Row);
        Assert.All(result.RowUpdates, u => Assert.Matches(@"^EnergyBalance\[ATLANTIS,(ELC|IHT|TRA),(SD|SN|WD|WN),20\d\d\]$", u.Row));
        var rows = ByRow(result);
        // base year: rhs = SpecifiedAnnualDemand × SpecifiedDemandProfile, unchanged
        Assert.Equal(110 * 0.26, rows["EnergyBalance[ATLANTIS,ELC,SD,2025]"]);
        Assert.Equal(90 * 0.23, rows["EnergyBalance[ATLANTIS,IHT,WN,2025]"]);
        // D'(2030) = D(2025) × (GDP2030/GDP2025)^ε × profile
        Assert.Equal(110 * Math.Pow(Math.Pow(1.03, 5), 0.8) * 0.26, rows["EnergyBalance[ATLANTIS,ELC,SD,2030]"], 9);
        Assert.Equal(130 * Math.Pow(Math.Pow(1.03, 25), 0.7) * 0.2, rows["EnergyBalance[ATLANTIS,TRA,WN,2050]"], 9);
        // every row = new annual demand × profile of the data
        var annual = result.AnnualDemand.ToDictionary(a => (a.Fuel, a.Year), a => a.New);
        foreach (var u in result.RowUpdates)
            Assert.Equal(annual[(u.Fuel, u.Year)] * Data.Value("SpecifiedDemandProfile", u.Region, u.Fuel, u.Timeslice, u.Year.ToString()), u.Lower);
        Assert.Null(result.DiscountRate);
        Assert.Equal(["SpecifiedAnnualDemand"], result.ReplacedParameters);
    }

    [Theory]
    [InlineData(0.05)]
    [InlineData(-0.02)]
    public void Scaling_gdp_by_1_plus_g_scales_demand_by_1_plus_g_to_the_elasticity(double g)
    {
        // base-year basis: scale GDP after the base year
        var a = MacroToEnergy.Run(Paths(Gdp(0.02)), Demand);
        var b = MacroToEnergy.Run(Paths(Gdp(0.02, y => y > 2025 ? 1 + g : 1)), Demand);
        var elasticity = MacroToEnergyOptions.DefaultElasticities;
        var rowsA = ByRow(a);
        foreach (var u in b.RowUpdates)
        {
            double expected = u.Year == 2025 ? 1 : Math.Pow(1 + g, elasticity[u.Fuel]);
            Assert.Equal(expected, u.Lower / rowsA[u.Row], 12);
        }
        // base-path basis: GDP (1+g) above its reference path in every year
        var reference = Gdp(0.02);
        var c = MacroToEnergy.Run(Paths(reference.Select(x => x * (1 + g)).ToArray(), gdpRef: reference), Demand, new MacroToEnergyOptions { Basis = DemandBasis.BasePath });
        foreach (var d in c.AnnualDemand)
            Assert.Equal(Math.Pow(1 + g, elasticity[d.Fuel]), d.New / d.Base, 12);
    }

    [Fact]
    public void Base_path_at_the_reference_gdp_reproduces_the_data()
    {
        var gdp = Gdp(0.025);
        var r = MacroToEnergy.Run(Paths(gdp, gdpRef: gdp), Demand, new MacroToEnergyOptions { Basis = DemandBasis.BasePath });
        Assert.All(r.AnnualDemand, d => Assert.Equal(d.Base, d.New));
    }

    [Fact]
    public void Energy_demand_index_driver_applies_the_index_without_elasticity()
    {
        var edi = Years.Select(y => 1 + 0.01 * (y - 2025)).ToArray();
        var r = MacroToEnergy.Run(Paths(Gdp(0.03), edi: edi), Demand, new MacroToEnergyOptions { Driver = DemandDriver.EnergyDemandIndex });
        var d = r.AnnualDemand.Single(x => x.Fuel == "IHT" && x.Year == 2035);
        Assert.Equal(90 * 1.1, d.New, 12);
    }

    [Fact]
    public void Interest_rate_sets_the_discount_rate_in_the_data_file()
    {
        var rate = Years.Select(y => y < 2038 ? 0.03 : 0.05).ToArray(); // 13 years each: mean 0.04
        var r = MacroToEnergy.Run(Paths(Gdp(0.03), rate), Demand, new MacroToEnergyOptions { DiscountRatePremium = 0.01 });
        Assert.Equal(0.05, r.DiscountRate!.Value, 14);
        Assert.Equal(["SpecifiedAnnualDemand", "DiscountRate"], r.ReplacedParameters);
        Assert.Contains($"param DiscountRate := ATLANTIS {r.DiscountRate.Value:R};", r.DataFile);
        var parsed = GmplDataReader.Parse(r.DataFile, "override.dat");
        Assert.Equal(r.DiscountRate.Value, parsed.Value("DiscountRate", "ATLANTIS"));
        foreach (var d in r.AnnualDemand)
            Assert.Equal(d.New, parsed.Value("SpecifiedAnnualDemand", d.Region, d.Fuel, d.Year.ToString()));
    }

    [Fact]
    public void Interest_rate_in_percent_is_an_error_naming_row_and_column()
    {
        var rate = Years.Select(y => y == 2031 ? 4.0 : 0.04).ToArray();
        var e = Assert.Throws<EtlException>(() => MacroToEnergy.Run(Paths(Gdp(0.03), rate), Demand));
        Assert.Equal("table 'macro_paths'", e.File);
        Assert.Equal(7, e.Row);
        Assert.Equal("interest_rate", e.Column);
    }

    [Fact]
    public void A_gap_in_the_macro_years_names_the_row_after_it()
    {
        var years = Years.Where(y => y != 2030).ToArray();
        var t = new Table().Add("YEAR", years.Select(y => (double)y).ToArray()).Add("GDP", years.Select(y => 100.0 + y - 2025).ToArray());
        var e = Assert.Throws<EtlException>(() => MacroToEnergy.Run(MacroPaths.FromTable(t), Demand));
        Assert.Equal(6, e.Row); // 2031 is the 6th row
        Assert.Equal("YEAR", e.Column);
        Assert.Contains("year 2030 is missing (the paths jump from 2029 to 2031)", e.Message);
    }

    [Fact]
    public void Non_positive_gdp_and_missing_elasticity_are_errors()
    {
        var gdp = Gdp(0.03);
        gdp[3] = 0;
        var e = Assert.Throws<EtlException>(() => MacroToEnergy.Run(Paths(gdp), Demand));
        Assert.Equal((4, "gdp"), (e.Row, e.Column));
        var noTra = new MacroToEnergyOptions { Elasticities = new Dictionary<string, double> { ["ELC"] = 0.8, ["IHT"] = 0.6 } };
        e = Assert.Throws<EtlException>(() => MacroToEnergy.Run(Paths(Gdp(0.03)), Demand, noTra));
        Assert.Contains("'TRA'", e.Message);
        Assert.Equal(TestFiles.DemoData, e.File);
    }

    [Fact]
    public void Demand_from_tables_gives_the_same_updates()
    {
        var annual = new List<(string F, int Y, double V)>();
        var profile = new List<(string F, string L, int Y, double V)>();
        foreach (var (index, text, _) in Data.Parameters["SpecifiedAnnualDemand"].Entries) annual.Add((index[1], int.Parse(index[2]), double.Parse(text)));
        foreach (var (index, text, _) in Data.Parameters["SpecifiedDemandProfile"].Entries) profile.Add((index[1], index[2], int.Parse(index[3]), double.Parse(text)));
        var a = new Table().Add("REGION", annual.Select(_ => (string?)"ATLANTIS").ToArray()).Add("FUEL", annual.Select(x => (string?)x.F).ToArray())
            .Add("YEAR", annual.Select(x => (long)x.Y).ToArray()).Add("VALUE", annual.Select(x => x.V).ToArray());
        var p = new Table().Add("r", profile.Select(_ => (string?)"ATLANTIS").ToArray()).Add("f", profile.Select(x => (string?)x.F).ToArray())
            .Add("l", profile.Select(x => (string?)x.L).ToArray()).Add("y", profile.Select(x => (long)x.Y).ToArray()).Add("VALUE", profile.Select(x => x.V).ToArray());
        var fromTables = MacroToEnergy.Run(Paths(Gdp(0.03)), DemandData.FromTables(a, p));
        var fromData = MacroToEnergy.Run(Paths(Gdp(0.03)), Demand);
        Assert.Equal(fromData.RowUpdates, fromTables.RowUpdates);
        Assert.Equal(fromData.DataFile, fromTables.DataFile);
    }
}
