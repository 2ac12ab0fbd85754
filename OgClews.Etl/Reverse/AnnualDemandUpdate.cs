namespace OgClews.Etl.Reverse;

/// <summary>The annual demand of one fuel in one year before and after the reverse pass (PJ/yr).</summary>
/// <param name="Region">The region.</param>
/// <param name="Fuel">The fuel.</param>
/// <param name="Year">The year.</param>
/// <param name="Base">SpecifiedAnnualDemand in the base data.</param>
/// <param name="New">The new SpecifiedAnnualDemand.</param>
public sealed record AnnualDemandUpdate(string Region, string Fuel, int Year, double Base, double New);
