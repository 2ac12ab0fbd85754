using System.Globalization;
using System.Text;
using System.Text.Json;
using OgClews.Reporting.Input;
using static OgClews.Reporting.Html.Format;

namespace OgClews.Reporting.Html;

// Builds report.html. The summary and tables are rendered here as plain HTML (readable without
// JavaScript, and searchable); the charts are drawn in the browser from the embedded JSON.
internal static class HtmlReport
{
    private static readonly string[] ComponentColors = ["#0f766e", "#a16207", "#1d4ed8", "#7c3aed", "#be185d", "#15803d"];

    // The charts every report has, in page order; optional ones are added when their columns exist.
    public static IReadOnlyList<ChartSpec> Charts(RunFolder run)
    {
        var charts = new List<ChartSpec>
        {
            new("convergence", "convergence", "Convergence",
                "Relative residual ‖G(x) − x‖∞ / max|G(x)| of each iteration, log scale; the run stops when it falls below the dashed tolerance."),
            new("timing", "timing", "Time per iteration",
                "Compute time of each kernel per iteration, and the orchestration overhead (everything outside kernel compute).")
            {
                Colors = ComponentColors,
            },
            Comparison(run, "gdp", "GDP", "Macro output, indexed to the first-year baseline (= 1).",
                "GDP (index, first-year baseline = 1)", "", 1, 4, "#1d4ed8", "gdp_baseline", "gdp_coupled"),
            Comparison(run, "energy_demand", "Final energy demand", "Energy demand the macro model passes to the energy model.",
                "Energy demand (PJ)", "PJ", 1, 1, "#0f766e", "energy_demand_baseline", "energy_demand_coupled"),
            Comparison(run, "energy_cost_index", "Energy cost index",
                "Annualised energy-system cost per unit of final energy, relative to the base year.",
                "Energy cost (index, base year = 1)", "", 1, 4, "#b45309", "energy_cost_index_baseline", "energy_cost_index_coupled"),
            Comparison(run, "emissions", "CO₂ emissions", "Energy-sector emissions from the energy model.",
                "Emissions (Mt CO₂)", "Mt CO₂", 1, 2, "#7c3aed", "emissions_baseline", "emissions_coupled"),
        };
        if (run.Paths.Has("interest_rate_baseline") || run.Paths.Has("interest_rate_coupled"))
        {
            charts.Add(Comparison(run, "interest_rate", "Interest rate", "Real interest rate from the macro model; sets the energy model's discount rate.",
                "Interest rate (%)", "%", 100, 2, "#be185d", "interest_rate_baseline", "interest_rate_coupled"));
        }
        if (run.Paths.Has("carbon_revenue_coupled"))
        {
            charts.Add(Comparison(run, "carbon_revenue", "Carbon revenue", "Revenue from the carbon price in the coupled run.",
                "Carbon revenue (M$)", "M$", 1, 1, "#15803d", null, "carbon_revenue_coupled"));
        }
        return charts;
    }

    private static ChartSpec Comparison(RunFolder run, string id, string title, string caption, string yLabel, string unit,
        double scale, int decimals, string color, string? baseline, string coupled)
    {
        var series = new List<SeriesSpec>();
        if (baseline is not null && run.Paths.Has(baseline)) series.Add(new("Baseline (uncoupled)", baseline, "baseline"));
        if (run.Paths.Has(coupled)) series.Add(new("Coupled", coupled, "coupled"));
        return new ChartSpec(id, "paths", title, caption)
        {
            YLabel = yLabel, Unit = unit, Scale = scale, Decimals = decimals, Color = color, Series = series,
        };
    }

    public static string Render(RunFolder run)
    {
        var charts = Charts(run);
        string scenario = string.IsNullOrWhiteSpace(run.Run.Scenario) ? Path.GetFileName(Path.GetFullPath(run.Folder).TrimEnd('/')) : run.Run.Scenario!;
        var values = new Dictionary<string, string>
        {
            ["title"] = H($"OG-CLEWS report – {scenario}"),
            ["heading"] = H($"Scenario {scenario}: {run.Run.Status} after {Count(run.Run.Iterations, "iteration")}"),
            ["meta"] = Meta(run),
            ["summary"] = Summary(run),
            ["charts"] = ChartSections(charts),
            ["tables"] = Tables(run),
            ["footer"] = H($"Written by OgClews.Reporting from {RunInfo.FileName}, {IterationsData.FileName} and {PathsData.FileName} " +
                           $"(full precision is in those files). Charts drawn with Chart.js {Assets.ChartJsVersion} (MIT licence), inlined in this page."),
            ["chartjs_version"] = H(Assets.ChartJsVersion),
            ["css"] = Assets.Css,
            ["data"] = ScriptText.EmbedJson(DataJson(run, charts)),
            ["chartjs"] = ScriptText.EmbedScript(Assets.ChartJs),
            ["script"] = ScriptText.EmbedScript(Assets.Script),
        };
        return Template.Render(Assets.Template, values);
    }

    private static string Count(int n, string noun) => $"{n.ToString(CultureInfo.InvariantCulture)} {noun}{(n == 1 ? "" : "s")}";

    private static string Meta(RunFolder run)
    {
        var parts = new List<string> { "method " + run.Run.Method };
        if (run.Run.Started is { } s) parts.Add("started " + Time(s));
        if (run.Run.Finished is { } f) parts.Add("finished " + Time(f));
        parts.Add("years " + run.Paths.Year[0].ToString(CultureInfo.InvariantCulture) + "–" + run.Paths.Year[^1].ToString(CultureInfo.InvariantCulture));
        return H(string.Join(" · ", parts));
    }

    internal static string StatusClass(string status) => status.ToLowerInvariant() switch
    {
        "converged" => "ok",
        "maxiterations" or "oscillating" or "cancelled" => "warn",
        _ => "bad",
    };

    private static string Summary(RunFolder run)
    {
        var r = run.Run;
        var it = run.Iterations;
        var sb = new StringBuilder();
        sb.Append("<section aria-labelledby=\"summary-h\">\n<h2 id=\"summary-h\">Summary</h2>\n<div class=\"cards\">\n");

        string lastStep = it.Count > 0 ? it.Method[^1] : "";
        Card(sb, "Status", $"<span class=\"badge {StatusClass(r.Status)}\" id=\"status\">{H(r.Status)}</span>", null);
        Card(sb, "Method", H(r.Method), lastStep.Length > 0 && lastStep != r.Method ? "last step: " + H(lastStep) : null);
        Card(sb, "Iterations", H(r.Iterations.ToString(CultureInfo.InvariantCulture)),
            it.Count != r.Iterations ? H($"{Count(it.Count, "row")} in {IterationsData.FileName}") : "map evaluations G(x)");

        bool below = double.IsFinite(r.Residual) && r.Residual < r.Tolerance;
        string verdict = double.IsNaN(r.Residual)
            ? "no residual: no iteration completed"
            : below ? "✓ below tolerance " + Sci(r.Tolerance) : "✗ not below tolerance " + Sci(r.Tolerance);
        Card(sb, "Final residual", H(Sci(r.Residual)), $"<span class=\"{(below ? "pass" : "fail")}\">{H(verdict)}</span>");

        Card(sb, "Wall time", H(Duration(run.WallSeconds)), double.IsFinite(run.MapSeconds) && run.MapSeconds > 0 ? H("in map evaluations: " + Duration(run.MapSeconds)) : null);
        Card(sb, "Orchestration overhead", H(Percent(run.OverheadFraction)), "of wall time spent outside kernel compute");
        sb.Append("</div>\n<div class=\"split\">\n");

        // Kernel compute time, as bars scaled to the largest kernel and labelled with the share of wall time.
        sb.Append("<div class=\"panel\"><h3>Kernel compute time</h3>\n<ul class=\"bars\">\n");
        var kernels = run.KernelSeconds;
        double max = kernels.Select(k => k.Seconds).Where(double.IsFinite).DefaultIfEmpty(0).Max();
        double wall = run.WallSeconds;
        foreach (var (name, seconds) in kernels)
        {
            double width = max > 0 && double.IsFinite(seconds) ? Math.Clamp(seconds / max, 0, 1) * 100 : 0;
            string share = wall > 0 && double.IsFinite(seconds) ? " · " + Percent(seconds / wall, 1) : "";
            sb.Append("<li><span>").Append(H(name)).Append("</span><span class=\"track\"><span class=\"fill\" style=\"display:block;width:")
              .Append(width.ToString("0.#", CultureInfo.InvariantCulture)).Append("%\"></span></span><span class=\"num\">")
              .Append(H(Duration(seconds) + share)).Append("</span></li>\n");
        }
        if (kernels.Count == 0) sb.Append("<li><span>–</span><span></span><span class=\"num\">no kernel timings</span></li>\n");
        sb.Append("</ul></div>\n");

        sb.Append("<div class=\"panel\"><h3>Run</h3>\n<table class=\"kv\"><tbody>\n");
        Row(sb, "Scenario", r.Scenario ?? "–");
        Row(sb, "Status", r.Status);
        Row(sb, "Tolerance", Sci(r.Tolerance));
        if (r.Started is { } st) Row(sb, "Started", Time(st));
        if (r.Finished is { } fi) Row(sb, "Finished", Time(fi));
        Row(sb, "Model years", $"{run.Paths.Year[0]}–{run.Paths.Year[^1]} ({Count(run.Paths.Year.Length, "year")})");
        sb.Append("</tbody></table>\n");
        if (!string.IsNullOrWhiteSpace(r.Message)) sb.Append("<p class=\"message\" id=\"message\">").Append(H(r.Message)).Append("</p>\n");
        sb.Append("</div>\n</div>\n</section>\n");
        return sb.ToString();
    }

    private static void Card(StringBuilder sb, string label, string valueHtml, string? noteHtml)
    {
        sb.Append("<div class=\"panel card\"><p class=\"label\">").Append(H(label)).Append("</p><p class=\"value\">").Append(valueHtml).Append("</p>");
        if (noteHtml is not null) sb.Append("<p class=\"note\">").Append(noteHtml).Append("</p>");
        sb.Append("</div>\n");
    }

    private static void Row(StringBuilder sb, string key, string value) =>
        sb.Append("<tr><th scope=\"row\" class=\"text\">").Append(H(key)).Append("</th><td class=\"text\">").Append(H(value)).Append("</td></tr>\n");

    private static string ChartSections(IReadOnlyList<ChartSpec> charts)
    {
        var sb = new StringBuilder();
        sb.Append("<section aria-labelledby=\"convergence-h\">\n<h2 id=\"convergence-h\">Convergence</h2>\n<div class=\"grid\">\n");
        foreach (var c in charts.Where(c => c.Kind != "paths")) Figure(sb, c);
        sb.Append("</div>\n</section>\n");
        sb.Append("<section aria-labelledby=\"paths-h\">\n<h2 id=\"paths-h\">Coupled vs baseline paths</h2>\n<div class=\"grid\">\n");
        foreach (var c in charts.Where(c => c.Kind == "paths")) Figure(sb, c);
        sb.Append("</div>\n</section>\n");
        return sb.ToString();
    }

    private static void Figure(StringBuilder sb, ChartSpec c)
    {
        sb.Append("<figure class=\"chart\" id=\"figure-").Append(H(c.Id)).Append("\">\n<figcaption><h3>").Append(H(c.Title))
          .Append("</h3><p>").Append(H(c.Caption)).Append("</p></figcaption>\n<div class=\"canvas-box\"><canvas id=\"chart-").Append(H(c.Id))
          .Append("\" data-chart=\"").Append(H(c.Id)).Append("\" role=\"img\" aria-label=\"").Append(H(c.Title + ": " + c.Caption))
          .Append("\"></canvas></div>\n</figure>\n");
    }

    private static string Tables(RunFolder run)
    {
        var sb = new StringBuilder();
        var p = run.Paths;
        int last = p.Year.Length - 1;
        string firstYear = p.Year[0].ToString(CultureInfo.InvariantCulture), lastYear = p.Year[last].ToString(CultureInfo.InvariantCulture);

        sb.Append("<section aria-labelledby=\"results-h\">\n<h2 id=\"results-h\">Key results</h2>\n<div class=\"panel table-panel\">\n<table id=\"key-results\">\n<thead><tr>")
          .Append("<th scope=\"col\">Variable</th><th scope=\"col\" class=\"text\">Unit</th>")
          .Append($"<th scope=\"col\">Baseline {lastYear}</th><th scope=\"col\">Coupled {lastYear}</th><th scope=\"col\">Change {lastYear}</th>")
          .Append($"<th scope=\"col\">Mean change {firstYear}–{lastYear}</th></tr></thead>\n<tbody>\n");
        foreach (var c in Charts(run).Where(c => c.Kind == "paths"))
        {
            var b = c.Series.FirstOrDefault(s => s.Role == "baseline");
            var k = c.Series.FirstOrDefault(s => s.Role == "coupled");
            if (k is null) continue;
            double scale = c.Scale;
            double cv = p[k.Column][last] * scale;
            double bv = b is null ? double.NaN : p[b.Column][last] * scale;
            double change = b is null ? double.NaN : Change(p[b.Column][last], p[k.Column][last]);
            double mean = b is null ? double.NaN : MeanChange(p[b.Column], p[k.Column]);
            sb.Append("<tr><th scope=\"row\">").Append(H(c.Title)).Append("</th><td class=\"text\">").Append(H(c.Unit.Length > 0 ? c.Unit : "index"))
              .Append("</td><td>").Append(H(Fixed(bv, c.Decimals))).Append("</td><td>").Append(H(Fixed(cv, c.Decimals)))
              .Append("</td>").Append(ChangeCell(change)).Append(ChangeCell(mean)).Append("</tr>\n");
        }
        sb.Append("</tbody>\n</table>\n</div>\n");

        // Iterations, all columns of iterations.csv.
        var it = run.Iterations;
        sb.Append("<details id=\"iterations-table\">\n<summary>Iterations (").Append(it.Count.ToString(CultureInfo.InvariantCulture))
          .Append(")</summary>\n<div class=\"scroll\"><table>\n<thead><tr><th scope=\"col\">Iteration</th><th scope=\"col\">Relative residual</th>")
          .Append("<th scope=\"col\">Absolute residual</th><th scope=\"col\">Step size</th><th scope=\"col\" class=\"text\">Method</th>");
        foreach (var (name, _) in it.Components) sb.Append("<th scope=\"col\">").Append(H(name)).Append(" (s)</th>");
        sb.Append("<th scope=\"col\">Map (s)</th><th scope=\"col\">Wall (s)</th><th scope=\"col\">Overhead (s)</th></tr></thead>\n<tbody>\n");
        for (int i = 0; i < it.Count; i++)
        {
            sb.Append("<tr><td>").Append(it.Iteration[i].ToString(CultureInfo.InvariantCulture)).Append("</td><td>").Append(H(Sci(it.Residual[i])))
              .Append("</td><td>").Append(H(Sci(it.AbsoluteResidual[i]))).Append("</td><td>").Append(H(Sci(it.StepSize[i])))
              .Append("</td><td class=\"text\">").Append(H(it.Method[i])).Append("</td>");
            foreach (var (_, seconds) in it.Components) sb.Append("<td>").Append(H(Fixed(seconds[i], 3))).Append("</td>");
            sb.Append("<td>").Append(H(Fixed(it.MapSeconds[i], 3))).Append("</td><td>").Append(H(Fixed(it.WallSeconds[i], 3)))
              .Append("</td><td>").Append(H(Fixed(it.OverheadSeconds[i], 4))).Append("</td></tr>\n");
        }
        sb.Append("</tbody>\n</table></div>\n</details>\n");

        // Paths by year, every column of paths.csv the report reads.
        sb.Append("<details id=\"paths-table\">\n<summary>Paths by year (").Append(Count(p.Year.Length, "year"))
          .Append(")</summary>\n<div class=\"scroll\"><table>\n<thead><tr><th scope=\"col\">year</th>");
        foreach (string col in p.Series.Keys) sb.Append("<th scope=\"col\">").Append(H(col)).Append("</th>");
        sb.Append("</tr></thead>\n<tbody>\n");
        for (int y = 0; y < p.Year.Length; y++)
        {
            sb.Append("<tr><td>").Append(p.Year[y].ToString(CultureInfo.InvariantCulture)).Append("</td>");
            foreach (var values in p.Series.Values) sb.Append("<td>").Append(H(Short(values[y]))).Append("</td>");
            sb.Append("</tr>\n");
        }
        sb.Append("</tbody>\n</table></div>\n</details>\n</section>\n");
        return sb.ToString();
    }

    internal static double Change(double baseline, double coupled) =>
        baseline != 0 && double.IsFinite(baseline) && double.IsFinite(coupled) ? coupled / baseline - 1 : double.NaN;

    private static double MeanChange(double[] baseline, double[] coupled)
    {
        var changes = baseline.Zip(coupled, Change).Where(double.IsFinite).ToList();
        return changes.Count > 0 ? changes.Average() : double.NaN;
    }

    // No red/green: whether a change is good depends on the variable (higher GDP, lower emissions).
    private static string ChangeCell(double fraction) => $"<td>{H(SignedPercent(fraction))}</td>";

    // The page's data: the columns the charts need, with non-finite numbers as null (JSON has no NaN).
    internal static string DataJson(RunFolder run, IReadOnlyList<ChartSpec> charts)
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteString("status", run.Run.Status);
            Number(w, "tolerance", run.Run.Tolerance);

            var it = run.Iterations;
            w.WriteStartObject("iterations");
            w.WriteStartArray("iteration");
            foreach (int i in it.Iteration) w.WriteNumberValue(i);
            w.WriteEndArray();
            Numbers(w, "residual", it.Residual);
            Numbers(w, "absolute_residual", it.AbsoluteResidual);
            Numbers(w, "step_size", it.StepSize);
            w.WriteStartArray("method");
            foreach (string m in it.Method) w.WriteStringValue(m);
            w.WriteEndArray();
            w.WriteStartArray("components");
            foreach (var (name, seconds) in it.Components)
            {
                w.WriteStartObject();
                w.WriteString("name", name);
                Numbers(w, "seconds", seconds);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            Numbers(w, "map_seconds", it.MapSeconds);
            Numbers(w, "wall_seconds", it.WallSeconds);
            Numbers(w, "overhead_seconds", it.OverheadSeconds);
            w.WriteEndObject();

            w.WriteStartObject("paths");
            w.WriteStartArray("year");
            foreach (int y in run.Paths.Year) w.WriteNumberValue(y);
            w.WriteEndArray();
            foreach (var (name, values) in run.Paths.Series) Numbers(w, name, values);
            w.WriteEndObject();

            w.WriteStartArray("charts");
            foreach (var c in charts)
            {
                w.WriteStartObject();
                w.WriteString("id", c.Id);
                w.WriteString("kind", c.Kind);
                w.WriteString("title", c.Title);
                w.WriteString("yLabel", c.YLabel);
                w.WriteString("unit", c.Unit);
                w.WriteNumber("scale", c.Scale);
                w.WriteNumber("decimals", c.Decimals);
                w.WriteString("color", c.Color);
                w.WriteStartArray("colors");
                foreach (string col in c.Colors) w.WriteStringValue(col);
                w.WriteEndArray();
                w.WriteStartArray("series");
                foreach (var s in c.Series)
                {
                    w.WriteStartObject();
                    w.WriteString("label", s.Label);
                    w.WriteString("column", s.Column);
                    w.WriteString("role", s.Role);
                    w.WriteEndObject();
                }
                w.WriteEndArray();
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteEndObject();
        }
        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    private static void Number(Utf8JsonWriter w, string name, double v)
    {
        if (double.IsFinite(v)) w.WriteNumber(name, v);
        else w.WriteNull(name);
    }

    private static void Numbers(Utf8JsonWriter w, string name, double[] values)
    {
        w.WriteStartArray(name);
        foreach (double v in values)
        {
            if (double.IsFinite(v)) w.WriteNumberValue(v);
            else w.WriteNullValue();
        }
        w.WriteEndArray();
    }
}
