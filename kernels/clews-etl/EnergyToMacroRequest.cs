using OgClews.Etl.Forward;

namespace OgClews.Etl.Kernel;

/// <summary>
/// Options of <c>energy_to_macro</c> as they arrive on the wire (snake_case names work); null keeps the
/// library default (see <see cref="EnergyToMacroOptions"/>).
/// </summary>
internal sealed record EnergyToMacroRequest
{
    /// <summary>Path of the model's GMPL data file: years, technologies, OperationalLife, DiscountRate, residual capital.</summary>
    public string? DataFile { get; init; }
    /// <summary>See <see cref="EnergyToMacroOptions.CapitalDiscountRate"/>.</summary>
    public double? CapitalDiscountRate { get; init; }
    /// <summary>See <see cref="EnergyToMacroOptions.OperationalLife"/>.</summary>
    public Dictionary<string, double>? OperationalLife { get; init; }
    /// <summary>See <see cref="EnergyToMacroOptions.DefaultOperationalLife"/>.</summary>
    public double? DefaultOperationalLife { get; init; }
    /// <summary>See <see cref="EnergyToMacroOptions.ResidualCapitalCharge"/>.</summary>
    public bool? ResidualCapitalCharge { get; init; }
    /// <summary><c>auto</c>, <c>marginal_cost</c>, <c>duals</c> or <c>none</c>.</summary>
    public string? PriceSource { get; init; }
    /// <summary>See <see cref="EnergyToMacroOptions.DualsTable"/>.</summary>
    public string? DualsTable { get; init; }
    /// <summary>See <see cref="EnergyToMacroOptions.DualsAreDiscounted"/>.</summary>
    public bool? DualsAreDiscounted { get; init; }
    /// <summary>See <see cref="EnergyToMacroOptions.ModelDiscountRate"/>.</summary>
    public double? ModelDiscountRate { get; init; }
    /// <summary>See <see cref="EnergyToMacroOptions.PriceIndexBaseYear"/>.</summary>
    public int? PriceIndexBaseYear { get; init; }
    /// <summary>See <see cref="EnergyToMacroOptions.CarbonPrice"/> ($/t).</summary>
    public double? CarbonPrice { get; init; }
    /// <summary>See <see cref="EnergyToMacroOptions.CarbonPriceByYear"/> ($/t by year).</summary>
    public Dictionary<int, double>? CarbonPriceByYear { get; init; }
    /// <summary>See <see cref="EnergyToMacroOptions.EmissionSpecies"/>.</summary>
    public string[]? EmissionSpecies { get; init; }
    /// <summary>See <see cref="EnergyToMacroOptions.Technologies"/>.</summary>
    public string[]? Technologies { get; init; }
    /// <summary>See <see cref="EnergyToMacroOptions.AllowSparseYears"/>.</summary>
    public bool? AllowSparseYears { get; init; }

    /// <summary>The library options: defaults overridden by every field that is set.</summary>
    public EnergyToMacroOptions ToOptions()
    {
        var o = new EnergyToMacroOptions();
        return o with
        {
            CapitalDiscountRate = CapitalDiscountRate ?? o.CapitalDiscountRate,
            OperationalLife = OperationalLife ?? o.OperationalLife,
            DefaultOperationalLife = DefaultOperationalLife ?? o.DefaultOperationalLife,
            ResidualCapitalCharge = ResidualCapitalCharge ?? o.ResidualCapitalCharge,
            PriceSource = PriceSource is null ? o.PriceSource : Endpoints.ParseEnum<PriceSource>(PriceSource, "price_source"),
            DualsTable = DualsTable ?? o.DualsTable,
            DualsAreDiscounted = DualsAreDiscounted ?? o.DualsAreDiscounted,
            ModelDiscountRate = ModelDiscountRate ?? o.ModelDiscountRate,
            PriceIndexBaseYear = PriceIndexBaseYear ?? o.PriceIndexBaseYear,
            CarbonPrice = CarbonPrice ?? o.CarbonPrice,
            CarbonPriceByYear = CarbonPriceByYear ?? o.CarbonPriceByYear,
            EmissionSpecies = EmissionSpecies ?? o.EmissionSpecies,
            Technologies = Technologies ?? o.Technologies,
            AllowSparseYears = AllowSparseYears ?? o.AllowSparseYears,
        };
    }
}
