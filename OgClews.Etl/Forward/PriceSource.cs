namespace OgClews.Etl.Forward;

/// <summary>Where <see cref="EnergyToMacro"/> takes the energy price signal from.</summary>
public enum PriceSource
{
    /// <summary><c>CommodityMarginalCost</c> when the results have it, else the duals table, else an error.</summary>
    Auto,

    /// <summary>The model's <c>CommodityMarginalCost</c> table (EnergyBalance duals, already undiscounted; $/GJ).</summary>
    MarginalCost,

    /// <summary>
    /// The duals of the demand balance (<see cref="EnergyToMacroOptions.DualsTable"/>, e.g. the GLPK
    /// kernel's <c>EnergyBalance</c> row table with a <c>dual</c> column), undiscounted with the
    /// model's mid-year factor when <see cref="EnergyToMacroOptions.DualsAreDiscounted"/>.
    /// </summary>
    Duals,

    /// <summary>No price signal: the price series are left out.</summary>
    None,
}
