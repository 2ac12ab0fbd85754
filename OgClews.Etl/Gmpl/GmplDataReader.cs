using System.Text;

namespace OgClews.Etl.Gmpl;

/// <summary>
/// Reads the GMPL (MathProg) data-section forms that models/energy/demo/*.dat use:
/// <list type="bullet">
/// <item><c>set NAME := a b c;</c></item>
/// <item><c>param NAME [default d] := i j v  i j v …;</c> (plain list; the dimension comes from the model's declaration)</item>
/// <item><c>param NAME [default d] [:=] : c1 c2 … := r v v … ;</c> (a 2-D table: rows × columns)</item>
/// <item><c>param NAME := [a,*,*]: c1 c2 … := r v v … [b,*,*]: … ;</c> (slices, each with a table or a plain list for its <c>*</c> positions; <c>(tr)</c> transposes a table)</item>
/// <item><c>.</c> for "not given" in a table, <c>#</c> and <c>/* */</c> comments, <c>data;</c> and <c>end;</c></item>
/// </list>
/// Indexed sets, tuple sets and the multi-parameter <c>param : p q :=</c> form are refused with an
/// <see cref="EtlException"/> naming the line.
/// </summary>
public static class GmplDataReader
{
    /// <summary>Reads a data file.</summary>
    public static GmplData Read(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        string text;
        try { text = File.ReadAllText(path); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new EtlException(path, null, null, $"cannot read the data file: {e.Message}", e);
        }
        return Parse(text, path);
    }

    /// <summary>
    /// Parses data-section text; <paramref name="source"/> names it in errors. Parameters not declared
    /// by models/energy/model.mod need their dimensions in <paramref name="dimensions"/> when they use
    /// the plain list form without a slice (otherwise one entry per line is assumed).
    /// </summary>
    public static GmplData Parse(string text, string source, IReadOnlyDictionary<string, int>? dimensions = null)
    {
        ArgumentNullException.ThrowIfNull(text);
        var parser = new Parser(GmplTokenizer.Tokenize(text, source), source, dimensions);
        return parser.Run();
    }

    /// <summary>
    /// Returns <paramref name="text"/> without the <c>param</c> statements for <paramref name="parameters"/>
    /// (each replaced by a <c>/* … */</c> note), so that another data file can set them: GMPL refuses
    /// a parameter that two data files both set.
    /// </summary>
    public static string RemoveParameters(string text, string source, IEnumerable<string> parameters)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentNullException.ThrowIfNull(parameters);
        var names = parameters.ToHashSet(StringComparer.Ordinal);
        var data = Parse(text, source);
        var sb = new StringBuilder(text.Length);
        int at = 0;
        foreach (var (kind, name, start, end) in data.Statements)
        {
            if (kind != "param" || !names.Contains(name)) continue;
            sb.Append(text, at, start - at);
            sb.Append($"/* param {name}: removed here, set by another data file */");
            at = end;
        }
        sb.Append(text, at, text.Length - at);
        return sb.ToString();
    }

    private sealed class Parser(List<Token> tokens, string source, IReadOnlyDictionary<string, int>? dimensions)
    {
        private int _pos;
        private readonly Dictionary<string, IReadOnlyList<string>> _sets = new(StringComparer.Ordinal);
        private readonly Dictionary<string, GmplParameter> _params = new(StringComparer.Ordinal);
        private readonly List<(string, string, int, int)> _statements = [];

        private Token Peek => tokens[_pos];
        private Token Next() => tokens[_pos++];

        private EtlException Error(Token at, string? column, string detail) =>
            new(source, at.Line, column, detail);

        private Token Expect(string punct, string? column, string context)
        {
            var t = Next();
            if (!t.Is(punct)) throw Error(t, column, $"expected '{punct}' {context}, found {Describe(t)}");
            return t;
        }

        private static string Describe(Token t) => t.Kind == TokenKind.End ? "the end of the file" : $"'{t.Text}'";

        public GmplData Run()
        {
            while (Peek.Kind != TokenKind.End)
            {
                var t = Next();
                if (t.IsWord("data")) { Expect(";", null, "after 'data'"); continue; }
                if (t.IsWord("end")) { if (Peek.Is(";")) Next(); break; }
                if (t.IsWord("set")) { ParseSet(t); continue; }
                if (t.IsWord("param")) { ParseParam(t); continue; }
                throw Error(t, null, $"expected 'set', 'param' or 'end', found {Describe(t)}");
            }
            return new GmplData(source, _sets, _params, _statements);
        }

        private void ParseSet(Token keyword)
        {
            var nameTok = Next();
            if (nameTok.Kind != TokenKind.Symbol) throw Error(nameTok, null, $"expected a set name after 'set', found {Describe(nameTok)}");
            string name = nameTok.Text;
            if (Peek.Is("[")) throw Error(Peek, name, "indexed sets are not supported by this reader");
            if (Peek.Is(":=")) Next();
            var members = new List<string>();
            while (!Peek.Is(";"))
            {
                var t = Next();
                if (t.Kind == TokenKind.End) throw Error(t, name, $"set {name} is not closed with ';'");
                if (t.Is("(") || t.Is(":")) throw Error(t, name, "tuple and tabular set data are not supported by this reader");
                if (!t.IsValue) throw Error(t, name, $"unexpected {Describe(t)} in set {name}");
                if (members.Contains(t.Text)) throw Error(t, name, $"'{t.Text}' appears twice in set {name}");
                members.Add(t.Text);
            }
            var end = Next();
            if (_sets.ContainsKey(name)) throw Error(nameTok, name, $"set {name} is defined twice");
            _sets[name] = members;
            _statements.Add(("set", name, keyword.Start, end.End));
        }

        private void ParseParam(Token keyword)
        {
            if (Peek.Is(":")) throw Error(Peek, null, "the multi-parameter form 'param : p q := …' is not supported by this reader");
            var nameTok = Next();
            if (nameTok.Kind != TokenKind.Symbol) throw Error(nameTok, null, $"expected a parameter name after 'param', found {Describe(nameTok)}");
            string name = nameTok.Text;
            if (_params.ContainsKey(name)) throw Error(nameTok, name, $"parameter {name} is set twice (GMPL refuses this too)");
            int? dim = dimensions is not null && dimensions.TryGetValue(name, out int d) ? d
                : ModelSchema.Parameters.TryGetValue(name, out var s) ? s.Dimension : null;
            string? defaultText = null;
            if (Peek.IsWord("default"))
            {
                Next();
                var v = Next();
                if (!v.IsValue) throw Error(v, name, $"expected a value after 'default', found {Describe(v)}");
                defaultText = v.Text;
            }
            if (Peek.Is(":=")) Next();

            GmplParameter? p = null;
            GmplParameter Param(int dimension, Token at)
            {
                if (p is null)
                {
                    p = new GmplParameter(name, dimension, source, nameTok.Line) { DefaultText = defaultText };
                    dim = dimension;
                }
                else if (p.Dimension != dimension) throw Error(at, name, $"{name} has {p.Dimension} indices but this entry gives {dimension}");
                return p;
            }

            string?[]? slice = null;
            while (!Peek.Is(";"))
            {
                var t = Peek;
                if (t.Kind == TokenKind.End) throw Error(t, name, $"parameter {name} is not closed with ';'");
                if (t.Is("["))
                {
                    slice = ParseSlice(name);
                    if (dim is int dd && slice.Length != dd) throw Error(t, name, $"the slice has {slice.Length} positions but {name} has {dd} indices");
                    continue;
                }
                bool transpose = false;
                if (t.Is("("))
                {
                    Next();
                    var tr = Next();
                    if (!tr.IsWord("tr")) throw Error(tr, name, $"expected 'tr' after '(', found {Describe(tr)}");
                    Expect(")", name, "after '(tr'");
                    transpose = true;
                    if (!Peek.Is(":")) throw Error(Peek, name, "expected ':' and a table after '(tr)'");
                }
                if (Peek.Is(":"))
                {
                    int stars = slice?.Count(x => x is null) ?? 2;
                    if (stars != 2) throw Error(Peek, name, $"a table fills 2 '*' positions but the slice has {stars}");
                    ParseTable(name, slice ?? [null, null], transpose, at => Param((slice?.Length) ?? 2, at));
                    continue;
                }
                if (t.IsValue)
                {
                    int keys;
                    if (slice is not null) keys = slice.Count(x => x is null);
                    else if (dim is int known) keys = known;
                    else keys = TokensOnLine(t) - 1;
                    if (keys < 0) throw Error(t, name, "cannot tell the number of indices");
                    var entryKeys = new string[keys];
                    for (int k = 0; k < keys; k++)
                    {
                        var kt = Next();
                        if (!kt.IsValue) throw Error(kt, name, $"expected an index of {name}, found {Describe(kt)}");
                        entryKeys[k] = kt.Text;
                    }
                    var vt = Next();
                    if (!vt.IsValue) throw Error(vt, name, $"expected a value of {name}, found {Describe(vt)}");
                    var index = slice is null ? entryKeys : Fill(slice, entryKeys);
                    Param(index.Length, vt).Add(index, vt.Text, vt.Line);
                    continue;
                }
                throw Error(t, name, $"unexpected {Describe(t)} in parameter {name}");
            }
            var end = Next();
            _params[name] = p ?? new GmplParameter(name, dim ?? 0, source, nameTok.Line) { DefaultText = defaultText };
            _statements.Add(("param", name, keyword.Start, end.End));
        }

        private string?[] ParseSlice(string name)
        {
            Expect("[", name, "to open a slice");
            var parts = new List<string?>();
            while (true)
            {
                var t = Next();
                if (t.Is("*")) parts.Add(null);
                else if (t.IsValue) parts.Add(t.Text);
                else throw Error(t, name, $"expected an index or '*' in the slice, found {Describe(t)}");
                var sep = Next();
                if (sep.Is("]")) break;
                if (!sep.Is(",")) throw Error(sep, name, $"expected ',' or ']' in the slice, found {Describe(sep)}");
            }
            return parts.ToArray();
        }

        private void ParseTable(string name, string?[] slice, bool transpose, Func<Token, GmplParameter> param)
        {
            Expect(":", name, "to open a table");
            var columns = new List<string>();
            while (!Peek.Is(":="))
            {
                var c = Next();
                if (!c.IsValue) throw Error(c, name, $"expected a column label or ':=' in the table header, found {Describe(c)}");
                columns.Add(c.Text);
            }
            Next();
            if (columns.Count == 0) throw Error(Peek, name, "the table has no columns");
            while (Peek.IsValue)
            {
                var rowTok = Next();
                for (int c = 0; c < columns.Count; c++)
                {
                    var v = Next();
                    if (!v.IsValue)
                        throw Error(rowTok, name, $"row '{rowTok.Text}' has {c} values but the table has {columns.Count} columns (found {Describe(v)})");
                    if (v.Text == ".") continue;
                    var keys = transpose ? new[] { columns[c], rowTok.Text } : new[] { rowTok.Text, columns[c] };
                    var index = Fill(slice, keys);
                    param(v).Add(index, v.Text, v.Line);
                }
            }
        }

        private static string[] Fill(string?[] slice, string[] keys)
        {
            var index = new string[slice.Length];
            int k = 0;
            for (int i = 0; i < slice.Length; i++) index[i] = slice[i] ?? keys[k++];
            return index;
        }

        private int TokensOnLine(Token first)
        {
            int n = 0;
            for (int i = _pos; i < tokens.Count && tokens[i].Line == first.Line && tokens[i].IsValue; i++) n++;
            return n;
        }
    }
}
