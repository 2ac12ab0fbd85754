using System.Globalization;
using Mesh.Values;

namespace OgClews.Etl.Results;

/// <summary>
/// Reads energy-model results: a folder of CSV files in the otoole or the MUIO layout (detected per
/// file from its header), or in-memory <see cref="Table"/>s as the GLPK kernel returns them.
/// </summary>
public static class ResultsReader
{
    /// <summary>Reads every <c>*.csv</c> in <paramref name="folder"/> (not its subfolders); the file name without <c>.csv</c> is the result name.</summary>
    public static ResultSet ReadFolder(string folder)
    {
        ArgumentException.ThrowIfNullOrEmpty(folder);
        if (!Directory.Exists(folder)) throw new EtlException(folder, null, null, "results folder not found");
        var files = Directory.GetFiles(folder, "*.csv").Order(StringComparer.Ordinal).ToArray();
        if (files.Length == 0) throw new EtlException(folder, null, null, "the results folder holds no .csv files");
        return new ResultSet(folder, files.Select(ReadFile), isFolder: true);
    }

    /// <summary>Reads one CSV result file, detecting its layout from the header.</summary>
    public static ResultTable ReadFile(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        string text;
        try { text = File.ReadAllText(path); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new EtlException(path, null, null, $"cannot read the file: {e.Message}", e);
        }
        return Parse(text, Path.GetFileNameWithoutExtension(path), path);
    }

    /// <summary>Parses CSV text as the result <paramref name="name"/>; <paramref name="source"/> names it in errors.</summary>
    public static ResultTable Parse(string text, string name, string source)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (string.IsNullOrWhiteSpace(text)) throw new EtlException(source, 1, null, "the file is empty (expected a header line and data rows)");
        var records = CsvReader.Parse(text, source);
        var header = records[0];
        var (layout, indexNames, valueName) = DetectLayout(header, name, source);
        int nIndex = indexNames.Length;
        var canonical = indexNames.Select(c => layout == ResultLayout.Muio ? Dimensions.MuioNames[c] : Dimensions.Canonical(c)).ToArray();
        var index = new string[nIndex][];
        for (int c = 0; c < nIndex; c++) index[c] = new string[records.Count - 1];
        var values = new double[records.Count - 1];
        var rows = new int[records.Count - 1];
        for (int i = 1; i < records.Count; i++)
        {
            var r = records[i];
            if (r.Fields.Length != header.Fields.Length)
                throw new EtlException(source, r.Line, r.Fields.Length < header.Fields.Length ? header.Fields[r.Fields.Length] : null,
                    $"the row has {r.Fields.Length} fields but the header has {header.Fields.Length}");
            for (int c = 0; c < nIndex; c++)
            {
                if (r.Fields[c].Length == 0) throw new EtlException(source, r.Line, indexNames[c], "empty index value");
                index[c][i - 1] = r.Fields[c];
            }
            values[i - 1] = ParseNumber(r.Fields[nIndex], source, r.Line, valueName);
            rows[i - 1] = r.Line;
        }
        return new ResultTable(name, source, layout, canonical, indexNames, valueName, index, values, rows, header.Line);
    }

    /// <summary>Wraps in-memory tables keyed by result name (see <see cref="FromTable"/>).</summary>
    public static ResultSet FromTables(IReadOnlyDictionary<string, Table> tables, string origin = "tables")
    {
        ArgumentNullException.ThrowIfNull(tables);
        return new ResultSet(origin, tables.OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => FromTable(kv.Key, kv.Value)));
    }

    /// <summary>
    /// Wraps an in-memory table. The value column is <c>VALUE</c> (any case), else a column named
    /// like the result (MUIO), else <c>dual</c> (constraint tables of the GLPK kernel). Index columns
    /// are the text columns, plus numeric columns named like a numeric dimension (<c>YEAR</c>,
    /// <c>y</c>, <c>MODE_OF_OPERATION</c>, <c>m</c>; the GLPK kernel returns unquoted CSV columns as
    /// float64); other numeric columns (e.g. <c>activity</c>) are ignored. Names may be otoole or MUIO.
    /// </summary>
    public static ResultTable FromTable(string name, Table table)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(table);
        string source = $"table '{name}'";
        var names = table.Names;
        int valueAt = FindIndex(names, n => string.Equals(n, "VALUE", StringComparison.OrdinalIgnoreCase));
        if (valueAt < 0) valueAt = FindIndex(names, n => n == name);
        if (valueAt < 0) valueAt = FindIndex(names, n => n == "dual");
        if (valueAt < 0)
            throw new EtlException(source, null, "VALUE", $"no value column: expected VALUE, '{name}' or dual (columns: {string.Join(", ", names)})");
        int n = checked((int)table.RowCount);
        var values = ToDoubles(table.Columns[valueAt], source, names[valueAt]);
        var indexNames = new List<string>();
        var canonical = new List<string>();
        var index = new List<string[]>();
        for (int c = 0; c < names.Count; c++)
        {
            if (c == valueAt) continue;
            string canon = Dimensions.Canonical(names[c]);
            switch (table.Columns[c])
            {
                case string?[] s:
                    var col = new string[n];
                    for (int i = 0; i < n; i++)
                        col[i] = string.IsNullOrEmpty(s[i]) ? throw new EtlException(source, i + 1, names[c], "empty index value") : s[i]!;
                    index.Add(col);
                    break;
                case NDArray when n == 0: // an empty table: every column typed as numbers, none is data
                    index.Add([]);
                    break;
                case NDArray nd when Dimensions.IsNumericDimension(canon):
                    var d = ToDoubles(nd, source, names[c]);
                    var ycol = new string[n];
                    for (int i = 0; i < n; i++)
                        ycol[i] = d[i] == Math.Floor(d[i]) && Math.Abs(d[i]) < 1e9
                            ? ((long)d[i]).ToString(CultureInfo.InvariantCulture)
                            : throw new EtlException(source, i + 1, names[c], $"{d[i].ToString("R", CultureInfo.InvariantCulture)} is not an integer");
                    index.Add(ycol);
                    break;
                default:
                    continue; // other numeric columns (activity, reduced_cost, …)
            }
            indexNames.Add(names[c]);
            canonical.Add(canon);
        }
        var rows = Enumerable.Range(1, n).ToArray();
        return new ResultTable(name, source, ResultLayout.Table, canonical.ToArray(), indexNames.ToArray(), names[valueAt],
            index.ToArray(), values, rows, headerRow: null);
    }

    private static (ResultLayout Layout, string[] Index, string Value) DetectLayout(CsvRecord header, string name, string source)
    {
        var cols = header.Fields;
        for (int i = 0; i < cols.Length; i++)
        {
            if (cols[i].Length == 0) throw new EtlException(source, header.Line, $"#{i + 1}", "empty column name in the header");
            for (int j = 0; j < i; j++)
                if (cols[j] == cols[i]) throw new EtlException(source, header.Line, cols[i], "the column name appears twice in the header");
        }
        if (cols.Length < 2)
            throw new EtlException(source, header.Line, cols[0], "the header needs index columns and a value column");
        var idx = cols[..^1];
        string last = cols[^1];
        if (idx.All(Dimensions.MuioNames.ContainsKey))
            return (ResultLayout.Muio, idx, last);
        if (idx.All(Dimensions.IsUpperIdentifier))
        {
            if (string.Equals(last, "VALUE", StringComparison.OrdinalIgnoreCase)) return (ResultLayout.Otoole, idx, last);
            if (Dimensions.IsUpperIdentifier(last))
                throw new EtlException(source, header.Line, "VALUE", $"missing required column VALUE (otoole layout: index columns, then VALUE; the last column is {last})");
            if (last == name)
                throw new EtlException(source, header.Line, idx[0], $"upper-case index columns with a value column named '{last}' mix the otoole and MUIO layouts");
            throw new EtlException(source, header.Line, "VALUE", $"missing required column VALUE (found {last} as the last column)");
        }
        string odd = idx.First(c => !Dimensions.MuioNames.ContainsKey(c) && !Dimensions.IsUpperIdentifier(c));
        throw new EtlException(source, header.Line, odd,
            $"cannot tell the layout: '{odd}' is neither an otoole index column (upper case, e.g. REGION) nor a MUIO one ({string.Join(",", Dimensions.MuioNames.Keys)})");
    }

    internal static double ParseNumber(string text, string source, int line, string column)
    {
        if (text.Length == 0) throw new EtlException(source, line, column, "empty value (expected a number)");
        if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double v))
            throw new EtlException(source, line, column, $"'{text}' is not a number");
        if (!double.IsFinite(v)) throw new EtlException(source, line, column, $"'{text}' is not a finite number");
        return v;
    }

    private static double[] ToDoubles(object column, string source, string name)
    {
        switch (column)
        {
            case NDArray { Data: double[] d }:
                for (int i = 0; i < d.Length; i++)
                    if (!double.IsFinite(d[i])) throw new EtlException(source, i + 1, name, $"{d[i]} is not a finite number");
                return d;
            case NDArray nd when nd.Shape.Length == 1 && nd.Data is not bool[]:
                var result = new double[nd.Length];
                for (int i = 0; i < result.Length; i++) result[i] = Convert.ToDouble(nd.Data.GetValue(i), CultureInfo.InvariantCulture);
                return result;
            case string?[] s:
                var parsed = new double[s.Length];
                for (int i = 0; i < s.Length; i++) parsed[i] = ParseNumber(s[i] ?? "", source, i + 1, name);
                return parsed;
            default:
                throw new EtlException(source, null, name, "the column is not numeric");
        }
    }

    private static int FindIndex(IReadOnlyList<string> names, Func<string, bool> match)
    {
        for (int i = 0; i < names.Count; i++)
            if (match(names[i])) return i;
        return -1;
    }
}
