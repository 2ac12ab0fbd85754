using System.Text.Json;
using OgClews.Reporting.Tests;

namespace OgClews.Runner.Tests;

/// <summary>The README's main job (`make demo` runs exactly this command) and its report in a real browser.</summary>
public class DemoReportTests
{
    [Fact]
    public async Task The_demo_command_converges_and_its_report_renders_every_chart_in_headless_chromium()
    {
        string folder = Runs.NewFolder("demo");
        var (code, stdout, stderr) = await Runs.RunCliAsync("converge", "--scenario", "demo", "--out", folder, "--overwrite");
        Assert.True(code == 0, $"ogclews converge failed ({code}): {stdout}{stderr}");
        Assert.Contains("Converged after", stdout);

        using var run = JsonDocument.Parse(File.ReadAllText(Path.Combine(folder, "run.json")));
        Assert.Equal("Converged", run.RootElement.GetProperty("status").GetString());
        Assert.True(run.RootElement.GetProperty("residual").GetDouble() < 1e-6);
        foreach (string file in new[] { "iterations.csv", "paths.csv", "macro_inputs.csv", "ogclews.log", "convergence.png", "energy/CapitalInvestment.csv", "logs/energy.log" })
            Assert.True(File.Exists(Path.Combine(folder, file)), $"{file} is missing");

        var check = await ReportBrowserCheck.RunAsync(Path.Combine(folder, "report.html"));
        Assert.True(check.Ok, check.Describe());
    }
}
