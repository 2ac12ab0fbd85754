using Mesh.Values;

namespace OgClews.Etl.Forward;

/// <summary>
/// The forward pass's result: model years and named float64 series, one value per year
/// (see <see cref="MacroSeries"/> for names and units).
/// </summary>
public sealed class MacroInputs
{
    private readonly List<string> _names = [];
    private readonly Dictionary<string, double[]> _series = new(StringComparer.Ordinal);

    /// <summary>Creates the result; every series must have one value per year.</summary>
    public MacroInputs(int[] years, IEnumerable<KeyValuePair<string, double[]>> series)
    {
        ArgumentNullException.ThrowIfNull(years);
        ArgumentNullException.ThrowIfNull(series);
        Years = years;
        foreach (var (name, values) in series)
        {
            if (values.Length != years.Length) throw new ArgumentException($"series '{name}' has {values.Length} values for {years.Length} years", nameof(series));
            if (!_series.TryAdd(name, values)) throw new ArgumentException($"duplicate series '{name}'", nameof(series));
            _names.Add(name);
        }
    }

    /// <summary>The model years, ascending.</summary>
    public int[] Years { get; }

    /// <summary>Series names in order.</summary>
    public IReadOnlyList<string> Names => _names;

    /// <summary>The series called <paramref name="name"/>.</summary>
    public double[] this[string name] =>
        _series.TryGetValue(name, out var s) ? s : throw new KeyNotFoundException($"no series '{name}' (have: {string.Join(", ", _names)})");

    /// <summary>True when the series exists.</summary>
    public bool Contains(string name) => _series.ContainsKey(name);

    /// <summary>A table: <c>year</c> (int64), then one float64 column per series.</summary>
    public Table ToTable()
    {
        var t = new Table().Add("year", Years.Select(y => (long)y).ToArray());
        foreach (var name in _names) t.Add(name, _series[name]);
        return t;
    }
}
