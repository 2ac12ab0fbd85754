using Mesh.Values;
using OgClews.Etl.Results;

namespace OgClews.Etl.Tests;

public class ResultsReaderTests
{
    [Fact]
    public void Detects_the_otoole_layout_and_unquotes_glpk_strings()
    {
        var set = ResultsReader.ReadFolder(TestFiles.Data("otoole"));
        Assert.Equal(ResultLayout.Otoole, set.Layout);
        var t = set.Tables["CapitalInvestment"];
        Assert.Equal(["REGION", "TECHNOLOGY", "YEAR"], t.IndexColumns);
        Assert.Equal("VALUE", t.ValueColumn);
        Assert.Equal("SOLPV", t.Index(1, 3));
        Assert.Equal(100.0, t.Value(3));
        Assert.Equal(5, t.RowNumber(3));
        // a quoted number and CRLF line ends
        var fixedCost = set.Tables["AnnualFixedOperatingCost"];
        Assert.Equal(20.0, fixedCost.Value(2));
        Assert.Equal("2032", fixedCost.Index(2, 2));
    }

    [Fact]
    public void Detects_the_muio_layout_and_maps_short_names()
    {
        var set = ResultsReader.ReadFolder(TestFiles.Data("muio"));
        Assert.Equal(ResultLayout.Muio, set.Layout);
        var t = set.Tables["Demand"];
        Assert.Equal(["REGION", "TIMESLICE", "FUEL", "YEAR"], t.IndexColumns);
        Assert.Equal("Demand", t.ValueColumn);
        Assert.Equal("l", t.SourceColumnName("TIMESLICE"));
    }

    [Fact]
    public void Both_layouts_hold_the_same_tables()
    {
        var a = ResultsReader.ReadFolder(TestFiles.Data("otoole"));
        var b = ResultsReader.ReadFolder(TestFiles.Data("muio"));
        Assert.Equal(a.Tables.Keys.Order(), b.Tables.Keys.Order());
        foreach (var name in a.Tables.Keys)
            Assert.Equal(a.Tables[name].ToTable(), b.Tables[name].ToTable());
    }

    [Fact]
    public void Tables_as_the_glpk_kernel_returns_them()
    {
        var table = TestFiles.KernelTable(TestFiles.Data("otoole", "CapitalInvestment.csv"));
        Assert.IsType<NDArray>(table["YEAR"]); // unquoted numbers come as float64
        var t = ResultsReader.FromTable("CapitalInvestment", table);
        Assert.Equal(ResultLayout.Table, t.Layout);
        Assert.Equal("2031", t.Index(2, 1));
        Assert.Equal(ResultsReader.ReadFile(TestFiles.Data("otoole", "CapitalInvestment.csv")).ToTable(), t.ToTable());
    }

    [Fact]
    public void Constraint_tables_use_the_dual_column_and_ignore_activity()
    {
        var rows = new Table()
            .Add("REGION", new string?[] { "R1", "R1" })
            .Add("FUEL", new string?[] { "ELC", "ELC" })
            .Add("TIMESLICE", new string?[] { "D", "N" })
            .Add("YEAR", new string?[] { "2030", "2030" })
            .Add("dual", new[] { 1.5, 2.5 })
            .Add("activity", new[] { 60.0, 40.0 });
        var t = ResultsReader.FromTable("EnergyBalance", rows);
        Assert.Equal("dual", t.ValueColumn);
        Assert.Equal(["REGION", "FUEL", "TIMESLICE", "YEAR"], t.IndexColumns);
        Assert.Equal(2.5, t.Value(1));
    }

    [Fact]
    public void An_empty_kernel_table_keeps_its_index_columns()
    {
        // the GLPK kernel types every column of a header-only CSV as float64
        var t = ResultsReader.FromTable("Demand", new Table().Add("REGION", Array.Empty<double>()).Add("YEAR", Array.Empty<double>()).Add("VALUE", Array.Empty<double>()));
        Assert.Equal(["REGION", "YEAR"], t.IndexColumns);
        Assert.Equal(0, t.RowCount);
    }

    [Fact]
    public void A_table_without_a_value_column_is_an_error()
    {
        var e = Assert.Throws<EtlException>(() => ResultsReader.FromTable("X", new Table().Add("REGION", new string?[] { "R1" }).Add("cost", new[] { 1.0 })));
        Assert.Equal("table 'X'", e.File);
        Assert.Equal("VALUE", e.Column);
    }

    [Fact]
    public void A_header_that_is_neither_layout_is_an_error()
    {
        var e = Assert.Throws<EtlException>(() => ResultsReader.Parse("Region,t,VALUE\nR1,A,1\n", "X", "x.csv"));
        Assert.Equal(1, e.Row);
        Assert.Equal("Region", e.Column);
        Assert.Contains("cannot tell the layout", e.Message);
    }

    [Fact]
    public void A_row_with_too_few_fields_names_the_missing_column()
    {
        var e = Assert.Throws<EtlException>(() => ResultsReader.Parse("REGION,YEAR,VALUE\n\"R1\",2030,1\n\"R1\",2031\n", "X", "x.csv"));
        Assert.Equal(3, e.Row);
        Assert.Equal("VALUE", e.Column);
    }
}
