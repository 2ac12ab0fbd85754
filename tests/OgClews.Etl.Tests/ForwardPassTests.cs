using Mesh.Values;
using OgClews.Etl.Forward;
using OgClews.Etl.Results;

namespace OgClews.Etl.Tests;

/// <summary>The forward pass on the hand-made sets (expected values computed in data/README.md).</summary>
public class ForwardPassTests
{
    private static readonly EnergyToMacroOptions Options = new()
    {
        CapitalDiscountRate = 0,
        OperationalLife = new Dictionary<string, double> { ["GASPP"] = 30, ["SOLPV"] = 4 },
        CarbonPrice = 50,
        Technologies = ["GASPP", "SOLPV"],
    };

    [Theory]
    [InlineData("otoole")]
    [InlineData("muio")]
    public void Hand_computed_values(string layout)
    {
        var m = EnergyToMacro.Run(ResultsReader.ReadFolder(TestFiles.Data(layout)), Options);
        Assert.Equal([2030, 2031, 2032], m.Years);
        Assert.Equal([25.0, 25, 37.5], m[MacroSeries.CapitalAnnuity]);
        Assert.Equal([0.0, 0, 0], m[MacroSeries.ResidualCapitalCharge]);
        Assert.Equal([25.0, 25, 30], m[MacroSeries.FixedCost]);
        Assert.Equal([150.0, 200, 157.5], m[MacroSeries.VariableCost]);
        Assert.Equal([0.0, 0, 0], m[MacroSeries.FuelImportCost]);
        Assert.Equal([200.0, 250, 225], m[MacroSeries.EnergySystemCost]);
        Assert.Equal([100.0, 100, 125], m[MacroSeries.FinalEnergy]);
        Assert.Equal([2.0, 2.5, 1.8], m[MacroSeries.UnitEnergyCost]);
        Assert.Equal([1.0, 1.25, 0.9], m[MacroSeries.EnergyCostIndex]);
        Assert.Equal([8.0, 9.6, 8], m[MacroSeries.EnergyPrice]);
        Assert.Equal([1.0, 1.2, 1], m[MacroSeries.EnergyPriceIndex]);
        Assert.Equal([10.0, 12, 9], m[MacroSeries.Emissions]);
        Assert.Equal([50.0, 50, 50], m[MacroSeries.CarbonPrice]);
        Assert.Equal([500.0, 600, 450], m[MacroSeries.CarbonRevenue]);
        Assert.Equal([100.0, 0, 50], m[MacroSeries.Investment]);
    }

    [Fact]
    public void Result_converts_to_a_table()
    {
        var t = EnergyToMacro.Run(ResultsReader.ReadFolder(TestFiles.Data("otoole")), Options).ToTable();
        Assert.Equal("year", t.Names[0]);
        Assert.Equal([2030L, 2031, 2032], t.Get<long>("year"));
        Assert.Equal([1.0, 1.25, 0.9], t.Get<double>(MacroSeries.EnergyCostIndex));
        Assert.Equal(3, t.RowCount);
    }

    [Fact]
    public void Tables_give_the_same_result_as_files()
    {
        string dir = TestFiles.Data("otoole");
        var tables = Directory.GetFiles(dir, "*.csv").ToDictionary(f => Path.GetFileNameWithoutExtension(f), TestFiles.KernelTable);
        var a = EnergyToMacro.Run(ResultsReader.ReadFolder(dir), Options).ToTable();
        var b = EnergyToMacro.Run(ResultsReader.FromTables(tables), Options).ToTable();
        Assert.Equal(a, b);
    }

    [Fact]
    public void Carbon_price_by_year_and_emission_species()
    {
        var o = Options with { CarbonPriceByYear = new Dictionary<int, double> { [2030] = 0, [2031] = 25, [2032] = 100 }, EmissionSpecies = ["CO2"] };
        var m = EnergyToMacro.Run(ResultsReader.ReadFolder(TestFiles.Data("otoole")), o);
        Assert.Equal([0.0, 300, 900], m[MacroSeries.CarbonRevenue]);
        var missing = o with { CarbonPriceByYear = new Dictionary<int, double> { [2030] = 0 } };
        var e = Assert.Throws<EtlException>(() => EnergyToMacro.Run(ResultsReader.ReadFolder(TestFiles.Data("otoole")), missing));
        Assert.Contains("2031", e.Message);
    }

    [Fact]
    public void Price_index_base_year()
    {
        var m = EnergyToMacro.Run(ResultsReader.ReadFolder(TestFiles.Data("otoole")), Options with { PriceIndexBaseYear = 2031 });
        Assert.Equal([8 / 9.6, 1, 8 / 9.6], m[MacroSeries.EnergyPriceIndex]);
        Assert.Equal([1.0, 1.25, 0.9], m[MacroSeries.EnergyCostIndex]); // the cost index keeps the first year
        var e = Assert.Throws<EtlException>(() => EnergyToMacro.Run(ResultsReader.ReadFolder(TestFiles.Data("otoole")), Options with { PriceIndexBaseYear = 2040 }));
        Assert.Equal("PriceIndexBaseYear", e.Column);
    }

    [Fact]
    public void Capital_recovery_factor()
    {
        Assert.Equal(0.25, EnergyToMacro.CapitalRecoveryFactor(0, 4));
        // 0.05 / (1 - 1.05^-20) = 0.0802425872...
        Assert.Equal(0.08024258719069, EnergyToMacro.CapitalRecoveryFactor(0.05, 20), 12);
        Assert.Equal(1.07, EnergyToMacro.CapitalRecoveryFactor(0.07, 1), 14);
    }

    [Fact]
    public void Default_life_and_rate_apply_without_data()
    {
        var o = new EnergyToMacroOptions { PriceSource = PriceSource.None };
        var m = EnergyToMacro.Run(ResultsReader.ReadFolder(TestFiles.Data("otoole")), o);
        double crf = EnergyToMacro.CapitalRecoveryFactor(0.05, 25);
        Assert.Equal(100 * crf, m[MacroSeries.CapitalAnnuity][0], 12);
        Assert.Equal(150 * crf, m[MacroSeries.CapitalAnnuity][2], 12);
        Assert.False(m.Contains(MacroSeries.EnergyPrice));
    }

    [Fact]
    public void Import_costs_are_split_from_variable_costs_not_added_twice()
    {
        var tables = Set(("CapitalInvestment", ["IMPGAS", "GASPP"], [0, 0]),
            ("AnnualFixedOperatingCost", ["IMPGAS", "GASPP"], [0, 10]),
            ("AnnualVariableOperatingCost", ["IMPGAS", "GASPP"], [60, 5]));
        tables["AnnualFuelImportCost"] = new Table().Add("REGION", new string?[] { "R1" }).Add("TECHNOLOGY", new string?[] { "IMPGAS" })
            .Add("FUEL", new string?[] { "GAS" }).Add("YEAR", new[] { 2030.0 }).Add("VALUE", new[] { 60.0 });
        var m = EnergyToMacro.Run(ResultsReader.FromTables(tables), new EnergyToMacroOptions { PriceSource = PriceSource.None });
        Assert.Equal([5.0], m[MacroSeries.VariableCost]);
        Assert.Equal([60.0], m[MacroSeries.FuelImportCost]);
        Assert.Equal([75.0], m[MacroSeries.EnergySystemCost]);
    }

    [Fact]
    public void Discounted_duals_are_undiscounted_with_the_mid_year_factor()
    {
        var tables = Set(("CapitalInvestment", ["GASPP"], [0]), ("AnnualFixedOperatingCost", ["GASPP"], [10]), ("AnnualVariableOperatingCost", ["GASPP"], [0]));
        tables["Demand"] = new Table().Add("REGION", new string?[] { "R1", "R1" }).Add("TIMESLICE", new string?[] { "D", "D" })
            .Add("FUEL", new string?[] { "ELC", "ELC" }).Add("YEAR", new[] { 2030.0, 2031 }).Add("VALUE", new[] { 10.0, 10 });
        tables["AnnualEmissions"] = new Table().Add("REGION", new string?[] { "R1", "R1" }).Add("EMISSION", new string?[] { "CO2", "CO2" })
            .Add("YEAR", new[] { 2030.0, 2031 }).Add("VALUE", new[] { 1.0, 1 });
        foreach (var name in new[] { "CapitalInvestment", "AnnualFixedOperatingCost", "AnnualVariableOperatingCost" })
            tables[name] = Twice(tables[name]);
        // LP duals of a >= row: discounted to 2030 at 10 %
        tables["EnergyBalance"] = new Table().Add("REGION", new string?[] { "R1", "R1" }).Add("FUEL", new string?[] { "ELC", "ELC" })
            .Add("TIMESLICE", new string?[] { "D", "D" }).Add("YEAR", new string?[] { "2030", "2031" })
            .Add("dual", new[] { 20 / Math.Pow(1.1, 0.5), 20 / Math.Pow(1.1, 1.5) }).Add("activity", new[] { 10.0, 10 });
        var results = ResultsReader.FromTables(tables);
        var e = Assert.Throws<EtlException>(() => EnergyToMacro.Run(results));
        Assert.Equal("ModelDiscountRate", e.Column);
        var m = EnergyToMacro.Run(results, new EnergyToMacroOptions { ModelDiscountRate = 0.1 });
        Assert.Equal(20, m[MacroSeries.EnergyPrice][0], 12);
        Assert.Equal(20, m[MacroSeries.EnergyPrice][1], 12);
    }

    private static Table Twice(Table t) => new Table()
        .Add("REGION", t.GetStrings("REGION").Concat(t.GetStrings("REGION")).ToArray())
        .Add("TECHNOLOGY", t.GetStrings("TECHNOLOGY").Concat(t.GetStrings("TECHNOLOGY")).ToArray())
        .Add("YEAR", t.Get<double>("YEAR").Concat(t.Get<double>("YEAR").Select(y => y + 1)).ToArray())
        .Add("VALUE", t.Get<double>("VALUE").Concat(t.Get<double>("VALUE")).ToArray());

    // One-year (2030) result tables per technology, plus Demand (100 PJ of ELC) and AnnualEmissions.
    private static Dictionary<string, Table> Set(params (string Name, string[] Techs, double[] Values)[] costs)
    {
        var tables = new Dictionary<string, Table>();
        foreach (var (name, techs, values) in costs)
            tables[name] = new Table().Add("REGION", techs.Select(_ => (string?)"R1").ToArray()).Add("TECHNOLOGY", techs.Select(t => (string?)t).ToArray())
                .Add("YEAR", techs.Select(_ => 2030.0).ToArray()).Add("VALUE", values);
        tables["Demand"] = new Table().Add("REGION", new string?[] { "R1" }).Add("TIMESLICE", new string?[] { "D" })
            .Add("FUEL", new string?[] { "ELC" }).Add("YEAR", new[] { 2030.0 }).Add("VALUE", new[] { 100.0 });
        tables["AnnualEmissions"] = new Table().Add("REGION", new string?[] { "R1" }).Add("EMISSION", new string?[] { "CO2" })
            .Add("YEAR", new[] { 2030.0 }).Add("VALUE", new[] { 1.0 });
        return tables;
    }
}
