namespace OgClews.Coupling;

/// <summary>The result of one evaluation of the fixed-point map: G(x) and its per-component timings.</summary>
public sealed class MapEvaluation
{
    private static readonly IReadOnlyDictionary<string, TimeSpan> NoTimings = new Dictionary<string, TimeSpan>(StringComparer.Ordinal);

    /// <summary>Creates the evaluation.</summary>
    /// <param name="value">G(x). The orchestrator copies it.</param>
    /// <param name="timings">
    /// How long each named component of G took (e.g. <c>energy</c>, <c>etl</c>, <c>macro</c>); null for none.
    /// The order of the entries is the order of the columns in <c>iterations.csv</c> when the problem
    /// does not name its components.
    /// </param>
    public MapEvaluation(double[] value, IReadOnlyDictionary<string, TimeSpan>? timings = null)
    {
        ArgumentNullException.ThrowIfNull(value);
        Value = value;
        Timings = timings ?? NoTimings;
    }

    /// <summary>G(x).</summary>
    public double[] Value { get; }

    /// <summary>Duration of each named component of the map.</summary>
    public IReadOnlyDictionary<string, TimeSpan> Timings { get; }
}
