using System.Text;

namespace OgClews.Reporting.Html;

// {{name}} placeholders, filled in one pass over the template: inserted text is never scanned again,
// so a run message or a library that happens to contain "{{data}}" cannot inject anything.
internal static class Template
{
    public static string Render(string template, IReadOnlyDictionary<string, string> values)
    {
        var sb = new StringBuilder(template.Length + values.Values.Sum(v => v.Length));
        int pos = 0;
        while (true)
        {
            int open = template.IndexOf("{{", pos, StringComparison.Ordinal);
            if (open < 0) break;
            int close = template.IndexOf("}}", open + 2, StringComparison.Ordinal);
            if (close < 0) break;
            string name = template[(open + 2)..close];
            if (!values.TryGetValue(name, out string? value))
                throw new InvalidOperationException($"the report template has a placeholder '{{{{{name}}}}}' with no value");
            sb.Append(template, pos, open - pos).Append(value);
            pos = close + 2;
        }
        sb.Append(template, pos, template.Length - pos);
        return sb.ToString();
    }
}
