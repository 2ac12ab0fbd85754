using System.Globalization;
using Mesh.Values;

namespace OgClews.Etl.Results;

/// <summary>
/// One result table of the energy model in a layout-independent form: index columns under their
/// otoole names (<see cref="Dimensions"/>), one float64 value per row, and for every row where it
/// came from, so that later checks can name the file, row and column.
/// </summary>
public sealed class ResultTable
{
    private readonly string[][] _index;     // [column][row]
    private readonly string[] _sourceNames; // index column names as spelled in the input
    private readonly double[] _values;
    private readonly int[] _rows;           // line numbers (CSV) or 1-based row numbers (tables)

    internal ResultTable(string name, string source, ResultLayout layout, string[] indexColumns, string[] sourceNames,
        string valueColumn, string[][] index, double[] values, int[] rows, int? headerRow)
    {
        Name = name;
        Source = source;
        Layout = layout;
        IndexColumns = indexColumns;
        _sourceNames = sourceNames;
        ValueColumn = valueColumn;
        _index = index;
        _values = values;
        _rows = rows;
        HeaderRow = headerRow;
    }

    /// <summary>The result's name, e.g. <c>CapitalInvestment</c> (the file name without <c>.csv</c>, or the map key).</summary>
    public string Name { get; }

    /// <summary>Where it came from: the file path, or <c>table 'Name'</c> for an in-memory table.</summary>
    public string Source { get; }

    /// <summary>The layout it was read from.</summary>
    public ResultLayout Layout { get; }

    /// <summary>Index columns under their otoole names, in input order.</summary>
    public IReadOnlyList<string> IndexColumns { get; }

    /// <summary>The value column as spelled in the input (<c>VALUE</c>, the variable name, or <c>dual</c>).</summary>
    public string ValueColumn { get; }

    /// <summary>Number of data rows.</summary>
    public int RowCount => _values.Length;

    /// <summary>The header's line (1 for CSV files; null for tables).</summary>
    public int? HeaderRow { get; }

    /// <summary>True when the table has the index column <paramref name="dimension"/> (otoole name).</summary>
    public bool HasColumn(string dimension) => ColumnIndex(dimension) >= 0;

    /// <summary>Position of an index column by otoole name, or -1.</summary>
    public int ColumnIndex(string dimension)
    {
        for (int i = 0; i < IndexColumns.Count; i++)
            if (IndexColumns[i] == dimension) return i;
        return -1;
    }

    /// <summary>An index column's name as spelled in the input (e.g. <c>y</c> for <c>YEAR</c> in MUIO files).</summary>
    public string SourceColumnName(string dimension)
    {
        int i = ColumnIndex(dimension);
        if (i >= 0) return _sourceNames[i];
        if (Layout == ResultLayout.Muio)
            foreach (var (shortName, canonical) in Dimensions.MuioNames)
                if (canonical == dimension) return shortName;
        return dimension;
    }

    /// <summary>The index value in column <paramref name="column"/> (position) of row <paramref name="row"/>.</summary>
    public string Index(int column, int row) => _index[column][row];

    /// <summary>The value of row <paramref name="row"/>.</summary>
    public double Value(int row) => _values[row];

    /// <summary>
    /// Where row <paramref name="row"/> is in the input: its line in a CSV file, or its 1-based
    /// position in a table.
    /// </summary>
    public int RowNumber(int row) => _rows[row];

    /// <summary>An error about row <paramref name="row"/> and index column <paramref name="dimension"/> (or the value column when null).</summary>
    public EtlException Error(int row, string? dimension, string detail) =>
        new(Source, _rows[row], dimension is null ? ValueColumn : SourceColumnName(dimension), detail);

    /// <summary>An error about a column that should be there but is not (names the header line).</summary>
    public EtlException MissingColumn(string dimension, string usedFor) =>
        new(Source, HeaderRow, SourceColumnName(dimension),
            $"missing required column {SourceColumnName(dimension)}{(Layout == ResultLayout.Muio ? $" ({dimension})" : "")}, needed for {usedFor} (columns: {string.Join(",", _sourceNames)},{ValueColumn})");

    /// <summary>The year of row <paramref name="row"/> (its <c>YEAR</c> column must exist).</summary>
    public int Year(int row, int yearColumn)
    {
        string s = _index[yearColumn][row];
        if (int.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out int y)) return y;
        if (double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out double d) && d == Math.Floor(d) && Math.Abs(d) < 1e6)
            return (int)d;
        throw Error(row, Dimensions.Year, $"'{s}' is not a year");
    }

    /// <summary>
    /// The table as a <see cref="Mesh.Values.Table"/>: text index columns under their otoole names,
    /// then a float64 <c>VALUE</c> column.
    /// </summary>
    public Table ToTable()
    {
        var t = new Table();
        for (int c = 0; c < IndexColumns.Count; c++) t.Add(IndexColumns[c], (string?[])_index[c].Clone());
        t.Add("VALUE", (double[])_values.Clone());
        return t;
    }

    /// <inheritdoc/>
    public override string ToString() => $"{Name} ({Layout}, {RowCount} rows: {string.Join(",", IndexColumns)},{ValueColumn}) from {Source}";
}
