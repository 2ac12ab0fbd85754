using System.Globalization;

namespace OgClews.Etl.Gmpl;

/// <summary>
/// The sets and parameters of a GMPL data section (see <see cref="GmplDataReader"/>). Numeric
/// look-ups fall back to the statement's <c>default</c> clause and then to the default that
/// models/energy/model.mod declares.
/// </summary>
public sealed class GmplData
{
    internal GmplData(string source, Dictionary<string, IReadOnlyList<string>> sets, Dictionary<string, GmplParameter> parameters,
        List<(string Kind, string Name, int Start, int End)> statements)
    {
        Source = source;
        Sets = sets;
        Parameters = parameters;
        Statements = statements;
    }

    /// <summary>The file (or description) the data came from.</summary>
    public string Source { get; }

    /// <summary>Sets by name, members in file order.</summary>
    public IReadOnlyDictionary<string, IReadOnlyList<string>> Sets { get; }

    /// <summary>Parameters by name.</summary>
    public IReadOnlyDictionary<string, GmplParameter> Parameters { get; }

    /// <summary>Statement spans (character offsets) in the text, for <see cref="GmplDataReader.RemoveParameters"/>.</summary>
    internal List<(string Kind, string Name, int Start, int End)> Statements { get; }

    /// <summary>The set called <paramref name="name"/>; throws an <see cref="EtlException"/> naming the data file when it is missing.</summary>
    public IReadOnlyList<string> RequireSet(string name, string usedFor) =>
        Sets.TryGetValue(name, out var s) ? s : throw new EtlException(Source, null, name, $"the data file does not define set {name} (needed for {usedFor})");

    /// <summary>The years of set <c>YEAR</c>, sorted.</summary>
    public int[] Years(string usedFor)
    {
        var set = RequireSet("YEAR", usedFor);
        var years = new int[set.Count];
        for (int i = 0; i < years.Length; i++)
            years[i] = int.TryParse(set[i], NumberStyles.Integer, CultureInfo.InvariantCulture, out int y)
                ? y : throw new EtlException(Source, null, "YEAR", $"set YEAR member '{set[i]}' is not a year");
        Array.Sort(years);
        return years;
    }

    /// <summary>
    /// The value of <paramref name="parameter"/> at <paramref name="index"/>: the entry the data sets,
    /// else the statement's default, else the model's default; an <see cref="EtlException"/> if none.
    /// </summary>
    public double Value(string parameter, params string[] index)
    {
        Parameters.TryGetValue(parameter, out var p);
        if (p is not null)
        {
            if (p.TryGet(index, out var text, out int line)) return p.ToNumber(text, line);
            if (p.DefaultText is not null) return p.ToNumber(p.DefaultText, p.Line);
        }
        if (ModelSchema.Parameters.TryGetValue(parameter, out var schema) && schema.Default is double d) return d;
        throw new EtlException(Source, p?.Line, parameter, $"no value for {parameter}[{string.Join(",", index)}] and no default");
    }

    /// <summary>True when the data sets <paramref name="parameter"/> (any entry or a default clause).</summary>
    public bool Defines(string parameter) => Parameters.ContainsKey(parameter);
}
