using System.Globalization;

namespace OgClews.Server.Runs;

/// <summary>
/// The macro-model parameters a run request may override: the scalar ones of <c>ogmacro</c>
/// (OG-Core names). The vector-valued ones and <c>carbon_revenue</c> (which the coupling sets every
/// iteration) are left out, so a request cannot break the coupling's own inputs. The model itself
/// checks the values' ranges when the run starts.
/// </summary>
internal static class MacroParameters
{
    /// <summary>Integer-valued parameters, with the range the service accepts.</summary>
    private static readonly Dictionary<string, (long Min, long Max)> Integers = new(StringComparer.Ordinal)
    {
        // More than 80 periods is finer than a year: allowed by the model, but far slower and never needed here.
        ["S"] = (3, 80),
        ["T"] = (3, 1000),
        ["maxiter"] = (1, 100_000),
    };

    private static readonly HashSet<string> Reals = new(StringComparer.Ordinal)
    {
        "g_n", "beta_annual", "sigma", "frisch", "ltilde", "chi_n", "Z", "gamma", "eta", "epsilon",
        "delta_annual", "g_y_annual", "p_E", "alpha_G", "alpha_T", "tau_c", "nu", "mindist_SS", "mindist_TPI",
    };

    /// <summary>Every accepted name.</summary>
    public static IEnumerable<string> Names => Integers.Keys.Concat(Reals).Order(StringComparer.Ordinal);

    /// <summary>Why (<paramref name="name"/>, <paramref name="value"/>) is refused, or null when it is fine.</summary>
    public static string? Check(string name, double value)
    {
        if (Integers.TryGetValue(name, out var range))
        {
            if (value != Math.Floor(value) || value < range.Min || value > range.Max)
                return F($"must be an integer from {range.Min} to {range.Max}, got {value}");
            return null;
        }
        if (!Reals.Contains(name)) return $"unknown macro parameter; known are {string.Join(", ", Names)}";
        return double.IsFinite(value) ? null : "must be a finite number";
    }

    /// <summary>The value as the Python model wants it: integers as integers (it refuses 40.0 for S).</summary>
    public static object ToWire(string name, double value) => Integers.ContainsKey(name) ? (object)(long)value : value;

    private static string F(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
}
