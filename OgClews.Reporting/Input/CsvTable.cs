using System.Globalization;
using System.Text;

namespace OgClews.Reporting.Input;

// A small RFC 4180 reader: the run's CSVs are machine-written (quoted only when needed, LF or CRLF),
// but a modeller may open and re-save them, so quoted fields, embedded newlines and a BOM are accepted.
internal sealed class CsvTable
{
    private readonly Dictionary<string, int> _index;

    private CsvTable(string path, string fileName, List<string> header, List<(int Line, string[] Fields)> rows)
    {
        Path = path;
        FileName = fileName;
        Header = header;
        Rows = rows;
        _index = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int i = 0; i < header.Count; i++)
        {
            if (!_index.TryAdd(header[i], i))
                throw new ReportInputException(path, $"{fileName}: column '{header[i]}' appears twice in the header", header[i], 1);
        }
    }

    public string Path { get; }
    public string FileName { get; }
    public IReadOnlyList<string> Header { get; }

    // Each row with the line it starts on, for error messages.
    public IReadOnlyList<(int Line, string[] Fields)> Rows { get; }

    public static CsvTable Load(string path)
    {
        string fileName = System.IO.Path.GetFileName(path);
        if (!File.Exists(path))
            throw new ReportInputException(path, $"{fileName} is missing: expected {path} (the coupled run writes it into the run folder)");
        string text;
        try
        {
            text = File.ReadAllText(path, Encoding.UTF8);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ReportInputException(path, $"{fileName} cannot be read: {e.Message}", inner: e);
        }
        return Parse(text, path);
    }

    public static CsvTable Parse(string text, string path)
    {
        string fileName = System.IO.Path.GetFileName(path);
        var records = Split(text, path, fileName);
        if (records.Count == 0 || records[0].Fields.Length == 1 && records[0].Fields[0].Length == 0)
            throw new ReportInputException(path, $"{fileName} is empty: expected a header line");
        var header = records[0].Fields.Select(h => h.Trim()).ToList();
        var rows = new List<(int, string[])>();
        for (int r = 1; r < records.Count; r++)
        {
            var (line, fields) = records[r];
            if (fields.Length == 1 && fields[0].Length == 0) continue; // blank line
            if (fields.Length != header.Count)
            {
                throw new ReportInputException(path,
                    $"{fileName} line {line}: {fields.Length} fields, but the header has {header.Count} columns", line: line);
            }
            rows.Add((line, fields));
        }
        return new CsvTable(path, fileName, header, rows);
    }

    public bool HasColumn(string name) => _index.ContainsKey(name);

    public int Column(string name) =>
        _index.TryGetValue(name, out int i)
            ? i
            : throw new ReportInputException(Path,
                $"{FileName}: required column '{name}' is missing (header: {string.Join(",", Header)})", name, 1);

    // A number cell. Empty cells are allowed only where the writer leaves them (optional values) and read as NaN.
    public double Number(int row, int column, bool allowEmpty = false)
    {
        var (line, fields) = Rows[row];
        string cell = fields[column].Trim();
        if (cell.Length == 0)
        {
            if (allowEmpty) return double.NaN;
            throw new ReportInputException(Path, $"{FileName} line {line}, column '{Header[column]}': empty, expected a number", Header[column], line);
        }
        if (TryParseNumber(cell, out double v)) return v;
        throw new ReportInputException(Path,
            $"{FileName} line {line}, column '{Header[column]}': '{cell}' is not a number", Header[column], line);
    }

    public string Text(int row, int column) => Rows[row].Fields[column];

    public int LineOf(int row) => Rows[row].Line;

    // .NET's invariant "R" output is what the run writes; the spelled-out and symbol forms of the
    // non-finite values come from other writers (Python, older .NET, spreadsheets).
    internal static bool TryParseNumber(string s, out double value)
    {
        if (double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out value)) return true;
        switch (s.ToLowerInvariant())
        {
            case "nan": value = double.NaN; return true;
            case "inf" or "+inf" or "infinity" or "+infinity" or "∞": value = double.PositiveInfinity; return true;
            case "-inf" or "-infinity" or "-∞": value = double.NegativeInfinity; return true;
            default: return false;
        }
    }

    private static List<(int Line, string[] Fields)> Split(string text, string path, string fileName)
    {
        var records = new List<(int, string[])>();
        var fields = new List<string>();
        var field = new StringBuilder();
        int i = text.Length > 0 && text[0] == '\uFEFF' ? 1 : 0;
        int line = 1, recordLine = 1;
        bool inQuotes = false, quotedField = false;
        for (; i < text.Length; i++)
        {
            char c = text[i];
            if (inQuotes)
            {
                if (c == '"')
                {
                    if (i + 1 < text.Length && text[i + 1] == '"') { field.Append('"'); i++; }
                    else inQuotes = false;
                }
                else
                {
                    if (c == '\n') line++;
                    field.Append(c);
                }
                continue;
            }
            switch (c)
            {
                case '"' when field.Length == 0 && !quotedField:
                    inQuotes = quotedField = true;
                    break;
                case '"':
                    throw new ReportInputException(path, $"{fileName} line {line}: stray quote inside an unquoted field", line: line);
                case ',':
                    fields.Add(field.ToString()); field.Clear(); quotedField = false;
                    break;
                case '\r' when i + 1 < text.Length && text[i + 1] == '\n':
                    break;
                case '\r' or '\n':
                    fields.Add(field.ToString()); field.Clear(); quotedField = false;
                    records.Add((recordLine, fields.ToArray())); fields.Clear();
                    line++; recordLine = line;
                    break;
                default:
                    if (quotedField)
                        throw new ReportInputException(path, $"{fileName} line {line}: text after a closing quote", line: line);
                    field.Append(c);
                    break;
            }
        }
        if (inQuotes) throw new ReportInputException(path, $"{fileName} line {recordLine}: quoted field is not closed", line: recordLine);
        if (field.Length > 0 || fields.Count > 0 || quotedField)
        {
            fields.Add(field.ToString());
            records.Add((recordLine, fields.ToArray()));
        }
        return records;
    }
}
