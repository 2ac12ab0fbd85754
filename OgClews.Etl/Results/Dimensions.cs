namespace OgClews.Etl.Results;

/// <summary>
/// The index dimensions of OSeMOSYS results under their otoole names, and the MUIO short names
/// that map onto them. Tables are always held under the otoole names.
/// </summary>
public static class Dimensions
{
    /// <summary>Region.</summary>
    public const string Region = "REGION";
    /// <summary>Technology.</summary>
    public const string Technology = "TECHNOLOGY";
    /// <summary>Fuel (commodity).</summary>
    public const string Fuel = "FUEL";
    /// <summary>Emission species.</summary>
    public const string Emission = "EMISSION";
    /// <summary>Time slice.</summary>
    public const string Timeslice = "TIMESLICE";
    /// <summary>Mode of operation.</summary>
    public const string Mode = "MODE_OF_OPERATION";
    /// <summary>Year.</summary>
    public const string Year = "YEAR";

    /// <summary>
    /// MUIO short index names (MUIO's <c>VARIABLES_C</c>) and their otoole equivalents:
    /// r, rr, t, f, e, l, m, y, s, ls, ld, lh, cn.
    /// </summary>
    public static IReadOnlyDictionary<string, string> MuioNames { get; } = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["r"] = Region,
        ["rr"] = "_REGION",
        ["t"] = Technology,
        ["f"] = Fuel,
        ["e"] = Emission,
        ["l"] = Timeslice,
        ["m"] = Mode,
        ["y"] = Year,
        ["s"] = "STORAGE",
        ["ls"] = "SEASON",
        ["ld"] = "DAYTYPE",
        ["lh"] = "DAILYTIMEBRACKET",
        ["cn"] = "UDC",
    };

    /// <summary>Dimensions whose values are numbers (a numeric table column holding them is an index column).</summary>
    internal static bool IsNumericDimension(string canonical) => canonical is Year or Mode;

    /// <summary>The otoole name for a column name in either layout (the name itself when unknown).</summary>
    internal static string Canonical(string column)
    {
        if (MuioNames.TryGetValue(column, out var c)) return c;
        string upper = column.ToUpperInvariant();
        return upper is Region or Technology or Fuel or Emission or Timeslice or Mode or Year ? upper : column;
    }

    /// <summary>True for an otoole-style index column name: upper-case letters, digits and underscores.</summary>
    internal static bool IsUpperIdentifier(string s) =>
        s.Length > 0 && s.All(ch => ch is (>= 'A' and <= 'Z') or (>= '0' and <= '9') or '_') && !char.IsDigit(s[0]);
}
