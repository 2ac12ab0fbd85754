using Microsoft.Playwright;
using Xunit.Abstractions;

namespace OgClews.Server.Tests;

/// <summary>
/// The dashboard as a person uses it, in Debian's headless Chromium driven by Playwright (never a
/// browser Playwright downloads): submit a run from the form, watch its convergence chart grow,
/// cancel a second run. Screenshots go to the test output's artifacts/ folder (or
/// $OGCLEWS_TEST_ARTIFACTS).
/// </summary>
public class DashboardBrowserTests(ITestOutputHelper output)
{
    private const string Chromium = "/usr/bin/chromium";

    // As root in a sandbox without network: no sandbox, no GPU, none of Chromium's background connections.
    private static readonly string[] ChromiumArgs =
    [
        "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
    ];

    private static string Artifacts()
    {
        string dir = Environment.GetEnvironmentVariable("OGCLEWS_TEST_ARTIFACTS") is { Length: > 0 } d ? d : Path.Combine(AppContext.BaseDirectory, "artifacts");
        Directory.CreateDirectory(dir);
        return dir;
    }

    /// <summary>
    /// Waits for the page to move to the new run's page after a submit (a hash change: no load event
    /// to wait for) and returns the run id; a refused submission fails with the form's error text.
    /// </summary>
    private static async Task<string> RunPageAsync(IPage page, string? previous)
    {
        await page.WaitForFunctionAsync(
            "prev => /^#\\/runs\\/[0-9a-f]+$/.test(location.hash) && location.hash !== '#/runs/' + prev || document.getElementById('f-error')?.textContent",
            previous ?? "", new() { Timeout = 30_000 });
        string hash = await page.EvaluateAsync<string>("() => location.hash");
        if (!hash.StartsWith("#/runs/", StringComparison.Ordinal))
            Assert.Fail("the submission was refused: " + await page.EvaluateAsync<string?>("() => document.getElementById('f-error')?.textContent"));
        return hash["#/runs/".Length..];
    }

    [Fact]
    public async Task The_dashboard_submits_a_run_draws_its_convergence_live_and_cancels_another()
    {
        Assert.True(File.Exists(Chromium), $"Chromium is not installed at {Chromium}: run scripts/install-deps.sh (Debian package 'chromium')");
        await using var server = await InProcessServer.StartAsync(null, "--concurrency", "2");
        string origin = server.Address.GetLeftPart(UriPartial.Authority);
        string artifacts = Artifacts();

        using var playwright = await Playwright.CreateAsync();
        await using var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = Chromium, Headless = true, Args = ChromiumArgs, Timeout = 60_000,
        });
        await using var context = await browser.NewContextAsync(new BrowserNewContextOptions { ViewportSize = new ViewportSize { Width = 1280, Height = 1000 } });
        var page = await context.NewPageAsync();
        var problems = new List<string>();
        page.Console += (_, m) => { if (m.Type == "error") lock (problems) problems.Add("console: " + m.Text); };
        page.PageError += (_, e) => { lock (problems) problems.Add("page: " + e); };
        page.Request += (_, r) => { if (!r.Url.StartsWith(origin, StringComparison.Ordinal)) lock (problems) problems.Add("external request: " + r.Url); };

        // 1. Submit from the form and watch the chart draw a point per completed iteration.
        await page.GotoAsync(origin + "/");
        await page.Locator("#f-scenario option[value=demo]").WaitForAsync(new() { State = WaitForSelectorState.Attached });
        await page.SelectOptionAsync("#f-method", "anderson");
        await page.FillAsync("#f-tolerance", "1e-8");
        await page.FillAsync("#f-priority", "6");
        await page.FillAsync("#f-macro-s", "40");
        await page.ClickAsync("#f-submit");
        string id = await RunPageAsync(page, previous: null);

        var seen = new List<int>();
        var deadline = DateTime.UtcNow.AddSeconds(120);
        string? final = null;
        while (DateTime.UtcNow < deadline)
        {
            int points = int.Parse(await page.GetAttributeAsync("#chart-convergence", "data-points") ?? "0");
            if (seen.Count == 0 || seen[^1] != points) seen.Add(points);
            final = await page.EvaluateAsync<string?>("() => document.documentElement.dataset.runFinal ?? null");
            if (final is not null) break;
            await Task.Delay(100);
        }
        output.WriteLine($"run {id}: chart point counts seen while it ran: {string.Join(", ", seen)}");
        Assert.Equal("Converged", final);
        var detail = await server.Http.GetJsonAsync($"/api/runs/{id}");
        int iterations = detail.GetProperty("run").GetProperty("iterations").GetInt32();
        Assert.Equal(6, detail.GetProperty("run").GetProperty("priority").GetInt32());
        Assert.Equal(iterations, int.Parse((await page.GetAttributeAsync("#chart-convergence", "data-points"))!));
        // Points appeared as iterations completed, not all at the end.
        Assert.True(seen.Count(n => n > 0) >= 2, $"the chart went from empty to full at once: {string.Join(", ", seen)}");
        Assert.Equal(seen.Order(), seen);
        // The canvas really has ink where the points are (Chart.js drew them).
        int drawn = await page.EvaluateAsync<int>("""
            () => { const c = document.getElementById('chart-convergence'); const chart = Chart.getChart(c);
                    const ctx = c.getContext('2d'); const dpr = chart.currentDevicePixelRatio || 1;
                    return chart.getDatasetMeta(0).data.filter(p => {
                      const d = ctx.getImageData(Math.round(p.x * dpr) - 2, Math.round(p.y * dpr) - 2, 5, 5).data;
                      for (let i = 3; i < d.length; i += 4) if (d[i] !== 0) return true; return false; }).length; }
            """);
        Assert.Equal(iterations, drawn);
        await page.Locator("canvas[data-chart=gdp]").WaitForAsync();
        await page.Locator("canvas[data-chart=emissions]").WaitForAsync();
        Assert.True(await page.IsVisibleAsync("#report-link"));
        var states = await page.Locator("#tasks tbody tr").EvaluateAllAsync<string[]>("rows => rows.map(r => r.dataset.state)");
        Assert.Equal(2 + 4 * iterations, states.Length); // model creation, calibration, four steps per iteration
        Assert.All(states, s => Assert.Equal("COMPLETED", s));
        Assert.Contains("Converged at iteration", await page.TextContentAsync("#log"));
        string converged = Path.Combine(artifacts, "dashboard-converged.png");
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = converged, FullPage = true });

        // 2. A second run, cancelled from its page while it runs.
        await page.GotoAsync(origin + "/#/");
        await page.Locator("#f-scenario option[value=demo]").WaitForAsync(new() { State = WaitForSelectorState.Attached });
        await page.SelectOptionAsync("#f-method", "damped");
        await page.FillAsync("#f-tolerance", "1e-12");
        await page.FillAsync("#f-maxit", "200");
        await page.FillAsync("#f-macro-s", "40");
        await page.ClickAsync("#f-submit");
        string second = await RunPageAsync(page, previous: id);
        await page.WaitForFunctionAsync("() => Number(document.getElementById('chart-convergence').dataset.points) >= 1", null, new() { Timeout = 90_000 });
        Assert.True(await page.IsEnabledAsync("#btn-cancel"));
        await page.ClickAsync("#btn-cancel");
        await page.WaitForFunctionAsync("() => document.documentElement.dataset.runFinal === 'Cancelled'", null, new() { Timeout = 20_000 });
        await page.Locator("#tasks tbody tr[data-state=CANCELLED]").First.WaitForAsync(new() { Timeout = 10_000 });
        Assert.False(await page.IsEnabledAsync("#btn-cancel"));
        string cancelled = Path.Combine(artifacts, "dashboard-cancelled.png");
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = cancelled, FullPage = true });

        // 3. The list shows both runs with their status.
        await page.GotoAsync(origin + "/#/");
        await page.Locator($"#runs tr[data-id='{second}'][data-status=Cancelled]").WaitForAsync(new() { Timeout = 10_000 });
        await page.Locator($"#runs tr[data-id='{id}'][data-status=Converged]").WaitForAsync(new() { Timeout = 10_000 });
        string list = Path.Combine(artifacts, "dashboard-list.png");
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = list, FullPage = true });
        output.WriteLine($"screenshots: {converged}, {cancelled}, {list}");

        lock (problems) Assert.True(problems.Count == 0, string.Join("\n", problems));
    }
}
