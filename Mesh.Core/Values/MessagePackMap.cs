namespace Mesh.Values;

/// <summary>
/// A map with a nil key, which no .NET dictionary can hold; kept as its entries in wire order.
/// Maps with string keys decode to <c>Dictionary&lt;string, object?&gt;</c>, other keys to
/// <c>Dictionary&lt;object, object?&gt;</c>.
/// </summary>
public sealed class MessagePackMap(IReadOnlyList<KeyValuePair<object?, object?>> entries)
{
    /// <summary>Entries in wire order.</summary>
    public IReadOnlyList<KeyValuePair<object?, object?>> Entries { get; } = entries;
}
