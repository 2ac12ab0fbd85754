using System.Globalization;
using System.Net;
using System.Text;

namespace Mesh.Benchmarks;

/// <summary>
/// The results as one SVG (no library, nothing fetched): small-call latency per case, latency
/// against payload size, and kernel start-to-ready. Drawn from the same rows as the CSV.
/// </summary>
internal static class Chart
{
    const int Width = 1000, Left = 330, Right = 70;
    static readonly string[] Palette =
        ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#8c564b", "#e377c2", "#17becf", "#bcbd22", "#ff7f0e", "#000000", "#e6ab02", "#393b79", "#7f7f7f"];

    static string F(double v) => v.ToString("0.#", CultureInfo.InvariantCulture);
    static string Esc(string s) => WebUtility.HtmlEncode(s);

    static string Color(string name)
    {
        // "head-to-head: Mesh …" is Mesh; "head-to-head: ASP.NET …" a peer.
        if (name.StartsWith("head-to-head: ", StringComparison.Ordinal)) name = name["head-to-head: ".Length..];
        return name.StartsWith("libzmq", StringComparison.Ordinal) ? "#7f7f7f"
            : name.StartsWith("Mesh", StringComparison.Ordinal) ? "#1f77b4" : "#ff7f0e";
    }

    public static string Svg(IReadOnlyList<Row> rows, string title)
    {
        var body = new StringBuilder();
        int y = 40;
        body.Append($"""<text x="{Width / 2}" y="24" text-anchor="middle" font-size="16" font-weight="bold">{Esc(title)}</text>""").Append('\n');

        var small = rows.Where(r => r.Section == Section.Call && r.Payload <= 1).OrderBy(r => r.P50Us).ToList();
        if (small.Count > 0) y = Bars(body, y, "Small calls: p50 (bar) and p99 (tick), log scale — grey: libzmq floor, blue: Mesh, orange: other toolkits", small, log: true);

        var curves = rows.Where(r => r.Section == Section.Call && r.Payload > 0).GroupBy(r => r.Case)
            .Where(g => g.Count() >= 3).ToList();
        if (curves.Count > 0) y = Lines(body, y + 20, curves);

        var starts = rows.Where(r => r.Section == Section.Startup).OrderBy(r => r.P50Us).ToList();
        if (starts.Count > 0) y = Bars(body, y + 20, "Kernel start-to-ready: median (bar) and slowest start (tick), linear scale", starts, log: false);

        return $"""
<svg xmlns="http://www.w3.org/2000/svg" width="{Width}" height="{y + 20}" viewBox="0 0 {Width} {y + 20}" font-family="sans-serif" font-size="12">
<rect width="100%" height="100%" fill="white"/>
{body}</svg>
""";
    }

    /// <summary>Horizontal bars (p50) with a tick at p99.</summary>
    static int Bars(StringBuilder sb, int y, string heading, List<Row> rows, bool log)
    {
        sb.Append($"""<text x="10" y="{y}" font-weight="bold">{Esc(heading)}</text>""").Append('\n');
        y += 14;
        int plotW = Width - Left - Right, barH = 14, gap = 5;
        double lo = log ? Math.Pow(10, Math.Floor(Math.Log10(rows.Min(r => r.P50Us)))) : 0;
        double hi = log ? Math.Pow(10, Math.Ceiling(Math.Log10(rows.Max(r => r.P99Us)))) : rows.Max(r => r.P99Us) * 1.05;
        double X(double v) => Left + plotW * (log ? (Math.Log10(v) - Math.Log10(lo)) / (Math.Log10(hi) - Math.Log10(lo)) : v / hi);
        int top = y, bottom = y + rows.Count * (barH + gap);
        foreach (var t in Ticks(lo, hi, log))
        {
            sb.Append($"""<line x1="{F(X(t))}" y1="{top}" x2="{F(X(t))}" y2="{bottom}" stroke="#ddd"/>""");
            sb.Append($"""<text x="{F(X(t))}" y="{bottom + 13}" text-anchor="middle" fill="#555">{(t == 0 ? "0" : Esc(Report.Time(t)))}</text>""").Append('\n');
        }
        foreach (var r in rows)
        {
            string label = r.Payload > 0 ? $"{r.Case} ({Report.Size(r.Payload)})" : r.Case;
            sb.Append($"""<text x="{Left - 6}" y="{y + barH - 3}" text-anchor="end">{Esc(label)}</text>""");
            sb.Append($"""<rect x="{Left}" y="{y}" width="{F(Math.Max(1, X(r.P50Us) - Left))}" height="{barH}" fill="{Color(r.Case)}"/>""");
            sb.Append($"""<line x1="{F(X(r.P99Us))}" y1="{y}" x2="{F(X(r.P99Us))}" y2="{y + barH}" stroke="black" stroke-width="2"/>""");
            // The value goes right of the p99 tick, so the two never overlap.
            sb.Append($"""<text x="{F(Math.Max(X(r.P50Us), X(r.P99Us)) + 5)}" y="{y + barH - 3}" font-size="10" fill="#222">{Esc(Report.Time(r.P50Us))}</text>""").Append('\n');
            y += barH + gap;
        }
        return bottom + 24;
    }

    /// <summary>p50 against payload size, log-log, one line per case.</summary>
    static int Lines(StringBuilder sb, int y, List<IGrouping<string, Row>> curves)
    {
        sb.Append($"""<text x="10" y="{y}" font-weight="bold">p50 round trip against payload size (float64 array echoed both ways), log-log</text>""").Append('\n');
        y += 10;
        int plotL = 80, plotW = 560, plotH = 340, top = y, bottom = y + plotH;
        var all = curves.SelectMany(g => g).ToList();
        double lo = Math.Pow(10, Math.Floor(Math.Log10(all.Min(r => r.P50Us))));
        double hi = Math.Pow(10, Math.Ceiling(Math.Log10(all.Max(r => r.P50Us))));
        var sizes = all.Select(r => r.Payload).Distinct().Order().ToList();
        double X(long s) => plotL + plotW * (Math.Log2(s) - Math.Log2(sizes[0])) / Math.Max(1, Math.Log2(sizes[^1]) - Math.Log2(sizes[0]));
        double Y(double v) => bottom - plotH * (Math.Log10(v) - Math.Log10(lo)) / (Math.Log10(hi) - Math.Log10(lo));
        foreach (var t in Ticks(lo, hi, log: true))
        {
            sb.Append($"""<line x1="{plotL}" y1="{F(Y(t))}" x2="{plotL + plotW}" y2="{F(Y(t))}" stroke="#ddd"/>""");
            sb.Append($"""<text x="{plotL - 6}" y="{F(Y(t) + 4)}" text-anchor="end" fill="#555">{Esc(Report.Time(t))}</text>""").Append('\n');
        }
        foreach (var s in sizes)
            sb.Append($"""<text x="{F(X(s))}" y="{bottom + 14}" text-anchor="middle" fill="#555">{Esc(Report.Size(s))}</text>""").Append('\n');
        sb.Append($"""<rect x="{plotL}" y="{top}" width="{plotW}" height="{plotH}" fill="none" stroke="#999"/>""").Append('\n');
        int i = 0, ly = top + 6;
        foreach (var g in curves.OrderBy(g => g.Min(r => r.P50Us)))
        {
            string color = Palette[i++ % Palette.Length];
            string dash = g.Key.StartsWith("Mesh", StringComparison.Ordinal) ? "" : g.Key.StartsWith("libzmq", StringComparison.Ordinal) ? "" : " stroke-dasharray=\"6 3\"";
            int width = g.Key.StartsWith("libzmq", StringComparison.Ordinal) ? 3 : 2;
            var pts = string.Join(' ', g.OrderBy(r => r.Payload).Select(r => $"{F(X(r.Payload))},{F(Y(r.P50Us))}"));
            sb.Append($"""<polyline points="{pts}" fill="none" stroke="{color}" stroke-width="{width}"{dash}/>""");
            foreach (var r in g) sb.Append($"""<circle cx="{F(X(r.Payload))}" cy="{F(Y(r.P50Us))}" r="2.5" fill="{color}"/>""");
            sb.Append($"""<line x1="{plotL + plotW + 20}" y1="{ly}" x2="{plotL + plotW + 44}" y2="{ly}" stroke="{color}" stroke-width="{width}"{dash}/>""");
            sb.Append($"""<text x="{plotL + plotW + 50}" y="{ly + 4}">{Esc(g.Key)}</text>""").Append('\n');
            ly += 18;
        }
        return Math.Max(bottom + 34, ly + 10);
    }

    static IEnumerable<double> Ticks(double lo, double hi, bool log)
    {
        if (log)
        {
            for (double t = lo; t <= hi * 1.0001; t *= 10) yield return t;
            yield break;
        }
        double step = Math.Pow(10, Math.Floor(Math.Log10(hi / 2)));
        if (hi / step > 8) step *= 2;
        for (double t = 0; t <= hi; t += step) yield return t;
    }
}
