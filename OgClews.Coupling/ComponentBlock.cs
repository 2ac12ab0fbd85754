namespace OgClews.Coupling;

/// <summary>
/// A named part of the vector x, e.g. the GDP path over the model years: the components
/// <c>[Offset, Offset + Length)</c>. Used for per-block residuals and error messages.
/// </summary>
/// <param name="Name">The block's name, unique within the problem.</param>
/// <param name="Offset">Index of the block's first component in x.</param>
/// <param name="Length">Number of components (at least 1).</param>
/// <param name="Floor">
/// The residual floor ε of this block's components (the smallest magnitude a component is measured
/// relative to, see <see cref="Orchestration.ConvergenceOptions.ResidualFloor"/>); null uses the options' floor.
/// Set it to a small fraction of the block's typical size when its values are near zero.
/// </param>
public sealed record ComponentBlock(string Name, int Offset, int Length, double? Floor = null);
