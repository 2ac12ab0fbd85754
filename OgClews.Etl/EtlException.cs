using System.Text;

namespace OgClews.Etl;

/// <summary>
/// Bad input to the ETL: a file or table that cannot be read, or data that a pass cannot use.
/// <see cref="File"/>, <see cref="Row"/> and <see cref="Column"/> say where, as far as they apply;
/// the message puts them in front of the detail, e.g.
/// <c>results/CapitalInvestment.csv: line 7, column YEAR: TECHNOLOGY=PWRSOL: year 2027 is missing</c>.
/// </summary>
public sealed class EtlException : Exception
{
    /// <summary>Creates the exception; any of the location parts may be null.</summary>
    public EtlException(string? file, int? row, string? column, string detail, Exception? inner = null)
        : base(Format(file, row, column, detail), inner)
    {
        File = file;
        Row = row;
        Column = column;
        Detail = detail;
    }

    /// <summary>
    /// The file (path as given) or the name of the in-memory table or argument the error is about.
    /// </summary>
    public string? File { get; }

    /// <summary>
    /// Where in <see cref="File"/>: the physical line number for CSV and GMPL data files (the CSV
    /// header is line 1), the 1-based data row for in-memory tables; null when no single row is at fault.
    /// </summary>
    public int? Row { get; }

    /// <summary>The column as it is spelled in the input (e.g. <c>YEAR</c> or <c>y</c>), or the GMPL parameter name.</summary>
    public string? Column { get; }

    /// <summary>What is wrong, without the location.</summary>
    public string Detail { get; }

    private static string Format(string? file, int? row, string? column, string detail)
    {
        var sb = new StringBuilder();
        if (file is not null) sb.Append(file);
        if (row is not null) sb.Append(sb.Length > 0 ? ": " : "").Append(file is not null && IsTableName(file) ? "row " : "line ").Append(row.Value);
        if (column is not null) sb.Append(sb.Length > 0 ? (row is not null ? ", " : ": ") : "").Append("column ").Append(column);
        if (sb.Length > 0) sb.Append(": ");
        return sb.Append(detail).ToString();
    }

    // In-memory tables are named "table 'X'"; files are paths.
    private static bool IsTableName(string file) => file.StartsWith("table '", StringComparison.Ordinal);
}
