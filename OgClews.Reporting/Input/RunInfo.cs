using System.Globalization;
using System.Text.Json;

namespace OgClews.Reporting.Input;

// run.json: the run's outcome. Fields not listed here are ignored; the optional ones fall back to
// what iterations.csv can tell.
internal sealed class RunInfo
{
    public const string FileName = "run.json";

    public string? Scenario { get; init; }
    public required string Method { get; init; }
    public required string Status { get; init; }
    public string? Message { get; init; }
    public required int Iterations { get; init; }

    // NaN when the run completed no iteration (the run writes null or "NaN").
    public required double Residual { get; init; }
    public required double Tolerance { get; init; }
    public double? WallSeconds { get; init; }
    public double? MapSeconds { get; init; }
    public double? OverheadFraction { get; init; }

    // In the file's order.
    public IReadOnlyList<(string Name, double Seconds)>? KernelSeconds { get; init; }
    public DateTimeOffset? Started { get; init; }
    public DateTimeOffset? Finished { get; init; }

    public static RunInfo Load(string runFolder)
    {
        string path = Path.Combine(runFolder, FileName);
        if (!File.Exists(path))
            throw new ReportInputException(path, $"{FileName} is missing: expected {path} (the coupled run writes it when it ends)");
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ReportInputException(path, $"{FileName} cannot be read: {e.Message}", inner: e);
        }
        return Parse(bytes, path);
    }

    public static RunInfo Parse(ReadOnlySpan<byte> utf8, string path)
    {
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(utf8.ToArray(), new JsonDocumentOptions { AllowTrailingCommas = true, CommentHandling = JsonCommentHandling.Skip });
        }
        catch (JsonException e)
        {
            int? line = e.LineNumber is long l ? (int)l + 1 : null;
            throw new ReportInputException(path, $"{FileName} is not valid JSON{(line is null ? "" : $" (line {line})")}: {e.Message}", line: line, inner: e);
        }
        using (doc)
        {
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
                throw new ReportInputException(path, $"{FileName}: expected a JSON object at the top level, found {Kind(root)}");
            var f = new Fields(root, path);
            return new RunInfo
            {
                Scenario = f.OptionalString("scenario"),
                Method = f.RequiredString("method"),
                Status = f.RequiredString("status"),
                Message = f.OptionalString("message"),
                Iterations = f.RequiredInt("iterations"),
                Residual = f.RequiredNumber("residual", allowNull: true),
                Tolerance = f.RequiredNumber("tolerance", allowNull: false),
                WallSeconds = f.OptionalNumber("wall_seconds"),
                MapSeconds = f.OptionalNumber("map_seconds"),
                OverheadFraction = f.OptionalNumber("overhead_fraction"),
                KernelSeconds = f.OptionalNumberMap("kernel_seconds"),
                Started = f.OptionalTime("started"),
                Finished = f.OptionalTime("finished"),
            };
        }
    }

    private static string Kind(JsonElement e) => e.ValueKind switch
    {
        JsonValueKind.Object => "an object",
        JsonValueKind.Array => "an array",
        JsonValueKind.String => "a string",
        JsonValueKind.Number => "a number",
        JsonValueKind.True or JsonValueKind.False => "a boolean",
        JsonValueKind.Null => "null",
        _ => "nothing",
    };

    private readonly struct Fields(JsonElement root, string path)
    {
        private ReportInputException Error(string field, string what) =>
            new(path, $"{FileName}, field '{field}': {what}", field);

        private JsonElement? Get(string field) =>
            root.TryGetProperty(field, out var v) && v.ValueKind != JsonValueKind.Undefined ? v : null;

        private JsonElement Required(string field) =>
            Get(field) ?? throw new ReportInputException(path, $"{FileName}: required field '{field}' is missing", field);

        public string RequiredString(string field)
        {
            var v = Required(field);
            return v.ValueKind == JsonValueKind.String ? v.GetString()! : throw Error(field, $"expected a string, found {Kind(v)}");
        }

        public string? OptionalString(string field)
        {
            var v = Get(field);
            if (v is null || v.Value.ValueKind == JsonValueKind.Null) return null;
            return v.Value.ValueKind == JsonValueKind.String ? v.Value.GetString() : throw Error(field, $"expected a string, found {Kind(v.Value)}");
        }

        public int RequiredInt(string field)
        {
            var v = Required(field);
            if (v.ValueKind == JsonValueKind.Number && v.TryGetInt32(out int i) && i >= 0) return i;
            throw Error(field, $"expected a non-negative integer, found {(v.ValueKind == JsonValueKind.Number ? v.GetRawText() : Kind(v))}");
        }

        public double RequiredNumber(string field, bool allowNull) => Number(field, Required(field), allowNull);

        public double? OptionalNumber(string field)
        {
            var v = Get(field);
            if (v is null || v.Value.ValueKind == JsonValueKind.Null) return null;
            return Number(field, v.Value, allowNull: false);
        }

        // Numbers, plus the named non-finite values .NET writes with AllowNamedFloatingPointLiterals.
        private double Number(string field, JsonElement v, bool allowNull)
        {
            switch (v.ValueKind)
            {
                case JsonValueKind.Number:
                    return v.GetDouble();
                case JsonValueKind.Null when allowNull:
                    return double.NaN;
                case JsonValueKind.String when CsvTable.TryParseNumber(v.GetString()!, out double d) && !double.IsFinite(d):
                    return d;
                default:
                    throw Error(field, $"expected a number, found {Kind(v)}{(v.ValueKind == JsonValueKind.String ? $" '{v.GetString()}'" : "")}");
            }
        }

        public IReadOnlyList<(string, double)>? OptionalNumberMap(string field)
        {
            var v = Get(field);
            if (v is null || v.Value.ValueKind == JsonValueKind.Null) return null;
            if (v.Value.ValueKind != JsonValueKind.Object) throw Error(field, $"expected an object of name → seconds, found {Kind(v.Value)}");
            var list = new List<(string, double)>();
            foreach (var p in v.Value.EnumerateObject())
            {
                if (p.Value.ValueKind != JsonValueKind.Number)
                    throw new ReportInputException(path, $"{FileName}, field '{field}.{p.Name}': expected a number, found {Kind(p.Value)}", $"{field}.{p.Name}");
                list.Add((p.Name, p.Value.GetDouble()));
            }
            return list;
        }

        public DateTimeOffset? OptionalTime(string field)
        {
            var v = Get(field);
            if (v is null || v.Value.ValueKind == JsonValueKind.Null) return null;
            if (v.Value.ValueKind == JsonValueKind.String &&
                DateTimeOffset.TryParse(v.Value.GetString(), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var t))
            {
                return t;
            }
            throw Error(field, $"expected an ISO 8601 time, found {(v.Value.ValueKind == JsonValueKind.String ? $"'{v.Value.GetString()}'" : Kind(v.Value))}");
        }
    }
}
