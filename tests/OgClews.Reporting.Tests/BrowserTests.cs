namespace OgClews.Reporting.Tests;

// The report as a modeller sees it: opened from file:// in Debian's headless Chromium.
public class BrowserTests
{
    private static readonly string[] AllCharts = [.. ReportBrowserCheck.StandardCharts, "interest_rate", "carbon_revenue"];

    [Fact]
    public async Task Every_chart_of_the_fixture_report_renders_without_errors()
    {
        using var run = new TempRunFolder();
        var files = ReportWriter.Write(run.Path);
        string? screenshot = Environment.GetEnvironmentVariable("OGCLEWS_REPORT_SCREENSHOT");
        var result = await ReportBrowserCheck.RunAsync(files.HtmlPath, AllCharts, screenshot);

        Assert.True(result.Ok, result.Describe());
        Assert.Equal("OG-CLEWS report – demo", result.Title);
        Assert.Equal(AllCharts.Order(), result.Charts.Select(c => c.Id).Order());
        Assert.All(result.Charts, c =>
        {
            Assert.True(c.Width > 200 && c.Height > 200, $"{c.Id}: {c.Width}x{c.Height}");
            Assert.True(c.DataUrlLength > 5000, $"{c.Id}: toDataURL is only {c.DataUrlLength} chars");
        });
        // Convergence: residual line and tolerance line; paths: baseline and coupled; carbon revenue: coupled only.
        Assert.Equal(2, result.Charts.Single(c => c.Id == "convergence").DatasetsPainted);
        // energy, etl and macro; the overhead bars (about 5 ms of 1.6 s) are under a pixel tall.
        Assert.InRange(result.Charts.Single(c => c.Id == "timing").DatasetsPainted, 3, 4);
        Assert.Equal(2, result.Charts.Single(c => c.Id == "gdp").DatasetsPainted);
        Assert.Equal(1, result.Charts.Single(c => c.Id == "carbon_revenue").DatasetsPainted);
    }

    [Fact]
    public async Task A_diverged_run_without_optional_paths_still_renders()
    {
        using var run = new TempRunFolder();
        run.Write("run.json", """{"method":"damped","status":"Diverged","message":"residual grew","iterations":4,"residual":"Infinity","tolerance":1e-6}""");
        run.Write("iterations.csv",
            "iteration,residual,absolute_residual,step_size,method,energy_seconds,macro_seconds,map_seconds,wall_seconds,overhead_seconds\n" +
            "0,0.2,10,0.1,damped(0.5),1,2,3.1,3.2,0.1\n1,0.9,40,0.45,damped(0.5),1,2,3.1,3.2,0.1\n" +
            "2,37,2000,18,damped(0.5),1,,3.1,3.2,0.1\n3,Infinity,Infinity,NaN,damped(0.5),1,2,3.1,3.2,0.1\n");
        var lines = run.Read("paths.csv").TrimEnd('\n').Split('\n');
        run.Write("paths.csv", string.Join('\n', lines.Select(l => string.Join(',', l.Split(',').Take(9)))) + "\n");

        var result = await ReportBrowserCheck.RunAsync(ReportWriter.Write(run.Path).HtmlPath);
        Assert.True(result.Ok, result.Describe());
        Assert.Equal(ReportBrowserCheck.StandardCharts.Order(), result.Charts.Select(c => c.Id).Order());
    }

    [Fact]
    public async Task The_check_reports_blank_canvases_missing_charts_and_console_errors()
    {
        string dir = Path.Combine(Path.GetTempPath(), "ogclews-check-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        try
        {
            string page = Path.Combine(dir, "report.html");
            File.WriteAllText(page, """
                <!DOCTYPE html><html><head><title>broken</title></head><body>
                <canvas data-chart="gdp" width="300" height="200"></canvas>
                <script>console.error('boom'); document.documentElement.setAttribute('data-charts-ready', 'true');</script>
                </body></html>
                """);
            var result = await ReportBrowserCheck.RunAsync(page, ["gdp", "emissions"], timeout: TimeSpan.FromSeconds(10));
            Assert.False(result.Ok);
            Assert.Contains("boom", result.ConsoleErrors);
            var gdp = result.Charts.Single(c => c.Id == "gdp");
            Assert.True(gdp.Found);
            Assert.Equal("canvas is blank", gdp.Problem);
            var emissions = result.Charts.Single(c => c.Id == "emissions");
            Assert.False(emissions.Found);
            Assert.False(emissions.Rendered);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
