namespace OgClews.Etl.Forward;

/// <summary>Settings of the forward pass (<see cref="EnergyToMacro"/>). Every setting has a documented default.</summary>
public sealed record EnergyToMacroOptions
{
    /// <summary>
    /// Discount rate (1/yr) of the capital recovery factor that annualises investment. Null (default):
    /// the model data's <c>DiscountRate[r]</c> when data is given, else 0.05 (the model's default).
    /// </summary>
    public double? CapitalDiscountRate { get; init; }

    /// <summary>
    /// Operational life (years) per technology for the annuity; overrides the model data's
    /// <c>OperationalLife</c>. Null (default): use the data.
    /// </summary>
    public IReadOnlyDictionary<string, double>? OperationalLife { get; init; }

    /// <summary>Life (years) of technologies that neither <see cref="OperationalLife"/> nor model data cover. Default 25.</summary>
    public double DefaultOperationalLife { get; init; } = 25;

    /// <summary>
    /// Charge capital on residual (pre-horizon) capacity too: ResidualCapacity × CapitalCost × CRF
    /// (replacement-cost rental). Needs the model data. Null (default): on when data is given.
    /// Without it the base year carries almost no capital cost and the index drifts up as the
    /// existing stock is rebuilt (see README).
    /// </summary>
    public bool? ResidualCapitalCharge { get; init; }

    /// <summary>Source of the price signal. Default <see cref="PriceSource.Auto"/>.</summary>
    public PriceSource PriceSource { get; init; } = PriceSource.Auto;

    /// <summary>Name of the table of demand-balance duals. Default <c>EnergyBalance</c> (the LP row family).</summary>
    public string DualsTable { get; init; } = "EnergyBalance";

    /// <summary>
    /// True (default) when the duals are raw LP duals, i.e. discounted to the first year; they are
    /// multiplied by (1+DR)^(y−y0+0.5), as the model does for <c>CommodityMarginalCost</c>. MUIO's
    /// exported duals are already undiscounted: set false for them.
    /// </summary>
    public bool DualsAreDiscounted { get; init; } = true;

    /// <summary>
    /// The model's <c>DiscountRate</c> for undiscounting duals. Null (default): from the model data;
    /// without data, using discounted duals is an error.
    /// </summary>
    public double? ModelDiscountRate { get; init; }

    /// <summary>
    /// Base year of <c>energy_price_index</c>. Null (default): the first model year. The first year's
    /// duals often hold only operating costs (existing capacity is slack), so a later base year can
    /// be the more representative reference.
    /// </summary>
    public int? PriceIndexBaseYear { get; init; }

    /// <summary>Carbon price in $/t CO2 (= M$/Mt) for every year. Default 0.</summary>
    public double CarbonPrice { get; init; }

    /// <summary>Carbon price per year ($/t); when given it must cover every model year and replaces <see cref="CarbonPrice"/>.</summary>
    public IReadOnlyDictionary<int, double>? CarbonPriceByYear { get; init; }

    /// <summary>Emission species to count (e.g. <c>CO2</c>). Null (default): all species in <c>AnnualEmissions</c>.</summary>
    public IReadOnlyList<string>? EmissionSpecies { get; init; }

    /// <summary>
    /// The known technologies: a result row with another technology is an error. Null (default): the
    /// data's <c>TECHNOLOGY</c> set when data is given, else no check.
    /// </summary>
    public IReadOnlyCollection<string>? Technologies { get; init; }

    /// <summary>
    /// False (default): every key of a cost, emission or price table must have a row for every model
    /// year, as models/energy/model.mod writes them (a missing year is an error). True: missing rows
    /// are zeros, for solvers/exports that drop zero rows. <c>Demand</c> and <c>AnnualFuelImportCost</c>
    /// are always read as sparse (the model writes them only where they can be non-zero); a year
    /// without any final demand is an error either way.
    /// </summary>
    public bool AllowSparseYears { get; init; }

    /// <summary>Costs below −tolerance (M$) are errors; smaller negatives are LP round-off. Default 1e-6.</summary>
    public double NegativeTolerance { get; init; } = 1e-6;
}
