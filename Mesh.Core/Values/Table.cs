namespace Mesh.Values;

/// <summary>
/// A columnar table of named, typed columns of equal length: the value model's ext 2. Numeric and
/// bool columns are <see cref="NDArray"/>s (one raw frame each on the wire); text columns are
/// <c>string?[]</c>.
/// </summary>
public sealed class Table : IEquatable<Table>
{
    private readonly List<string> _names = [];
    private readonly List<object> _columns = [];

    /// <summary>Creates an empty table.</summary>
    public Table() { }

    /// <summary>Column names in order.</summary>
    public IReadOnlyList<string> Names => _names;

    /// <summary>Columns in order: <see cref="NDArray"/> or <c>string?[]</c>.</summary>
    public IReadOnlyList<object> Columns => _columns;

    /// <summary>Number of rows (0 for a table without columns).</summary>
    public long RowCount => _columns.Count == 0 ? 0 : ColumnLength(_columns[0]);

    /// <summary>Adds a numeric or bool column.</summary>
    public Table Add(string name, Array values) => AddColumn(name, values is string?[] s ? s : new NDArray(values));

    /// <summary>Adds a text column.</summary>
    public Table Add(string name, string?[] values) => AddColumn(name, values);

    /// <summary>Adds a column that is already an <see cref="NDArray"/> (1-D) or <c>string?[]</c>.</summary>
    public Table AddColumn(string name, object column)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (_names.Contains(name)) throw new ArgumentException($"duplicate column name '{name}'", nameof(name));
        if (column is NDArray nd && nd.Shape.Length != 1) throw new ArgumentException($"column '{name}' must be one-dimensional", nameof(column));
        if (column is not NDArray and not string?[]) throw new ArgumentException($"column '{name}' must be an NDArray or string?[]", nameof(column));
        if (_columns.Count > 0 && ColumnLength(column) != RowCount)
            throw new ArgumentException($"column '{name}' has {ColumnLength(column)} rows but the table has {RowCount}", nameof(column));
        _names.Add(name);
        _columns.Add(column);
        return this;
    }

    /// <summary>The column called <paramref name="name"/>.</summary>
    public object this[string name]
    {
        get
        {
            int i = _names.IndexOf(name);
            return i >= 0 ? _columns[i] : throw new KeyNotFoundException($"the table has no column '{name}' (columns: {string.Join(", ", _names)})");
        }
    }

    /// <summary>A numeric column as a flat array.</summary>
    public T[] Get<T>(string name) where T : unmanaged =>
        this[name] is NDArray nd ? nd.ToFlatArray<T>() : throw new InvalidCastException($"column '{name}' is a text column");

    /// <summary>A text column.</summary>
    public string?[] GetStrings(string name) =>
        this[name] as string?[] ?? throw new InvalidCastException($"column '{name}' is not a text column");

    private static long ColumnLength(object column) => column is NDArray nd ? nd.Length : ((string?[])column).LongLength;

    /// <summary>Same names, order and column contents.</summary>
    public bool Equals(Table? other)
    {
        if (other is null || !other._names.SequenceEqual(_names)) return false;
        for (int i = 0; i < _columns.Count; i++)
        {
            bool same = (_columns[i], other._columns[i]) switch
            {
                (NDArray a, NDArray b) => a.Equals(b),
                (string?[] a, string?[] b) => a.SequenceEqual(b),
                _ => false,
            };
            if (!same) return false;
        }
        return true;
    }

    /// <inheritdoc/>
    public override bool Equals(object? obj) => Equals(obj as Table);

    /// <inheritdoc/>
    public override int GetHashCode() => HashCode.Combine(_names.Count, RowCount);

    /// <inheritdoc/>
    public override string ToString() => $"Table[{RowCount} rows: {string.Join(", ", _names)}]";
}
