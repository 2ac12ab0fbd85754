namespace OgClews.Etl.Reverse;

/// <summary>Which macro path drives final demand.</summary>
public enum DemandDriver
{
    /// <summary>GDP, with the income elasticity of each fuel.</summary>
    Gdp,

    /// <summary>
    /// The macro model's energy demand index, applied to every demand fuel as is (no elasticity):
    /// ratio EDI_y / EDI_y0 (<see cref="DemandBasis.BaseYear"/>) or EDI_y (<see cref="DemandBasis.BasePath"/>,
    /// the index being relative to the reference path).
    /// </summary>
    EnergyDemandIndex,
}
