// Opens a report.html in Debian's headless Chromium (driven by Microsoft.Playwright, never a browser
// Playwright downloads) and says, per chart, whether it really drew. Self-contained on purpose: the
// coupled run's end-to-end test can link this one file (it needs only the Microsoft.Playwright package).
using System.Text.Json;
using Microsoft.Playwright;

namespace OgClews.Reporting.Tests;

/// <summary>What the browser saw of one chart canvas.</summary>
/// <param name="Id">The chart's id (<c>data-chart</c> attribute of its canvas).</param>
/// <param name="Found">Whether the page has the canvas.</param>
/// <param name="Width">Canvas width in device pixels.</param>
/// <param name="Height">Canvas height in device pixels.</param>
/// <param name="PaintedPixels">Pixels with non-zero alpha (the canvas starts fully transparent).</param>
/// <param name="DataUrlLength">Length of <c>canvas.toDataURL()</c>; a blank canvas of this size gives a short one.</param>
/// <param name="DatasetsWithData">Visible datasets with at least one drawable value.</param>
/// <param name="DatasetsPainted">Of those, datasets with painted pixels at one of their points or bars.</param>
/// <param name="Problem">Why the chart does not count as rendered, or null when it does.</param>
public sealed record ChartCheck(string Id, bool Found, int Width, int Height, int PaintedPixels, int DataUrlLength,
    int DatasetsWithData, int DatasetsPainted, string? Problem)
{
    /// <summary>The chart exists, has a size, and every dataset with data left pixels where its values are.</summary>
    public bool Rendered => Problem is null;
}

/// <summary>The outcome of <see cref="ReportBrowserCheck.RunAsync"/>.</summary>
/// <param name="Title">The page title.</param>
/// <param name="Ready">Whether the page's script finished drawing (it sets <c>data-charts-ready</c> on &lt;html&gt;).</param>
/// <param name="Charts">One entry per chart canvas on the page, plus one per expected chart that is missing.</param>
/// <param name="ConsoleErrors">Console messages of type error.</param>
/// <param name="PageErrors">Uncaught exceptions in the page.</param>
/// <param name="ExternalRequests">Requests for anything but the report file itself (the page must be self-contained).</param>
public sealed record ReportBrowserResult(string Title, bool Ready, IReadOnlyList<ChartCheck> Charts,
    IReadOnlyList<string> ConsoleErrors, IReadOnlyList<string> PageErrors, IReadOnlyList<string> ExternalRequests)
{
    /// <summary>Every chart rendered, nothing went wrong in the page, and nothing was fetched.</summary>
    public bool Ok => Ready && Charts.Count > 0 && Charts.All(c => c.Rendered) &&
                      ConsoleErrors.Count == 0 && PageErrors.Count == 0 && ExternalRequests.Count == 0;

    /// <summary>A readable account, for assertion messages.</summary>
    public string Describe()
    {
        var lines = new List<string> { $"title: {Title}", $"ready: {Ready}" };
        lines.AddRange(Charts.Select(c =>
            $"chart {c.Id}: {(c.Rendered ? "rendered" : "NOT rendered: " + c.Problem)} ({c.Width}x{c.Height}, {c.PaintedPixels} painted px, " +
            $"dataURL {c.DataUrlLength} chars, {c.DatasetsPainted}/{c.DatasetsWithData} datasets painted)"));
        lines.AddRange(ConsoleErrors.Select(e => "console error: " + e));
        lines.AddRange(PageErrors.Select(e => "page error: " + e));
        lines.AddRange(ExternalRequests.Select(e => "external request: " + e));
        return string.Join(Environment.NewLine, lines);
    }
}

/// <summary>Renders a report page in headless Chromium and checks each chart.</summary>
public static class ReportBrowserCheck
{
    /// <summary>Debian's Chromium, installed by scripts/install-deps.sh.</summary>
    public const string ChromiumPath = "/usr/bin/chromium";

    /// <summary>
    /// The charts every OG-CLEWS report has (interest rate and carbon revenue appear only when their
    /// columns are in paths.csv).
    /// </summary>
    public static readonly IReadOnlyList<string> StandardCharts =
        ["convergence", "timing", "gdp", "energy_demand", "energy_cost_index", "emissions"];

    // As root in a sandbox without network: no sandbox, no GPU, and none of the background
    // connections Chromium would otherwise keep trying (and failing) to make.
    private static readonly string[] ChromiumArgs =
    [
        "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
    ];

    // Runs in the page. For each chart canvas: size, painted pixels, toDataURL length, and for each
    // visible dataset whether pixels are painted around one of its points (line) or bar centres.
    private const string InspectScript = """
        () => Array.from(document.querySelectorAll('canvas[data-chart]')).map(c => {
          const r = { id: c.dataset.chart, width: c.width, height: c.height, painted: 0, dataUrlLength: 0,
                      withData: 0, painted_sets: 0, problem: null };
          try {
            r.dataUrlLength = c.toDataURL('image/png').length;
            if (!c.width || !c.height) { r.problem = 'canvas has no size'; return r; }
            const ctx = c.getContext('2d');
            const px = ctx.getImageData(0, 0, c.width, c.height).data;
            for (let i = 3; i < px.length; i += 4) if (px[i] !== 0) r.painted++;
            if (r.painted === 0) { r.problem = 'canvas is blank'; return r; }
            const chart = window.Chart && window.Chart.getChart(c);
            if (!chart) { r.problem = 'no Chart.js chart on the canvas'; return r; }
            const dpr = chart.currentDevicePixelRatio || 1;
            const paintedNear = (x, y) => {
              const cx = Math.round(x * dpr), cy = Math.round(y * dpr), s = 3;
              const d = ctx.getImageData(Math.max(0, cx - s), Math.max(0, cy - s), 2 * s + 1, 2 * s + 1).data;
              for (let i = 3; i < d.length; i += 4) if (d[i] !== 0) return true;
              return false;
            };
            chart.data.datasets.forEach((ds, i) => {
              if (!chart.isDatasetVisible(i)) return;
              const meta = chart.getDatasetMeta(i);
              const elements = meta.data.filter(el => {
                if (el.skip) return false;
                const p = el.getProps(['x', 'y', 'base'], true);
                if (!isFinite(p.x) || !isFinite(p.y)) return false;
                return meta.type !== 'bar' || Math.abs(p.base - p.y) >= 1;
              });
              if (elements.length === 0) return;
              r.withData++;
              const hit = elements.some(el => {
                const p = el.getProps(['x', 'y', 'base'], true);
                return paintedNear(p.x, meta.type === 'bar' ? (p.y + p.base) / 2 : p.y);
              });
              if (hit) r.painted_sets++;
            });
            if (r.withData === 0) r.problem = 'no dataset has data to draw';
            else if (r.painted_sets < r.withData) r.problem = (r.withData - r.painted_sets) + ' dataset(s) left no pixels at their points';
          } catch (e) { r.problem = 'inspection failed: ' + e; }
          return r;
        })
        """;

    /// <summary>Opens <paramref name="reportHtmlPath"/> from file:// and inspects every chart.</summary>
    /// <param name="reportHtmlPath">The report page.</param>
    /// <param name="expectedCharts">Chart ids that must be on the page (default <see cref="StandardCharts"/>).</param>
    /// <param name="screenshotPath">If given, a full-page screenshot is saved there (for people to look at).</param>
    /// <param name="timeout">How long the page may take to draw (default 30 s).</param>
    public static async Task<ReportBrowserResult> RunAsync(string reportHtmlPath, IReadOnlyList<string>? expectedCharts = null,
        string? screenshotPath = null, TimeSpan? timeout = null)
    {
        if (!File.Exists(reportHtmlPath)) throw new FileNotFoundException("no report page to check", reportHtmlPath);
        if (!File.Exists(ChromiumPath))
        {
            throw new InvalidOperationException(
                $"Chromium is not installed at {ChromiumPath}: run scripts/install-deps.sh (Debian package 'chromium') before the report tests");
        }
        expectedCharts ??= StandardCharts;
        float waitMs = (float)(timeout ?? TimeSpan.FromSeconds(30)).TotalMilliseconds;
        string fileUrl = new Uri(Path.GetFullPath(reportHtmlPath)).AbsoluteUri;

        using var playwright = await Playwright.CreateAsync();
        await using var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = ChromiumPath,
            Headless = true,
            Args = ChromiumArgs,
            Timeout = waitMs,
        });
        await using var context = await browser.NewContextAsync(new BrowserNewContextOptions
        {
            ViewportSize = new ViewportSize { Width = 1280, Height = 900 },
            DeviceScaleFactor = 1,
            Offline = true,
        });
        var page = await context.NewPageAsync();
        var consoleErrors = new List<string>();
        var pageErrors = new List<string>();
        var external = new List<string>();
        page.Console += (_, m) => { if (m.Type == "error") lock (consoleErrors) consoleErrors.Add(m.Text); };
        page.PageError += (_, e) => { lock (pageErrors) pageErrors.Add(e); };
        page.Request += (_, r) =>
        {
            if (!r.Url.StartsWith("data:", StringComparison.Ordinal) && !string.Equals(r.Url, fileUrl, StringComparison.Ordinal))
                lock (external) external.Add(r.Url);
        };

        await page.GotoAsync(fileUrl, new PageGotoOptions { WaitUntil = WaitUntilState.Load, Timeout = waitMs });
        bool ready;
        try
        {
            await page.WaitForFunctionAsync("() => document.documentElement.getAttribute('data-charts-ready') === 'true'",
                null, new PageWaitForFunctionOptions { Timeout = waitMs });
            ready = true;
        }
        catch (TimeoutException)
        {
            ready = false;
        }

        var found = new List<ChartCheck>();
        using (var doc = JsonDocument.Parse((await page.EvaluateAsync(InspectScript))?.GetRawText() ?? "[]"))
        {
            foreach (var c in doc.RootElement.EnumerateArray())
            {
                found.Add(new ChartCheck(
                    c.GetProperty("id").GetString() ?? "",
                    Found: true,
                    c.GetProperty("width").GetInt32(),
                    c.GetProperty("height").GetInt32(),
                    c.GetProperty("painted").GetInt32(),
                    c.GetProperty("dataUrlLength").GetInt32(),
                    c.GetProperty("withData").GetInt32(),
                    c.GetProperty("painted_sets").GetInt32(),
                    c.GetProperty("problem").ValueKind == JsonValueKind.String ? c.GetProperty("problem").GetString() : null));
            }
        }
        foreach (string id in expectedCharts.Where(id => found.All(c => c.Id != id)))
            found.Add(new ChartCheck(id, Found: false, 0, 0, 0, 0, 0, 0, "the page has no canvas for this chart"));

        if (screenshotPath is not null) await page.ScreenshotAsync(new PageScreenshotOptions { Path = screenshotPath, FullPage = true });
        string title = await page.TitleAsync();

        lock (consoleErrors) lock (pageErrors) lock (external)
            return new ReportBrowserResult(title, ready, found, [.. consoleErrors], [.. pageErrors], [.. external]);
    }
}
