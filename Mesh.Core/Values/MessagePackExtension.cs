namespace Mesh.Values;

/// <summary>An ext value of a type the value model does not interpret; kept as its type and bytes.</summary>
/// <param name="Type">The application ext type.</param>
/// <param name="Data">The payload.</param>
public sealed record MessagePackExtension(sbyte Type, byte[] Data)
{
    /// <inheritdoc/>
    public bool Equals(MessagePackExtension? other) => other is not null && other.Type == Type && other.Data.AsSpan().SequenceEqual(Data);

    /// <inheritdoc/>
    public override int GetHashCode() => HashCode.Combine(Type, Data.Length);
}
