using OgClews.Etl.Results;

namespace OgClews.Etl.Tests;

public class CsvReaderTests
{
    [Fact]
    public void Quotes_commas_doubled_quotes_and_line_breaks_in_fields()
    {
        string text = "\uFEFFA,B,C\r\n\"x,1\",\"say \"\"hi\"\"\",3\r\n\"two\nlines\",  plain  ,\"\"\r\n\r\nlast,row,9";
        var records = CsvReader.Parse(text, "t.csv");
        Assert.Equal(4, records.Count);
        Assert.Equal(["A", "B", "C"], records[0].Fields);
        Assert.Equal(["x,1", "say \"hi\"", "3"], records[1].Fields);
        Assert.Equal([true, true, false], records[1].Quoted);
        Assert.Equal(["two\nlines", "plain", ""], records[2].Fields);
        Assert.Equal(3, records[2].Line);
        Assert.Equal(6, records[3].Line); // the quoted line break and the blank line both count
        Assert.Equal(["last", "row", "9"], records[3].Fields);
    }

    [Fact]
    public void Cr_only_line_ends()
    {
        var records = CsvReader.Parse("A,B\r1,2\r3,4", "t.csv");
        Assert.Equal(3, records.Count);
        Assert.Equal(3, records[2].Line);
    }

    [Fact]
    public void Unclosed_quote_names_the_line_it_opened_on()
    {
        var e = Assert.Throws<EtlException>(() => CsvReader.Parse("A,B\n1,2\n\"open,3\n4,5\n", "t.csv"));
        Assert.Equal("t.csv", e.File);
        Assert.Equal(3, e.Row);
        Assert.Contains("never closed", e.Message);
    }

    [Fact]
    public void Text_after_a_closing_quote_is_an_error()
    {
        var e = Assert.Throws<EtlException>(() => CsvReader.Parse("A,B\n\"x\"y,2\n", "t.csv"));
        Assert.Equal(2, e.Row);
    }
}
