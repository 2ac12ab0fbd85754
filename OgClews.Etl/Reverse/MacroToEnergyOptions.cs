namespace OgClews.Etl.Reverse;

/// <summary>Settings of the reverse pass (<see cref="MacroToEnergy"/>).</summary>
public sealed record MacroToEnergyOptions
{
    /// <summary>Default income elasticities of the demo's final-demand fuels: ELC 0.8, IHT 0.6, TRA 0.7.</summary>
    public static IReadOnlyDictionary<string, double> DefaultElasticities { get; } =
        new Dictionary<string, double>(StringComparer.Ordinal) { ["ELC"] = 0.8, ["IHT"] = 0.6, ["TRA"] = 0.7 };

    /// <summary>Income elasticity of demand per fuel (demand sector). Default <see cref="DefaultElasticities"/>.</summary>
    public IReadOnlyDictionary<string, double> Elasticities { get; init; } = DefaultElasticities;

    /// <summary>Elasticity of demand fuels missing from <see cref="Elasticities"/>; null (default) makes such a fuel an error.</summary>
    public double? DefaultElasticity { get; init; }

    /// <summary>What is scaled. Default <see cref="DemandBasis.BaseYear"/>.</summary>
    public DemandBasis Basis { get; init; } = DemandBasis.BaseYear;

    /// <summary>The driving macro path. Default <see cref="DemandDriver.Gdp"/>.</summary>
    public DemandDriver Driver { get; init; } = DemandDriver.Gdp;

    /// <summary>
    /// True (default): when the paths have an interest rate, set the model's <c>DiscountRate</c> to its
    /// mean over the model years plus <see cref="DiscountRatePremium"/>.
    /// </summary>
    public bool SetDiscountRate { get; init; } = true;

    /// <summary>Added to the mean interest rate (e.g. a risk premium), 1/yr. Default 0.</summary>
    public double DiscountRatePremium { get; init; }

    /// <summary>The demand-balance constraint family whose rows are updated. Default <c>EnergyBalance</c>.</summary>
    public string ConstraintName { get; init; } = "EnergyBalance";
}
