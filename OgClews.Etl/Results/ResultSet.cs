namespace OgClews.Etl.Results;

/// <summary>The result tables of one energy-model run, by result name (e.g. <c>CapitalInvestment</c>).</summary>
public sealed class ResultSet
{
    private readonly Dictionary<string, ResultTable> _tables;

    /// <summary>Wraps tables already read; <paramref name="origin"/> is the folder, or a description such as <c>tables</c>.</summary>
    public ResultSet(string origin, IEnumerable<ResultTable> tables, bool isFolder = false)
    {
        ArgumentNullException.ThrowIfNull(tables);
        Origin = origin;
        IsFolder = isFolder;
        _tables = new Dictionary<string, ResultTable>(StringComparer.Ordinal);
        foreach (var t in tables)
            if (!_tables.TryAdd(t.Name, t))
                throw new EtlException(t.Source, null, null, $"result '{t.Name}' is given twice (also {_tables[t.Name].Source})");
    }

    /// <summary>The results folder, or a description of where the tables came from.</summary>
    public string Origin { get; }

    /// <summary>True when <see cref="Origin"/> is a folder of CSV files.</summary>
    public bool IsFolder { get; }

    /// <summary>The tables by name.</summary>
    public IReadOnlyDictionary<string, ResultTable> Tables => _tables;

    /// <summary>
    /// The layout shared by every table, or null when they differ (a folder may mix layouts; each
    /// file's own layout is in <see cref="ResultTable.Layout"/>).
    /// </summary>
    public ResultLayout? Layout => _tables.Count == 0 ? null : _tables.Values.Select(t => t.Layout).Distinct().Count() == 1 ? _tables.Values.First().Layout : null;

    /// <summary>The table called <paramref name="name"/>, or null.</summary>
    public ResultTable? Find(string name) => _tables.GetValueOrDefault(name);

    /// <summary>The table called <paramref name="name"/>; throws an <see cref="EtlException"/> naming the missing file or table.</summary>
    public ResultTable Get(string name, string usedFor)
    {
        if (_tables.TryGetValue(name, out var t)) return t;
        if (IsFolder) throw new EtlException(Path.Combine(Origin, name + ".csv"), null, null, $"missing result file (needed for {usedFor})");
        throw new EtlException(Origin, null, null, $"no result table '{name}' (needed for {usedFor}; have: {string.Join(", ", _tables.Keys.Order(StringComparer.Ordinal))})");
    }
}
