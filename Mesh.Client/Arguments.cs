namespace Mesh.Client;

/// <summary>
/// The arguments of a call: positional values in order plus named values.
/// <code>Arguments.Of(model, data).With("options", opts)</code>
/// </summary>
public sealed record Arguments
{
    /// <summary>No arguments.</summary>
    public static Arguments None { get; } = new();

    /// <summary>Positional arguments.</summary>
    public IReadOnlyList<object?> Positional { get; init; } = [];

    /// <summary>Named arguments.</summary>
    public IReadOnlyDictionary<string, object?> Named { get; init; } = new Dictionary<string, object?>();

    /// <summary>Positional arguments in order.</summary>
    public static Arguments Of(params object?[] positional) => new() { Positional = positional };

    /// <summary>A copy with one more named argument.</summary>
    public Arguments With(string name, object? value) =>
        this with { Named = new Dictionary<string, object?>(Named) { [name] = value } };
}
