using OgClews.Etl.Gmpl;

namespace OgClews.Etl.Tests;

public class GmplDataReaderTests
{
    private static readonly GmplData Demo = GmplDataReader.Read(TestFiles.DemoData);

    [Fact]
    public void Reads_the_demo_sets()
    {
        Assert.Equal(["ATLANTIS"], Demo.Sets["REGION"]);
        Assert.Equal(["SD", "SN", "WD", "WN"], Demo.Sets["TIMESLICE"]);
        Assert.Equal(["COA", "GAS", "OIL", "BIO", "ELG", "ELC", "IHT", "TRA"], Demo.Sets["FUEL"]);
        Assert.Equal(18, Demo.Sets["TECHNOLOGY"].Count);
        Assert.Equal(Enumerable.Range(2025, 26).ToArray(), Demo.Years("test"));
    }

    [Fact]
    public void Reads_every_form_the_demo_uses()
    {
        Assert.Equal(0.07, Demo.Value("DiscountRate", "ATLANTIS"));                                   // plain list, 1 index
        Assert.Equal(25, Demo.Value("OperationalLife", "ATLANTIS", "PWRSOL"));                        // plain list, 2 indices
        Assert.Equal(0.25, Demo.Value("YearSplit", "WN", "2050"));                                    // table without slice
        Assert.Equal(1.15, Demo.Value("ReserveMargin", "ATLANTIS", "2030"));                          // ':=' then a table
        Assert.Equal(124.4549034, Demo.Value("SpecifiedAnnualDemand", "ATLANTIS", "ELC", "2030"));    // [r,*,*] slice
        Assert.Equal(0.2, Demo.Value("SpecifiedDemandProfile", "ATLANTIS", "TRA", "SN", "2040"));     // several [r,f,*,*] slices
        Assert.Equal(2.631578947, Demo.Value("InputActivityRatio", "ATLANTIS", "PWRCOA", "COA", "1", "2025")); // [r,t,*,m,*]
        Assert.Equal(0, Demo.Value("SpecifiedAnnualDemand", "ATLANTIS", "COA", "2030"));              // model default
        Assert.Equal(1, Demo.Value("OperationalLife", "ATLANTIS", "NOSUCH"));                         // model default
        Assert.Equal(-1, Demo.Value("AnnualEmissionLimit", "ATLANTIS", "CO2", "2030"));               // not set at all
        Assert.Equal(26 * 3, Demo.Parameters["SpecifiedAnnualDemand"].Count);
        Assert.Equal(53, Demo.Parameters["SpecifiedAnnualDemand"].Line);
    }

    [Fact]
    public void Default_clause_transpose_dots_and_unknown_parameters()
    {
        var d = GmplDataReader.Parse("""
            data;
            set A := a b;  /* block
            comment */
            param P default 7 := [x,*,*] (tr) : a b := 1 10 .  2 20 21 ;
            param Q := a 1 b 2;
            param S := "path with spaces";
            end;
            """, "inline.dat", new Dictionary<string, int> { ["P"] = 3, ["Q"] = 1, ["S"] = 0 });
        Assert.Equal(10, d.Value("P", "x", "a", "1"));
        Assert.Equal(21, d.Value("P", "x", "b", "2"));
        Assert.Equal(7, d.Value("P", "x", "b", "1"));  // '.' means not given: the default
        Assert.Equal(2, d.Value("Q", "b"));
        Assert.True(d.Parameters["S"].TryGet([], out var s, out _));
        Assert.Equal("path with spaces", s);
    }

    [Fact]
    public void A_short_table_row_names_the_line_and_parameter()
    {
        var e = Assert.Throws<EtlException>(() => GmplDataReader.Parse("param YearSplit : 2025 2026 :=\n  SD 0.5 0.5\n  SN 0.5\n;\n", "bad.dat"));
        Assert.Equal("bad.dat", e.File);
        Assert.Equal(3, e.Row);
        Assert.Equal("YearSplit", e.Column);
        Assert.Contains("row 'SN' has 1 values but the table has 2 columns", e.Message);
    }

    [Fact]
    public void A_parameter_set_twice_is_refused_as_glpk_does()
    {
        var e = Assert.Throws<EtlException>(() => GmplDataReader.Parse("param DiscountRate := R 0.05;\nparam DiscountRate := R 0.06;\n", "twice.dat"));
        Assert.Equal(2, e.Row);
    }

    [Fact]
    public void Removing_parameters_keeps_everything_else()
    {
        string text = File.ReadAllText(TestFiles.DemoData);
        string stripped = GmplDataReader.RemoveParameters(text, "data.dat", ["SpecifiedAnnualDemand", "DiscountRate"]);
        var d = GmplDataReader.Parse(stripped, "stripped.dat");
        Assert.False(d.Defines("SpecifiedAnnualDemand"));
        Assert.False(d.Defines("DiscountRate"));
        Assert.Equal(Demo.Parameters.Count - 2, d.Parameters.Count);
        Assert.Equal(0.26, d.Value("SpecifiedDemandProfile", "ATLANTIS", "ELC", "SD", "2025"));
        Assert.Contains("/* param SpecifiedAnnualDemand: removed here", stripped);
    }
}
