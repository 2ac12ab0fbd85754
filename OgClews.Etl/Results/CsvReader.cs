using System.Text;

namespace OgClews.Etl.Results;

/// <summary>One CSV record: its fields, which of them were quoted, and the line it starts on.</summary>
internal readonly record struct CsvRecord(int Line, string[] Fields, bool[] Quoted);

/// <summary>
/// An RFC 4180 reader: comma-separated fields, fields in double quotes may hold commas, line breaks
/// and doubled quotes (<c>""</c>); records end with LF, CRLF or CR; a UTF-8 byte-order mark is
/// skipped; blank lines are skipped; spaces around unquoted fields are trimmed.
/// </summary>
internal static class CsvReader
{
    public static List<CsvRecord> Parse(string text, string file)
    {
        var records = new List<CsvRecord>();
        var fields = new List<string>();
        var quoted = new List<bool>();
        var field = new StringBuilder();
        int pos = text.Length > 0 && text[0] == '\uFEFF' ? 1 : 0;
        int line = 1;
        while (pos < text.Length)
        {
            int recordLine = line;
            fields.Clear();
            quoted.Clear();
            bool blank = true;
            while (true)
            {
                field.Clear();
                bool wasQuoted = false;
                // leading spaces before a quote are allowed
                int p = pos;
                while (p < text.Length && (text[p] == ' ' || text[p] == '\t')) p++;
                if (p < text.Length && text[p] == '"')
                {
                    wasQuoted = true;
                    blank = false;
                    pos = p + 1;
                    int quoteLine = line;
                    while (true)
                    {
                        if (pos >= text.Length)
                            throw new EtlException(file, quoteLine, null, $"a quoted field opened on line {quoteLine} is never closed");
                        char c = text[pos];
                        if (c == '"')
                        {
                            if (pos + 1 < text.Length && text[pos + 1] == '"') { field.Append('"'); pos += 2; continue; }
                            pos++;
                            break;
                        }
                        if (c == '\r' && pos + 1 < text.Length && text[pos + 1] == '\n') { field.Append("\r\n"); pos += 2; line++; continue; }
                        if (c == '\r' || c == '\n') line++;
                        field.Append(c);
                        pos++;
                    }
                    while (pos < text.Length && (text[pos] == ' ' || text[pos] == '\t')) pos++;
                    if (pos < text.Length && text[pos] != ',' && text[pos] != '\r' && text[pos] != '\n')
                        throw new EtlException(file, line, null, $"unexpected character '{text[pos]}' after the closing quote of field {fields.Count + 1}");
                }
                else
                {
                    while (pos < text.Length && text[pos] != ',' && text[pos] != '\r' && text[pos] != '\n')
                    {
                        if (text[pos] == '"')
                            throw new EtlException(file, line, null, $"a quote inside the unquoted field {fields.Count + 1} (quote the whole field and double inner quotes)");
                        field.Append(text[pos++]);
                    }
                }
                string value = wasQuoted ? field.ToString() : field.ToString().Trim();
                if (value.Length > 0) blank = false;
                fields.Add(value);
                quoted.Add(wasQuoted);
                if (pos < text.Length && text[pos] == ',') { pos++; blank = false; continue; }
                break;
            }
            // end of record: consume the line break
            if (pos < text.Length && text[pos] == '\r') pos++;
            if (pos < text.Length && text[pos] == '\n') pos++;
            line++;
            if (!blank) records.Add(new CsvRecord(recordLine, fields.ToArray(), quoted.ToArray()));
        }
        return records;
    }
}
