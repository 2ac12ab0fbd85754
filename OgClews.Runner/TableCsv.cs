using System.Globalization;
using System.Text;
using Mesh.Values;

namespace OgClews.Runner;

/// <summary>Writes a <see cref="Table"/> as RFC 4180 CSV (invariant culture, round-trip doubles).</summary>
public static class TableCsv
{
    /// <summary>The CSV text of <paramref name="table"/>, header first.</summary>
    public static string Write(Table table)
    {
        ArgumentNullException.ThrowIfNull(table);
        var sb = new StringBuilder();
        sb.AppendJoin(',', table.Names.Select(Quote)).Append('\n');
        var columns = table.Names.Select(n => table[n]).ToArray();
        for (long row = 0; row < table.RowCount; row++)
        {
            for (int c = 0; c < columns.Length; c++)
            {
                if (c > 0) sb.Append(',');
                sb.Append(Cell(columns[c], row));
            }
            sb.Append('\n');
        }
        return sb.ToString();
    }

    private static string Cell(object column, long row) => column switch
    {
        string?[] s => Quote(s[row] ?? ""),
        NDArray a => a.Data.GetValue(row) is { } v ? Format(v) : "",
        _ => throw new ArgumentException($"unsupported column type {column.GetType().Name}"),
    };

    private static string Format(object v) => v switch
    {
        double d => d.ToString("R", CultureInfo.InvariantCulture),
        float f => f.ToString("R", CultureInfo.InvariantCulture),
        IFormattable x => x.ToString(null, CultureInfo.InvariantCulture),
        _ => v.ToString() ?? "",
    };

    private static string Quote(string s) =>
        s.IndexOfAny([',', '"', '\n', '\r']) >= 0 ? "\"" + s.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"" : s;
}
