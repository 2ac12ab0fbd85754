using System.Text.RegularExpressions;

namespace OgClews.Reporting.Html;

// The page's template, style and scripts, embedded in the assembly at build time (Chart.js from
// web/node_modules, see the csproj), so writing a report needs neither npm nor the network.
internal static partial class Assets
{
    private static readonly Lazy<string> LazyChartJs = new(() => Read("chart.umd.js"));

    public static string Template => Read("report.template.html");
    public static string Css => Read("report.css");
    public static string Script => Read("report.js");
    public static string ChartJs => LazyChartJs.Value;

    // From the library's licence banner ("Chart.js v4.6.1"), for the page's generator tag.
    public static string ChartJsVersion
    {
        get
        {
            var m = VersionPattern().Match(ChartJs, 0, Math.Min(ChartJs.Length, 400));
            return m.Success ? m.Groups[1].Value : "unknown";
        }
    }

    private static string Read(string name)
    {
        var assembly = typeof(Assets).Assembly;
        using var stream = assembly.GetManifestResourceStream("OgClews.Reporting." + name)
            ?? throw new InvalidOperationException($"OgClews.Reporting was built without its embedded resource '{name}'");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }

    [GeneratedRegex(@"Chart\.js v(\d+\.\d+\.\d+)")]
    private static partial Regex VersionPattern();
}
