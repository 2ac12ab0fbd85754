namespace OgClews.Etl.Gmpl;

internal enum TokenKind { Symbol, String, Punct, End }

/// <summary>A token of a GMPL data section: its text, kind, line and character span in the file.</summary>
internal readonly record struct Token(TokenKind Kind, string Text, int Line, int Start, int End)
{
    public bool Is(string punct) => Kind == TokenKind.Punct && Text == punct;
    public bool IsWord(string word) => Kind == TokenKind.Symbol && Text == word;
    public bool IsValue => Kind is TokenKind.Symbol or TokenKind.String;
}

/// <summary>
/// Splits GMPL data text into tokens: bare symbols and numbers (letters, digits, <c>_ . + -</c>),
/// quoted strings (<c>'…'</c> or <c>"…"</c>, a doubled quote escapes it), and <c>:= : ; , [ ] ( ) *</c>.
/// Skips <c>#</c> line comments and <c>/* */</c> block comments.
/// </summary>
internal static class GmplTokenizer
{
    public static List<Token> Tokenize(string text, string source)
    {
        var tokens = new List<Token>();
        int pos = 0, line = 1;
        while (true)
        {
            // whitespace and comments
            while (pos < text.Length)
            {
                char c = text[pos];
                if (c == '\n') { line++; pos++; }
                else if (char.IsWhiteSpace(c)) pos++;
                else if (c == '#') { while (pos < text.Length && text[pos] != '\n') pos++; }
                else if (c == '/' && pos + 1 < text.Length && text[pos + 1] == '*')
                {
                    int open = line;
                    pos += 2;
                    while (pos < text.Length && !(text[pos] == '*' && pos + 1 < text.Length && text[pos + 1] == '/'))
                    {
                        if (text[pos] == '\n') line++;
                        pos++;
                    }
                    if (pos >= text.Length) throw new EtlException(source, open, null, "a /* comment is never closed");
                    pos += 2;
                }
                else break;
            }
            if (pos >= text.Length)
            {
                tokens.Add(new Token(TokenKind.End, "", line, pos, pos));
                return tokens;
            }
            int start = pos;
            char ch = text[pos];
            if (ch == ':' && pos + 1 < text.Length && text[pos + 1] == '=')
            {
                tokens.Add(new Token(TokenKind.Punct, ":=", line, start, pos += 2));
            }
            else if (ch is ':' or ';' or ',' or '[' or ']' or '(' or ')' or '*')
            {
                tokens.Add(new Token(TokenKind.Punct, ch.ToString(), line, start, ++pos));
            }
            else if (ch is '\'' or '"')
            {
                int open = line;
                var sb = new System.Text.StringBuilder();
                pos++;
                while (true)
                {
                    if (pos >= text.Length) throw new EtlException(source, open, null, "a quoted string is never closed");
                    if (text[pos] == ch)
                    {
                        if (pos + 1 < text.Length && text[pos + 1] == ch) { sb.Append(ch); pos += 2; continue; }
                        pos++;
                        break;
                    }
                    if (text[pos] == '\n') line++;
                    sb.Append(text[pos++]);
                }
                tokens.Add(new Token(TokenKind.String, sb.ToString(), open, start, pos));
            }
            else if (IsSymbolChar(ch))
            {
                while (pos < text.Length && IsSymbolChar(text[pos])) pos++;
                tokens.Add(new Token(TokenKind.Symbol, text[start..pos], line, start, pos));
            }
            else
            {
                throw new EtlException(source, line, null, $"unexpected character '{ch}'");
            }
        }
    }

    private static bool IsSymbolChar(char c) => char.IsAsciiLetterOrDigit(c) || c is '_' or '.' or '+' or '-';
}
