using System.Globalization;
using System.Net;

namespace OgClews.Reporting.Html;

// Number and text formatting for the page: invariant culture throughout, so a report reads the
// same wherever it was written.
internal static class Format
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    public static string H(string? text) => WebUtility.HtmlEncode(text ?? "");

    public static string Sci(double v) => double.IsFinite(v) ? v.ToString("0.00e+0", Inv) : NonFinite(v);

    public static string Fixed(double v, int decimals) =>
        double.IsFinite(v) ? v.ToString("N" + decimals.ToString(Inv), Inv) : NonFinite(v);

    public static string Percent(double fraction, int decimals = 2) =>
        double.IsFinite(fraction) ? (fraction * 100).ToString("F" + decimals.ToString(Inv), Inv) + "%" : "–";

    public static string SignedPercent(double fraction, int decimals = 2) =>
        double.IsFinite(fraction) ? (fraction >= 0 ? "+" : "−") + Math.Abs(fraction * 100).ToString("F" + decimals.ToString(Inv), Inv) + "%" : "–";

    // Seconds for people: "0.84 s", "12.3 s", "4 min 05 s", "2 h 03 min".
    public static string Duration(double seconds)
    {
        if (!double.IsFinite(seconds) || seconds < 0) return "–";
        if (seconds < 10) return seconds.ToString("0.00", Inv) + " s";
        if (seconds < 60) return seconds.ToString("0.0", Inv) + " s";
        var t = TimeSpan.FromSeconds(Math.Round(seconds));
        return t.TotalHours >= 1
            ? $"{(int)t.TotalHours} h {t.Minutes:00} min"
            : $"{t.Minutes} min {t.Seconds:00} s";
    }

    public static string Time(DateTimeOffset t) => t.ToUniversalTime().ToString("yyyy-MM-dd HH:mm:ss 'UTC'", Inv);

    // Six significant digits for the data tables: enough to compare runs, short enough to scan; the
    // CSVs beside the report keep full precision.
    public static string Short(double v) => double.IsFinite(v) ? v.ToString("G6", Inv) : NonFinite(v);

    private static string NonFinite(double v) => double.IsNaN(v) ? "–" : v > 0 ? "∞" : "−∞";
}
