namespace OgClews.Etl.Reverse;

/// <summary>
/// A new lower bound (right-hand side) for one demand-balance row, e.g.
/// <c>EnergyBalance[ATLANTIS,ELC,SD,2030]</c> (the GLPK API / free-MPS name; the CPLEX LP format writes
/// parentheses instead of brackets).
/// </summary>
/// <param name="Row">The row name.</param>
/// <param name="Lower">The new lower bound: new annual demand × SpecifiedDemandProfile, PJ in the slice.</param>
/// <param name="Region">The region.</param>
/// <param name="Fuel">The fuel.</param>
/// <param name="Timeslice">The time slice.</param>
/// <param name="Year">The year.</param>
public sealed record RowUpdate(string Row, double Lower, string Region, string Fuel, string Timeslice, int Year);
