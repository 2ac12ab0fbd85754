using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using Mesh.Values;

namespace OgClews.Runner;

/// <summary>
/// What one evaluation of the map produced, per energy-model year: its inputs (the x paths), the
/// energy model's outputs as the ETL summarised them, and the macro model's outputs (G(x)).
/// Written to <c>details/iter-NNNN.json</c>.
/// </summary>
public sealed class Evaluation
{
    /// <summary>The iteration.</summary>
    public required int Iteration { get; init; }
    /// <summary>The energy model's years.</summary>
    public required int[] Years { get; init; }
    /// <summary>Input GDP index.</summary>
    public required double[] Gdp { get; init; }
    /// <summary>Input annual interest rate.</summary>
    public required double[] InterestRate { get; init; }
    /// <summary>The energy model's discount rate used.</summary>
    public required double DiscountRate { get; init; }
    /// <summary>The LP objective (M$, discounted).</summary>
    public required double Objective { get; init; }
    /// <summary>Final energy demand (PJ).</summary>
    public required double[] FinalEnergy { get; init; }
    /// <summary>Energy system cost (M$).</summary>
    public required double[] EnergySystemCost { get; init; }
    /// <summary>Carbon payments (M$).</summary>
    public required double[] CarbonPayments { get; init; }
    /// <summary>Unit energy cost index without carbon payments (first year = 1).</summary>
    public required double[] EnergyCostIndex { get; init; }
    /// <summary>The price index sent to the macro model: unit cost with carbon payments, first year = 1.</summary>
    public required double[] EnergyPriceIndex { get; init; }
    /// <summary>CO2 emissions (Mt).</summary>
    public required double[] Emissions { get; init; }
    /// <summary>Recycled carbon revenue as a share of output.</summary>
    public required double[] CarbonRevenueShare { get; init; }
    /// <summary>Energy-sector investment (M$).</summary>
    public required double[] Investment { get; init; }
    /// <summary>Output GDP index (part of G(x)).</summary>
    public required double[] GdpOut { get; init; }
    /// <summary>Output annual interest rate (part of G(x)).</summary>
    public required double[] InterestRateOut { get; init; }
    /// <summary>Kernel compute seconds per component.</summary>
    public required Dictionary<string, double> KernelSeconds { get; init; }
    /// <summary>Per step: [wall seconds seen by the orchestrator, kernel compute seconds].</summary>
    public Dictionary<string, double[]> StepSeconds { get; init; } = new();

    /// <summary>The energy model's result tables (not saved in the JSON).</summary>
    [JsonIgnore]
    public IReadOnlyDictionary<string, Table> EnergyTables { get; init; } = new Dictionary<string, Table>();

    /// <summary>The ETL's yearly macro-input table (not saved in the JSON).</summary>
    [JsonIgnore]
    public Table? MacroInputs { get; init; }

    private static readonly JsonSerializerOptions Json = new() { WriteIndented = false, PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    /// <summary>The details file name of an iteration.</summary>
    public static string FileName(int iteration) => string.Create(CultureInfo.InvariantCulture, $"iter-{iteration:D4}.json");

    /// <summary>Writes the yearly data as JSON (atomically: a reader never sees half a file).</summary>
    public void WriteJson(string path)
    {
        string tmp = path + ".tmp";
        File.WriteAllText(tmp, JsonSerializer.Serialize(this, Json));
        File.Move(tmp, path, overwrite: true);
    }

    /// <summary>Reads a details file.</summary>
    /// <exception cref="InvalidDataException">The file is not a details file.</exception>
    public static Evaluation ReadJson(string path)
    {
        try
        {
            return JsonSerializer.Deserialize<Evaluation>(File.ReadAllText(path), Json) ?? throw new InvalidDataException($"{path}: empty");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path}: not an iteration details file ({e.Message})", e);
        }
    }
}
