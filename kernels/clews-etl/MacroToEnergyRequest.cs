using Mesh.Values;
using OgClews.Etl.Reverse;

namespace OgClews.Etl.Kernel;

/// <summary>
/// Options of <c>macro_to_energy</c> as they arrive on the wire (snake_case names work); null keeps the
/// library default (see <see cref="MacroToEnergyOptions"/>). The base demand comes from
/// <see cref="DataFile"/> or from the two tables.
/// </summary>
internal sealed record MacroToEnergyRequest
{
    /// <summary>Path of the model's GMPL data file (SpecifiedAnnualDemand, SpecifiedDemandProfile and the sets).</summary>
    public string? DataFile { get; init; }
    /// <summary>SpecifiedAnnualDemand as a table (REGION, FUEL, YEAR, VALUE), instead of the data file.</summary>
    public Table? AnnualDemand { get; init; }
    /// <summary>SpecifiedDemandProfile as a table (REGION, FUEL, TIMESLICE, YEAR, VALUE), instead of the data file.</summary>
    public Table? DemandProfile { get; init; }
    /// <summary>See <see cref="MacroToEnergyOptions.Elasticities"/>.</summary>
    public Dictionary<string, double>? Elasticities { get; init; }
    /// <summary>See <see cref="MacroToEnergyOptions.DefaultElasticity"/>.</summary>
    public double? DefaultElasticity { get; init; }
    /// <summary><c>base_year</c> or <c>base_path</c>.</summary>
    public string? Basis { get; init; }
    /// <summary><c>gdp</c> or <c>energy_demand_index</c>.</summary>
    public string? Driver { get; init; }
    /// <summary>See <see cref="MacroToEnergyOptions.SetDiscountRate"/>.</summary>
    public bool? SetDiscountRate { get; init; }
    /// <summary>See <see cref="MacroToEnergyOptions.DiscountRatePremium"/>.</summary>
    public double? DiscountRatePremium { get; init; }
    /// <summary>See <see cref="MacroToEnergyOptions.ConstraintName"/>.</summary>
    public string? ConstraintName { get; init; }

    /// <summary>The library options: defaults overridden by every field that is set.</summary>
    public MacroToEnergyOptions ToOptions()
    {
        var o = new MacroToEnergyOptions();
        return o with
        {
            Elasticities = Elasticities ?? o.Elasticities,
            DefaultElasticity = DefaultElasticity ?? o.DefaultElasticity,
            Basis = Basis is null ? o.Basis : Endpoints.ParseEnum<DemandBasis>(Basis, "basis"),
            Driver = Driver is null ? o.Driver : Endpoints.ParseEnum<DemandDriver>(Driver, "driver"),
            SetDiscountRate = SetDiscountRate ?? o.SetDiscountRate,
            DiscountRatePremium = DiscountRatePremium ?? o.DiscountRatePremium,
            ConstraintName = ConstraintName ?? o.ConstraintName,
        };
    }
}
