using System.Text;

namespace OgClews.Reporting.Html;

// Text placed inside <script> elements. The HTML parser ends a script at the first "</script" whatever
// the JavaScript means, and "<!--" switches it into a mode where a later "<script" changes the rules,
// so neither may appear raw.
internal static class ScriptText
{
    // JSON for a <script type="application/json"> block. '<', '>' and '&' only ever occur inside JSON
    // strings, where \u escapes mean the same characters, so the data parses back unchanged. U+2028/9
    // are escaped too: harmless in JSON, but line terminators to older JavaScript parsers.
    public static string EmbedJson(string json)
    {
        var sb = new StringBuilder(json.Length + 16);
        foreach (char c in json)
        {
            switch (c)
            {
                case '<': sb.Append("\\u003c"); break;
                case '>': sb.Append("\\u003e"); break;
                case '&': sb.Append("\\u0026"); break;
                case '\u2028': sb.Append("\\u2028"); break;
                case '\u2029': sb.Append("\\u2029"); break;
                default: sb.Append(c); break;
            }
        }
        return sb.ToString();
    }

    // JavaScript source (the inlined library and the page script). Both sequences can only occur in
    // strings, regular expressions or comments, where "<\/" and "<\!" read the same as "</" and "<!".
    public static string EmbedScript(string js)
    {
        var sb = new StringBuilder(js.Length);
        for (int i = 0; i < js.Length; i++)
        {
            if (js[i] == '<' && i + 1 < js.Length)
            {
                if (js[i + 1] == '/' && string.Compare(js, i + 2, "script", 0, 6, StringComparison.OrdinalIgnoreCase) == 0)
                {
                    sb.Append("<\\/");
                    i++;
                    continue;
                }
                if (string.CompareOrdinal(js, i + 1, "!--", 0, 3) == 0)
                {
                    sb.Append("<\\!");
                    i++;
                    continue;
                }
            }
            sb.Append(js[i]);
        }
        return sb.ToString();
    }
}
