using System.Globalization;
using System.Text.Json;
using OgClews.Runner;
using OgClews.Server.Runs;
using OgClews.Server.Store;

namespace OgClews.Server.Api;

/// <summary>
/// Reads a run request body field by field, so every mistake is reported under the field's own name
/// (a generic binder would say "the JSON value could not be converted" about the whole body), and
/// unknown fields are refused instead of silently ignored (a typo like <c>tol</c> would otherwise
/// run with the default tolerance).
/// </summary>
internal static class RunRequestReader
{
    public const int DefaultPriority = 5;
    private static readonly string[] Fields = ["scenario", "method", "tolerance", "maxIterations", "priority", "alpha", "andersonDepth", "macro"];

    /// <summary>The spec and priority, or the errors by field.</summary>
    public static (RunSpec? Spec, int Priority, Dictionary<string, string[]> Errors) Read(JsonElement body, ScenarioCatalog scenarios)
    {
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        void Error(string field, string message) => errors[field] = [message];
        if (body.ValueKind != JsonValueKind.Object)
        {
            Error("body", $"expected a JSON object with the run's settings, got {Kind(body)}");
            return (null, 0, errors);
        }
        foreach (var p in body.EnumerateObject())
        {
            if (!Fields.Contains(p.Name, StringComparer.Ordinal))
                Error(p.Name, $"unknown field; the fields are {string.Join(", ", Fields)}");
        }

        var defaults = new CoupledRunOptions { OutputFolder = "-" };
        string scenario = String(body, "scenario", "demo", errors);
        if (!errors.ContainsKey("scenario") && !scenarios.Contains(scenario))
            Error("scenario", $"unknown scenario '{scenario}'; known are {string.Join(", ", scenarios.List().Select(s => s.Name))}");
        string method = String(body, "method", defaults.Method, errors);
        if (!errors.ContainsKey("method") && !CoupledRunOptions.Methods.Contains(method))
            Error("method", $"'{method}' is not one of {string.Join(", ", CoupledRunOptions.Methods)}");
        double tolerance = Number(body, "tolerance", defaults.Tolerance, errors);
        if (!errors.ContainsKey("tolerance") && !(tolerance > 0 && tolerance < 1))
            Error("tolerance", F($"must be greater than 0 and less than 1, got {tolerance}"));
        int maxIterations = Integer(body, "maxIterations", defaults.MaxIterations, 1, 10_000, errors);
        int priority = Integer(body, "priority", DefaultPriority, 1, 10, errors);
        double alpha = Number(body, "alpha", defaults.Alpha, errors);
        if (!errors.ContainsKey("alpha") && !(alpha > 0 && alpha <= 1))
            Error("alpha", F($"must be greater than 0 and at most 1, got {alpha}"));
        int depth = Integer(body, "andersonDepth", defaults.AndersonDepth, 1, 50, errors);

        var macro = new Dictionary<string, double>(StringComparer.Ordinal);
        if (body.TryGetProperty("macro", out var m) && m.ValueKind != JsonValueKind.Null)
        {
            if (m.ValueKind != JsonValueKind.Object)
                Error("macro", $"expected an object of parameter values such as {{\"S\": 40}}, got {Kind(m)}");
            else
            {
                foreach (var p in m.EnumerateObject())
                {
                    if (p.Value.ValueKind != JsonValueKind.Number)
                    {
                        Error("macro." + p.Name, $"expected a number, got {Kind(p.Value)}");
                        continue;
                    }
                    double v = p.Value.GetDouble();
                    if (MacroParameters.Check(p.Name, v) is { } why) Error("macro." + p.Name, why);
                    else macro[p.Name] = v;
                }
            }
        }
        if (errors.Count > 0) return (null, 0, errors);
        return (new RunSpec(scenario, method, tolerance, maxIterations, alpha, depth, macro), priority, errors);
    }

    /// <summary>The rerun body: nothing, or a priority.</summary>
    public static (int? Priority, Dictionary<string, string[]> Errors) ReadRerun(JsonElement? body)
    {
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        if (body is not { } b || b.ValueKind == JsonValueKind.Null) return (null, errors);
        if (b.ValueKind != JsonValueKind.Object)
        {
            errors["body"] = [$"expected a JSON object such as {{\"priority\": 8}}, got {Kind(b)}"];
            return (null, errors);
        }
        foreach (var p in b.EnumerateObject().Where(p => p.Name != "priority"))
            errors[p.Name] = ["unknown field; a rerun takes only priority (the other settings are the original run's)"];
        int? priority = b.TryGetProperty("priority", out _) ? Integer(b, "priority", DefaultPriority, 1, 10, errors) : null;
        return (priority, errors);
    }

    private static string String(JsonElement body, string field, string fallback, Dictionary<string, string[]> errors)
    {
        if (!body.TryGetProperty(field, out var v) || v.ValueKind == JsonValueKind.Null) return fallback;
        if (v.ValueKind == JsonValueKind.String) return v.GetString()!;
        errors[field] = [$"expected a string, got {Kind(v)}"];
        return fallback;
    }

    private static double Number(JsonElement body, string field, double fallback, Dictionary<string, string[]> errors)
    {
        if (!body.TryGetProperty(field, out var v) || v.ValueKind == JsonValueKind.Null) return fallback;
        if (v.ValueKind == JsonValueKind.Number) return v.GetDouble();
        errors[field] = [$"expected a number, got {Kind(v)}"];
        return fallback;
    }

    private static int Integer(JsonElement body, string field, int fallback, int min, int max, Dictionary<string, string[]> errors)
    {
        if (!body.TryGetProperty(field, out var v) || v.ValueKind == JsonValueKind.Null) return fallback;
        if (v.ValueKind == JsonValueKind.Number && v.TryGetDouble(out double d) && d == Math.Floor(d) && d >= min && d <= max) return (int)d;
        errors[field] = [v.ValueKind == JsonValueKind.Number
            ? F($"must be an integer from {min} to {max}, got {v.GetRawText()}")
            : $"expected an integer from {min} to {max}, got {Kind(v)}"];
        return fallback;
    }

    private static string Kind(JsonElement e) => e.ValueKind switch
    {
        JsonValueKind.String => $"the string \"{Truncate(e.GetString()!)}\"",
        JsonValueKind.Array => "an array",
        JsonValueKind.Object => "an object",
        JsonValueKind.True or JsonValueKind.False => "a boolean",
        JsonValueKind.Null => "null",
        _ => e.GetRawText(),
    };

    private static string Truncate(string s) => s.Length <= 40 ? s : s[..40] + "…";

    private static string F(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
}
