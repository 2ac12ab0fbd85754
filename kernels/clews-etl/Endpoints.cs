using Mesh.Values;
using OgClews.Etl.Forward;
using OgClews.Etl.Gmpl;
using OgClews.Etl.Results;
using OgClews.Etl.Reverse;

namespace OgClews.Etl.Kernel;

/// <summary>
/// The kernel's endpoints: argument handling only. Parameter names are the wire names. Bad input
/// raises <see cref="EtlException"/>, whose message names the file, row and column.
/// </summary>
internal static class Endpoints
{
    /// <summary><c>energy_to_macro</c>: results as a map of tables or a folder, plus options; returns the yearly macro inputs.</summary>
    public static Table EnergyToMacro(Dictionary<string, Table>? tables = null, string? results_path = null, EnergyToMacroRequest? options = null)
    {
        if ((tables is null) == (results_path is null))
            throw new ArgumentException("give either tables (a map of result tables) or results_path (a folder of CSV files)");
        var results = tables is not null ? ResultsReader.FromTables(tables) : ResultsReader.ReadFolder(results_path!);
        var request = options ?? new EnergyToMacroRequest();
        GmplData? data = request.DataFile is null ? null : GmplDataReader.Read(request.DataFile);
        return OgClews.Etl.Forward.EnergyToMacro.Run(results, request.ToOptions(), data).ToTable();
    }

    /// <summary><c>macro_to_energy</c>: macro paths plus options; returns the row updates and the data files.</summary>
    public static Dictionary<string, object?> MacroToEnergy(Table paths, MacroToEnergyRequest? options = null)
    {
        var request = options ?? new MacroToEnergyRequest();
        string? baseText = null;
        DemandData demand;
        if (request.DataFile is not null)
        {
            if (request.AnnualDemand is not null || request.DemandProfile is not null)
                throw new ArgumentException("give either data_file or annual_demand and demand_profile, not both");
            baseText = ReadText(request.DataFile);
            demand = DemandData.FromGmpl(GmplDataReader.Parse(baseText, request.DataFile));
        }
        else if (request.AnnualDemand is not null && request.DemandProfile is not null)
            demand = DemandData.FromTables(request.AnnualDemand, request.DemandProfile);
        else
            throw new ArgumentException("the base demand is needed: give data_file, or annual_demand and demand_profile");

        var result = OgClews.Etl.Reverse.MacroToEnergy.Run(MacroPaths.FromTable(paths), demand, request.ToOptions());
        return new Dictionary<string, object?>
        {
            ["row_updates"] = result.RowUpdatesTable(),
            ["data_file"] = result.DataFile,
            ["base_data_file"] = baseText is null ? null : GmplDataReader.RemoveParameters(baseText, request.DataFile!, result.ReplacedParameters),
            ["annual_demand"] = result.AnnualDemandTable(),
            ["discount_rate"] = result.DiscountRate,
            ["replaced_parameters"] = result.ReplacedParameters.ToArray(),
        };
    }

    /// <summary><c>read_results</c>: every CSV of a folder as a table under otoole column names, with the layout detected per file.</summary>
    public static Dictionary<string, object?> ReadResults(string folder)
    {
        var set = ResultsReader.ReadFolder(folder);
        return new Dictionary<string, object?>
        {
            ["layout"] = set.Layout is ResultLayout l ? LayoutName(l) : "mixed",
            ["layouts"] = set.Tables.ToDictionary(kv => kv.Key, kv => LayoutName(kv.Value.Layout)),
            ["tables"] = set.Tables.ToDictionary(kv => kv.Key, kv => kv.Value.ToTable()),
        };
    }

    /// <summary>Parses <c>marginal_cost</c>, <c>MarginalCost</c>, <c>marginalcost</c>… into an enum value.</summary>
    public static T ParseEnum<T>(string text, string option) where T : struct, Enum =>
        Enum.TryParse<T>(text.Replace("_", "", StringComparison.Ordinal), ignoreCase: true, out var v) && Enum.IsDefined(v)
            ? v
            : throw new ArgumentException($"option {option}: '{text}' is not one of {string.Join(", ", Enum.GetNames<T>().Select(Snake))}");

    private static string LayoutName(ResultLayout layout) => layout.ToString().ToLowerInvariant();

    private static string Snake(string pascal) =>
        string.Concat(pascal.Select((c, i) => i > 0 && char.IsUpper(c) ? "_" + char.ToLowerInvariant(c) : char.ToLowerInvariant(c).ToString()));

    private static string ReadText(string path)
    {
        try { return File.ReadAllText(path); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new EtlException(path, null, null, $"cannot read the data file: {e.Message}", e);
        }
    }
}
