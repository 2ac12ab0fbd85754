namespace Mesh.Protocol;

/// <summary>An error as it travels on the wire: <c>{type, message, traceback, code}</c>.</summary>
/// <param name="Type">Remote exception type name.</param>
/// <param name="Message">Human-readable message.</param>
/// <param name="Traceback">Remote stack, one line per element, innermost last.</param>
/// <param name="Code">0 for handler errors, a reserved <see cref="ErrorCode"/> otherwise.</param>
public sealed record RemoteError(string Type, string Message, IReadOnlyList<string> Traceback, int Code)
{
    /// <summary>A protocol-level error with no traceback.</summary>
    public static RemoteError Protocol(ErrorCode code, string message) => new("mesh." + code, message, [], (int)code);

    /// <summary>An error describing a .NET exception thrown by a handler.</summary>
    public static RemoteError FromException(Exception e, ErrorCode code = ErrorCode.ApplicationError)
    {
        var lines = (e.StackTrace ?? "").Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToList();
        for (var inner = e.InnerException; inner is not null; inner = inner.InnerException)
            lines.Add($"---> {inner.GetType().FullName}: {inner.Message}");
        return new(e.GetType().FullName ?? e.GetType().Name, e.Message, lines, (int)code);
    }

    /// <summary>The wire map.</summary>
    public Dictionary<string, object?> ToMap() => new()
    {
        ["type"] = Type,
        ["message"] = Message,
        ["traceback"] = Traceback,
        ["code"] = (long)Code,
    };

    /// <summary>Reads the wire map; tolerant of missing fields so a foreign kernel's error still surfaces.</summary>
    public static RemoteError FromMap(object? value)
    {
        if (value is not IReadOnlyDictionary<string, object?> map)
            return new("mesh.MalformedError", $"error value is not a map: {value}", [], (int)ErrorCode.MalformedMessage);
        var tb = map.GetValueOrDefault("traceback") is object?[] arr ? arr.Select(x => x?.ToString() ?? "").ToArray() : [];
        return new(
            map.GetValueOrDefault("type") as string ?? "unknown",
            map.GetValueOrDefault("message") as string ?? "",
            tb,
            map.GetValueOrDefault("code") is long c ? (int)c : 0);
    }
}
