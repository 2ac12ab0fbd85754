using System.Text.Json;
using System.Text.RegularExpressions;
using OgClews.Runner;

namespace OgClews.Server.Runs;

/// <summary>
/// The scenarios a run may name: the built-in ones (<c>demo</c>, <c>carbon</c>) and any given to the
/// server as JSON files in its scenarios folder, so a team can add its own data without a rebuild.
/// </summary>
/// <remarks>
/// A scenario file:
/// <code>
/// { "name": "tiny", "description": "…", "baseDataFile": "tiny.dat", "extraDataFiles": ["carbon.dat"],
///   "macro": { "S": 20 }, "elasticities": { "ELC": 0.8 }, "coupleDiscountRate": true }
/// </code>
/// Relative paths are taken from the file's folder. Every file is checked when the server starts,
/// so a typo stops the start with the file's name instead of failing runs later.
/// </remarks>
internal sealed partial class ScenarioCatalog
{
    private readonly Dictionary<string, Scenario> _configured;
    private readonly InstallLayout _layout;

    private ScenarioCatalog(InstallLayout layout, Dictionary<string, Scenario> configured)
    {
        _layout = layout;
        _configured = configured;
    }

    /// <summary>Every scenario name with its description, built-in ones first.</summary>
    public IReadOnlyList<(string Name, string Description, bool BuiltIn)> List() =>
    [
        .. Scenario.BuiltInNames.Select(n => (n, Scenario.BuiltIn(n, _layout).Description, true)),
        .. _configured.Values.OrderBy(s => s.Name, StringComparer.Ordinal).Select(s => (s.Name, s.Description, false)),
    ];

    /// <summary>Whether <paramref name="name"/> is known.</summary>
    public bool Contains(string name) => Scenario.BuiltInNames.Contains(name) || _configured.ContainsKey(name);

    /// <summary>The scenario called <paramref name="name"/>.</summary>
    /// <exception cref="ArgumentException">Unknown name; the message lists the known ones.</exception>
    public Scenario Resolve(string name)
    {
        if (_configured.TryGetValue(name, out var s)) return s;
        if (Scenario.BuiltInNames.Contains(name)) return Scenario.BuiltIn(name, _layout);
        throw new ArgumentException($"unknown scenario '{name}': known are {string.Join(", ", List().Select(x => x.Name))}");
    }

    /// <summary>The built-in scenarios plus every <c>*.json</c> in <paramref name="folder"/> (null: none).</summary>
    /// <exception cref="InvalidOperationException">A scenario file is unreadable or wrong; the message names the file and field.</exception>
    public static ScenarioCatalog Load(InstallLayout layout, string? folder)
    {
        var configured = new Dictionary<string, Scenario>(StringComparer.Ordinal);
        if (folder is null) return new ScenarioCatalog(layout, configured);
        if (!Directory.Exists(folder)) throw new InvalidOperationException($"--scenarios: the folder {folder} does not exist");
        foreach (string file in Directory.EnumerateFiles(folder, "*.json").Order(StringComparer.Ordinal))
        {
            var s = ReadFile(file);
            if (Scenario.BuiltInNames.Contains(s.Name)) throw new InvalidOperationException($"{file}: the name '{s.Name}' is a built-in scenario's; choose another");
            if (!configured.TryAdd(s.Name, s)) throw new InvalidOperationException($"{file}: the scenario name '{s.Name}' is used by another file in {folder}");
        }
        return new ScenarioCatalog(layout, configured);
    }

    private static Scenario ReadFile(string file)
    {
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(File.ReadAllText(file));
        }
        catch (JsonException e)
        {
            throw new InvalidOperationException($"{file}: not valid JSON ({e.Message})", e);
        }
        using (doc)
        {
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object) throw new InvalidOperationException($"{file}: expected a JSON object");
            string dir = Path.GetDirectoryName(Path.GetFullPath(file))!;
            string name = RequiredString(root, "name", file);
            if (!NamePattern().IsMatch(name)) throw new InvalidOperationException($"{file}: name '{name}' must be 1-40 lower-case letters, digits, '-' or '_'");
            string DataFile(string path, string field)
            {
                string full = Path.GetFullPath(Path.Combine(dir, path));
                return File.Exists(full) ? full : throw new InvalidOperationException($"{file}: {field}: {full} does not exist");
            }
            var scenario = new Scenario
            {
                Name = name,
                Description = root.TryGetProperty("description", out var d) && d.ValueKind == JsonValueKind.String ? d.GetString()! : name,
                BaseDataFile = DataFile(RequiredString(root, "baseDataFile", file), "baseDataFile"),
            };
            if (root.TryGetProperty("extraDataFiles", out var extra))
            {
                if (extra.ValueKind != JsonValueKind.Array || extra.EnumerateArray().Any(e => e.ValueKind != JsonValueKind.String))
                    throw new InvalidOperationException($"{file}: extraDataFiles must be an array of file names");
                scenario = scenario with { ExtraDataFiles = extra.EnumerateArray().Select(e => DataFile(e.GetString()!, "extraDataFiles")).ToArray() };
            }
            if (root.TryGetProperty("macro", out var macro))
                scenario = scenario with { MacroParameters = Numbers(macro, "macro", file).ToDictionary(kv => kv.Key, kv => (object?)MacroParameters.ToWire(kv.Key, kv.Value)) };
            if (root.TryGetProperty("elasticities", out var el))
                scenario = scenario with { Elasticities = Numbers(el, "elasticities", file) };
            if (root.TryGetProperty("coupleDiscountRate", out var couple))
            {
                if (couple.ValueKind is not (JsonValueKind.True or JsonValueKind.False)) throw new InvalidOperationException($"{file}: coupleDiscountRate must be true or false");
                scenario = scenario with { CoupleDiscountRate = couple.GetBoolean() };
            }
            return scenario;
        }
    }

    private static string RequiredString(JsonElement root, string field, string file) =>
        root.TryGetProperty(field, out var v) && v.ValueKind == JsonValueKind.String && v.GetString() is { Length: > 0 } s
            ? s
            : throw new InvalidOperationException($"{file}: '{field}' (a non-empty string) is required");

    private static Dictionary<string, double> Numbers(JsonElement e, string field, string file)
    {
        if (e.ValueKind != JsonValueKind.Object) throw new InvalidOperationException($"{file}: {field} must be an object of numbers");
        var map = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (var p in e.EnumerateObject())
        {
            if (p.Value.ValueKind != JsonValueKind.Number) throw new InvalidOperationException($"{file}: {field}.{p.Name} must be a number");
            map[p.Name] = p.Value.GetDouble();
        }
        return map;
    }

    [GeneratedRegex("^[a-z0-9][a-z0-9_-]{0,39}$")]
    private static partial Regex NamePattern();
}
