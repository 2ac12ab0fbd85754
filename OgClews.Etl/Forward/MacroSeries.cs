namespace OgClews.Etl.Forward;

/// <summary>Names (and units) of the series in <see cref="MacroInputs"/>.</summary>
public static class MacroSeries
{
    /// <summary>Energy cost index: unit energy cost relative to the first year (first year = 1).</summary>
    public const string EnergyCostIndex = "energy_cost_index";
    /// <summary>Unit energy cost: energy system cost per PJ of final demand, M$/PJ = $/GJ.</summary>
    public const string UnitEnergyCost = "unit_energy_cost";
    /// <summary>Annual energy system cost (undiscounted): capital charge + fixed + variable O&amp;M + fuel imports, M$.</summary>
    public const string EnergySystemCost = "energy_system_cost";
    /// <summary>Annuities of investment made inside the horizon, M$.</summary>
    public const string CapitalAnnuity = "capital_annuity";
    /// <summary>Capital charge on residual (pre-horizon) capacity, M$ (0 when off).</summary>
    public const string ResidualCapitalCharge = "residual_capital_charge";
    /// <summary>Fixed O&amp;M, M$.</summary>
    public const string FixedCost = "fixed_om_cost";
    /// <summary>Variable O&amp;M of non-import technologies, M$.</summary>
    public const string VariableCost = "variable_om_cost";
    /// <summary>Fuel import bill, M$.</summary>
    public const string FuelImportCost = "fuel_import_cost";
    /// <summary>Final energy delivered (sum of the Demand table), PJ.</summary>
    public const string FinalEnergy = "final_energy";
    /// <summary>Demand-weighted marginal cost of final energy, M$/PJ = $/GJ.</summary>
    public const string EnergyPrice = "energy_price";
    /// <summary>Energy price relative to the base year (the first year unless <see cref="EnergyToMacroOptions.PriceIndexBaseYear"/>); NaN when the base price is not positive.</summary>
    public const string EnergyPriceIndex = "energy_price_index";
    /// <summary>Emissions, Mt.</summary>
    public const string Emissions = "emissions";
    /// <summary>Carbon price used, $/t = M$/Mt.</summary>
    public const string CarbonPrice = "carbon_price";
    /// <summary>Carbon revenue = emissions × carbon price, M$.</summary>
    public const string CarbonRevenue = "carbon_revenue";
    /// <summary>Energy-sector investment (CapitalInvestment, lump sum in the year built, undiscounted), M$.</summary>
    public const string Investment = "investment";
}
