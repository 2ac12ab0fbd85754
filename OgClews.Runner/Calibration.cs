using System.Text.Json;
using System.Text.Json.Serialization;

namespace OgClews.Runner;

/// <summary>
/// The baseline a coupled run is measured against: the macro model's paths without energy feedback on
/// the energy model's years, and the constants of the coupling. Saved as <c>calibration.json</c> in the
/// run folder so a resumed run uses exactly the same numbers.
/// </summary>
public sealed record Calibration
{
    /// <summary>The energy model's years (consecutive).</summary>
    public required int[] Years { get; init; }

    /// <summary>Baseline GDP index per year (first year = 1): the reference path of the energy data's demand.</summary>
    public required double[] GdpRef { get; init; }

    /// <summary>Baseline annual interest rate per year.</summary>
    public required double[] InterestRate { get; init; }

    /// <summary>The energy data's discount rate.</summary>
    public double DataDiscountRate { get; init; }

    /// <summary>Added to the mean interest rate to give the energy model's discount rate (baseline: the data's rate).</summary>
    public double DiscountRatePremium { get; init; }

    /// <summary>The macro model's energy share η.</summary>
    public double Eta { get; init; }

    /// <summary>The macro model's energy price parameter (the path is this times the price index).</summary>
    public double PriceLevel { get; init; } = 1;

    /// <summary>The macro model's adult periods S.</summary>
    public required int S { get; init; }

    /// <summary>The macro model's transition length T in periods.</summary>
    public required int T { get; init; }

    /// <summary>Years per macro period (80 / S).</summary>
    [JsonIgnore]
    public double YearsPerPeriod => 80.0 / S;

    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    /// <summary>Writes the calibration (round-trip doubles), atomically.</summary>
    public void Write(string path)
    {
        // Atomic: a run killed while writing must not leave a truncated file that a resume reads.
        string tmp = path + ".tmp";
        File.WriteAllText(tmp, JsonSerializer.Serialize(this, Json));
        File.Move(tmp, path, overwrite: true);
    }

    /// <summary>Reads a calibration written by <see cref="Write"/>.</summary>
    /// <exception cref="InvalidDataException">The file is not a calibration.</exception>
    public static Calibration Read(string path)
    {
        try
        {
            return JsonSerializer.Deserialize<Calibration>(File.ReadAllText(path), Json) ?? throw new InvalidDataException($"{path}: empty calibration");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path}: not a calibration file ({e.Message})", e);
        }
    }
}
