using OgClews.Etl.Forward;
using OgClews.Etl.Results;

namespace OgClews.Etl.Tests;

/// <summary>Each broken file of data/malformed is named with its row (line) and column.</summary>
public class MalformedInputTests
{
    private static readonly EnergyToMacroOptions Options = new()
    {
        CapitalDiscountRate = 0,
        OperationalLife = new Dictionary<string, double> { ["GASPP"] = 30, ["SOLPV"] = 4 },
        Technologies = ["GASPP", "SOLPV"],
    };

    private static EtlException Fails(string baseSet, string overlay)
    {
        string dir = TestFiles.Overlay(baseSet, overlay);
        try
        {
            return Assert.Throws<EtlException>(() => EnergyToMacro.Run(ResultsReader.ReadFolder(dir), Options));
        }
        finally { Directory.Delete(dir, recursive: true); }
    }

    [Theory]
    //          case                 set       file                              row  column                         message part
    [InlineData("missing_year", "otoole", "CapitalInvestment.csv", 6, "YEAR", "year 2031 is missing (the rows jump from 2030 to 2032)")]
    [InlineData("negative_cost", "otoole", "AnnualFixedOperatingCost.csv", 3, "VALUE", "negative cost -20")]
    [InlineData("empty_file", "otoole", "Demand.csv", 1, null, "the file is empty")]
    [InlineData("header_only", "otoole", "Demand.csv", 2, null, "no data rows")]
    [InlineData("bad_number", "otoole", "AnnualVariableOperatingCost.csv", 2, "VALUE", "'15O' is not a number")]
    [InlineData("missing_column", "otoole", "AnnualEmissions.csv", 1, "YEAR", "missing required column YEAR")]
    [InlineData("unknown_technology", "otoole", "CapitalInvestment.csv", 3, "TECHNOLOGY", "unknown technology 'WINDPP'")]
    [InlineData("demand_year_gap", "otoole", "Demand.csv", 3, "YEAR", "year 2031 is missing: no final demand in it")]
    [InlineData("muio_bad_number", "muio", "CapitalInvestment.csv", 5, "CapitalInvestment", "'1e' is not a number")]
    [InlineData("muio_missing_year", "muio", "AnnualVariableOperatingCost.csv", 3, "y", "year 2031 is missing")]
    public void Error_names_file_row_and_column(string overlay, string baseSet, string file, int row, string? column, string detail)
    {
        var e = Fails(baseSet, overlay);
        Assert.Equal(file, Path.GetFileName(e.File));
        Assert.Equal(row, e.Row);
        Assert.Equal(column, e.Column);
        Assert.Contains(detail, e.Message);
        Assert.StartsWith(e.File!, e.Message); // the message leads with the location
    }

    [Fact]
    public void Message_format()
    {
        var e = Fails("otoole", "missing_year");
        Assert.EndsWith("CapitalInvestment.csv: line 6, column YEAR: REGION=R1, TECHNOLOGY=SOLPV: year 2031 is missing (the rows jump from 2030 to 2032)", e.Message);
    }

    [Fact]
    public void Missing_result_file_is_named()
    {
        string dir = TestFiles.TempDir("missing");
        try
        {
            foreach (var f in Directory.GetFiles(TestFiles.Data("otoole")).Where(f => !f.EndsWith("AnnualEmissions.csv")))
                File.Copy(f, Path.Combine(dir, Path.GetFileName(f)));
            var e = Assert.Throws<EtlException>(() => EnergyToMacro.Run(ResultsReader.ReadFolder(dir), Options));
            Assert.Equal(Path.Combine(dir, "AnnualEmissions.csv"), e.File);
            Assert.Contains("missing result file", e.Message);
        }
        finally { Directory.Delete(dir, recursive: true); }
    }

    [Fact]
    public void Sparse_years_are_zeros_when_allowed()
    {
        string dir = TestFiles.Overlay("otoole", "missing_year");
        try
        {
            var m = EnergyToMacro.Run(ResultsReader.ReadFolder(dir), Options with { AllowSparseYears = true });
            Assert.Equal([1.0, 1.25, 0.9], m[MacroSeries.EnergyCostIndex]); // the dropped row was a zero
        }
        finally { Directory.Delete(dir, recursive: true); }
    }
}
