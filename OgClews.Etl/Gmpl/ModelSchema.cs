namespace OgClews.Etl.Gmpl;

/// <summary>
/// The parameters of models/energy/model.mod: dimension and model default. The data-section
/// reader needs the dimension for the plain list form (<c>param X := a b 1 …</c>), where data alone
/// cannot tell it; defaults apply to entries a data file leaves out.
/// </summary>
internal static class ModelSchema
{
    public static IReadOnlyDictionary<string, (int Dimension, double? Default)> Parameters { get; } =
        new Dictionary<string, (int, double?)>(StringComparer.Ordinal)
        {
            ["YearSplit"] = (2, null),
            ["DiscountRate"] = (1, 0.05),
            ["DepreciationMethod"] = (1, 1),
            ["SpecifiedAnnualDemand"] = (3, 0),
            ["SpecifiedDemandProfile"] = (4, 0),
            ["AccumulatedAnnualDemand"] = (3, 0),
            ["CapacityToActivityUnit"] = (2, 1),
            ["CapacityFactor"] = (4, 1),
            ["AvailabilityFactor"] = (3, 1),
            ["OperationalLife"] = (2, 1),
            ["ResidualCapacity"] = (3, 0),
            ["InputActivityRatio"] = (5, 0),
            ["OutputActivityRatio"] = (5, 0),
            ["CapitalCost"] = (3, 0),
            ["FixedCost"] = (3, 0),
            ["VariableCost"] = (4, 0),
            ["EmissionActivityRatio"] = (5, 0),
            ["EmissionsPenalty"] = (3, 0),
            ["AnnualExogenousEmission"] = (3, 0),
            ["AnnualEmissionLimit"] = (3, -1),
            ["ModelPeriodExogenousEmission"] = (2, 0),
            ["ModelPeriodEmissionLimit"] = (2, -1),
            ["TotalAnnualMaxCapacity"] = (3, -1),
            ["TotalAnnualMinCapacity"] = (3, 0),
            ["TotalAnnualMaxCapacityInvestment"] = (3, -1),
            ["TotalAnnualMinCapacityInvestment"] = (3, 0),
            ["TotalTechnologyAnnualActivityUpperLimit"] = (3, -1),
            ["TotalTechnologyAnnualActivityLowerLimit"] = (3, 0),
            ["ReserveMargin"] = (2, 0),
            ["ReserveMarginTagTechnology"] = (3, 0),
            ["ReserveMarginTagFuel"] = (3, 0),
            ["ResultsPath"] = (0, null),
        };
}
