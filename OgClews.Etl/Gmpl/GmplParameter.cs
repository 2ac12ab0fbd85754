using System.Globalization;

namespace OgClews.Etl.Gmpl;

/// <summary>A parameter as a GMPL data section sets it: its entries, its <c>default</c> clause, and the lines they came from.</summary>
public sealed class GmplParameter
{
    private readonly Dictionary<string, (string Text, int Line)> _entries = new(StringComparer.Ordinal);
    private readonly List<string[]> _order = [];

    internal GmplParameter(string name, int dimension, string source, int line)
    {
        Name = name;
        Dimension = dimension;
        Source = source;
        Line = line;
    }

    /// <summary>The parameter's name.</summary>
    public string Name { get; }

    /// <summary>Number of indices (0 for a scalar).</summary>
    public int Dimension { get; }

    /// <summary>The data file it was read from.</summary>
    public string Source { get; }

    /// <summary>The line of its <c>param</c> statement.</summary>
    public int Line { get; }

    /// <summary>The value of the statement's <c>default</c> clause, if it has one.</summary>
    public string? DefaultText { get; internal set; }

    /// <summary>Number of entries set.</summary>
    public int Count => _order.Count;

    /// <summary>The entries in file order: index tuple, value as written, line.</summary>
    public IEnumerable<(IReadOnlyList<string> Index, string Text, int Line)> Entries =>
        _order.Select(k => ((IReadOnlyList<string>)k, _entries[Key(k)].Text, _entries[Key(k)].Line));

    /// <summary>The value as written for <paramref name="index"/>, if the data sets it.</summary>
    public bool TryGet(IReadOnlyList<string> index, out string text, out int line)
    {
        if (_entries.TryGetValue(Key(index), out var e)) { (text, line) = e; return true; }
        text = "";
        line = 0;
        return false;
    }

    /// <summary>The numeric value set for <paramref name="index"/>, if any.</summary>
    public bool TryGetNumber(IReadOnlyList<string> index, out double value)
    {
        value = 0;
        if (!TryGet(index, out var text, out int line)) return false;
        value = ToNumber(text, line);
        return true;
    }

    internal double ToNumber(string text, int line) =>
        double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double v) && double.IsFinite(v)
            ? v
            : throw new EtlException(Source, line, Name, $"'{text}' is not a number");

    internal void Add(string[] index, string text, int line)
    {
        string key = Key(index);
        if (_entries.TryGetValue(key, out var previous))
            throw new EtlException(Source, line, Name, $"{Name}[{string.Join(",", index)}] is already set on line {previous.Line}");
        _entries[key] = (text, line);
        _order.Add(index);
    }

    internal static string Key(IReadOnlyList<string> index) => string.Join('\u001F', index);
}
