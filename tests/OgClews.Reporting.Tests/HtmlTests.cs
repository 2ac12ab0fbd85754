using System.Text.Json;
using System.Text.RegularExpressions;
using OgClews.Reporting.Html;

namespace OgClews.Reporting.Tests;

public partial class HtmlTests
{
    private const string Evil = "</script><script>alert('x')</script><!-- & \u2028 <b>bold</b>";

    [Fact]
    public void Embedded_json_cannot_close_the_script_and_parses_back_unchanged()
    {
        string json = JsonSerializer.Serialize(new { text = Evil, other = "</SCRIPT >" });
        string embedded = ScriptText.EmbedJson(json);
        Assert.DoesNotContain("<", embedded);
        Assert.DoesNotContain(">", embedded);
        Assert.DoesNotContain("&", embedded);
        Assert.DoesNotContain("\u2028", embedded);
        using var doc = JsonDocument.Parse(embedded);
        Assert.Equal(Evil, doc.RootElement.GetProperty("text").GetString());
        Assert.Equal("</SCRIPT >", doc.RootElement.GetProperty("other").GetString());
    }

    [Fact]
    public void Embedded_script_text_has_no_closing_tag_or_comment_opener()
    {
        string js = "var a = '</script>'; var b = \"</ScRiPt\"; var c = '<!--'; var d = 1 < 2; var e = '</div>';";
        string embedded = ScriptText.EmbedScript(js);
        Assert.DoesNotMatch(new Regex("</script", RegexOptions.IgnoreCase), embedded);
        Assert.DoesNotContain("<!--", embedded);
        Assert.Contains("1 < 2", embedded);
        Assert.Contains("'</div>'", embedded);
        Assert.Equal("var a = '<\\/script>';", embedded[..embedded.IndexOf(';', StringComparison.Ordinal)] + ";");
    }

    [Fact]
    public void Template_fills_placeholders_in_one_pass()
    {
        string html = Template.Render("<p>{{a}}</p><p>{{b}}</p>", new Dictionary<string, string> { ["a"] = "{{b}}", ["b"] = "B" });
        Assert.Equal("<p>{{b}}</p><p>B</p>", html);
        Assert.Throws<InvalidOperationException>(() => Template.Render("{{missing}}", new Dictionary<string, string>()));
    }

    [Fact]
    public void Report_is_self_contained_with_chartjs_inlined()
    {
        using var run = new TempRunFolder();
        string html = File.ReadAllText(ReportWriter.Write(run.Path).HtmlPath);
        Assert.StartsWith("<!DOCTYPE html>", html);
        Assert.Contains("Chart.js v4.6.1", html);
        Assert.Contains("Content-Security-Policy", html);
        Assert.DoesNotMatch(new Regex(@"<script[^>]*\ssrc\s*=", RegexOptions.IgnoreCase), html);
        Assert.DoesNotMatch(new Regex(@"<link\b", RegexOptions.IgnoreCase), html);
        Assert.DoesNotMatch(new Regex(@"<img\b", RegexOptions.IgnoreCase), html);
        Assert.DoesNotMatch(new Regex(@"@import|url\(", RegexOptions.IgnoreCase), ExtractStyle(html));
        // Three scripts (data, Chart.js, page script), each closed once.
        Assert.Equal(3, ScriptClose().Count(html));
        Assert.True(html.Length > 200_000, "Chart.js should be inlined");
    }

    [Fact]
    public void Report_shows_the_summary_and_one_canvas_per_chart()
    {
        using var run = new TempRunFolder();
        string html = File.ReadAllText(ReportWriter.Write(run.Path).HtmlPath);
        Assert.Contains("<title>OG-CLEWS report – demo</title>", html);
        Assert.Contains("<span class=\"badge ok\" id=\"status\">Converged</span>", html);
        Assert.Contains("3.10e-8", html);
        Assert.Contains("✓ below tolerance 1.00e-6", html);
        Assert.Contains("11.5 s", html);     // wall time
        Assert.Contains("0.29%", html);      // overhead fraction from run.json
        Assert.Contains(">macro</span>", html);
        Assert.Contains("last step: anderson(m=5)", html);
        Assert.Contains("Baseline 2050", html);
        foreach (string id in ReportBrowserCheck.StandardCharts.Concat(["interest_rate", "carbon_revenue"]))
            Assert.Contains($"<canvas id=\"chart-{id}\" data-chart=\"{id}\"", html);
        Assert.Contains("Energy demand (PJ)", ExtractData(html).GetRawText());
    }

    [Fact]
    public void Run_text_is_escaped_in_the_page_and_in_the_data()
    {
        using var run = new TempRunFolder();
        run.Edit("run.json", s => s
            .Replace("\"message\": \"Converged", "\"message\": " + JsonSerializer.Serialize(Evil + " Converged")[..^1])
            .Replace("\"status\": \"Converged\"", "\"status\": " + JsonSerializer.Serialize("Converged</script>"))
            .Replace("\"scenario\": \"demo\"", "\"scenario\": \"{{data}} <i>demo</i>\""));
        run.Edit("iterations.csv", s => s.Replace("damped(0.5)", "\"</script><script>alert(1)//, x\""));
        string html = File.ReadAllText(ReportWriter.Write(run.Path).HtmlPath);

        Assert.Equal(3, ScriptClose().Count(html));
        Assert.DoesNotContain("<b>bold</b>", html);
        Assert.DoesNotContain("<i>demo</i>", html);
        Assert.Contains("&lt;/script&gt;&lt;script&gt;alert(", html);
        Assert.Contains("{{data}} &lt;i&gt;demo&lt;/i&gt;", html);

        var data = ExtractData(html);
        Assert.Equal("Converged</script>", data.GetProperty("status").GetString());
        Assert.Equal("</script><script>alert(1)//, x", data.GetProperty("iterations").GetProperty("method")[0].GetString());
    }

    [Fact]
    public void Non_finite_values_become_null_in_the_page_data()
    {
        using var run = new TempRunFolder();
        run.Edit("iterations.csv", s => s.Replace("0,0.18342815402771104,", "0,NaN,"));
        run.Edit("paths.csv", s => s.Replace("2026,1.021,", "2026,Infinity,"));
        string html = File.ReadAllText(ReportWriter.Write(run.Path).HtmlPath);
        var data = ExtractData(html);
        Assert.Equal(JsonValueKind.Null, data.GetProperty("iterations").GetProperty("residual")[0].ValueKind);
        Assert.Equal(JsonValueKind.Null, data.GetProperty("paths").GetProperty("gdp_baseline")[1].ValueKind);
        Assert.Equal(0.041276093314882, data.GetProperty("iterations").GetProperty("residual")[1].GetDouble());
    }

    [Fact]
    public void Writing_twice_replaces_the_files_and_leaves_no_temporary_files()
    {
        using var run = new TempRunFolder();
        ReportWriter.Write(run.Path);
        string first = File.ReadAllText(run.File("report.html"));
        var files = ReportWriter.Write(run.Path);
        Assert.Equal(first, File.ReadAllText(files.HtmlPath)); // deterministic: no timestamps of its own
        Assert.DoesNotContain(Directory.GetFiles(run.Path), f => f.Contains(".tmp-", StringComparison.Ordinal));
        Assert.Equal(["convergence.png", "iterations.csv", "paths.csv", "report.html", "run.json"],
            Directory.GetFiles(run.Path).Select(Path.GetFileName).Order(StringComparer.Ordinal));
    }

    [Theory]
    [InlineData("Converged", "ok")]
    [InlineData("MaxIterations", "warn")]
    [InlineData("Oscillating", "warn")]
    [InlineData("Diverged", "bad")]
    [InlineData("Failed", "bad")]
    public void Status_badges_are_coloured_by_outcome(string status, string cls) =>
        Assert.Equal(cls, HtmlReport.StatusClass(status));

    [Theory]
    [InlineData(0.84, "0.84 s")]
    [InlineData(12.34, "12.3 s")]
    [InlineData(245, "4 min 05 s")]
    [InlineData(7380, "2 h 03 min")]
    [InlineData(double.NaN, "–")]
    public void Durations_read_naturally(double seconds, string text) => Assert.Equal(text, Format.Duration(seconds));

    private static JsonElement ExtractData(string html)
    {
        var m = Regex.Match(html, "<script type=\"application/json\" id=\"report-data\">(.*?)</script>", RegexOptions.Singleline);
        Assert.True(m.Success);
        return JsonDocument.Parse(m.Groups[1].Value).RootElement.Clone();
    }

    private static string ExtractStyle(string html) =>
        Regex.Match(html, "<style>(.*?)</style>", RegexOptions.Singleline).Groups[1].Value;

    [GeneratedRegex("</script", RegexOptions.IgnoreCase)]
    private static partial Regex ScriptClose();
}
