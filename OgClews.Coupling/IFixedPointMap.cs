namespace OgClews.Coupling;

/// <summary>
/// The map G of the fixed-point problem x = G(x). In OG-CLEWS, x is the concatenation of the macro
/// paths and G is the chain demand update → energy LP → ETL → macro solve; the kernels behind it are
/// driven by the implementation, not by this library.
/// </summary>
/// <remarks>
/// The orchestrator requires G to be deterministic for a given x (the same x gives bit-identical
/// G(x)) when runs are resumed from checkpoints and compared with uninterrupted runs; it does not
/// otherwise rely on it.
/// </remarks>
public interface IFixedPointMap
{
    /// <summary>
    /// Evaluates G(x).
    /// </summary>
    /// <param name="x">The point, of the problem's dimension. A private copy: the map may keep or change it.</param>
    /// <param name="iteration">The 0-based iteration number (x is x_iteration), for logs and file names.</param>
    /// <param name="ct">Cancels the evaluation; the orchestrator then reports <c>Cancelled</c>.</param>
    /// <returns>G(x), of the same length as <paramref name="x"/>, and how long each component took.</returns>
    ValueTask<MapEvaluation> EvaluateAsync(double[] x, int iteration, CancellationToken ct);
}
