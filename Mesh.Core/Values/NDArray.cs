using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Mesh.Values;

/// <summary>
/// A typed n-dimensional array in row-major order: the value model's ext 1. It wraps a CLR array
/// of any rank (<c>double[]</c>, <c>double[,]</c>…) without copying; on the wire its bytes travel
/// as one raw frame.
/// </summary>
public sealed class NDArray : IEquatable<NDArray>
{
    /// <summary>Wraps <paramref name="data"/> (a primitive array of any rank); the shape is the array's.</summary>
    public NDArray(Array data)
    {
        ArgumentNullException.ThrowIfNull(data);
        var elementType = data.GetType().GetElementType()!;
        if (!DTypes.TryFromClr(elementType, out var dtype))
            throw new ArgumentException($"arrays of {elementType.Name} have no wire dtype; use a numeric or bool element type", nameof(data));
        Data = data;
        DType = dtype;
        var shape = new long[data.Rank];
        for (int i = 0; i < shape.Length; i++) shape[i] = data.GetLength(i);
        Shape = shape;
    }

    /// <summary>Wraps a flat array with an explicit row-major shape.</summary>
    public NDArray(Array flatData, long[] shape) : this(flatData)
    {
        if (flatData.Rank != 1) throw new ArgumentException("data must be one-dimensional when a shape is given", nameof(flatData));
        long count = 1;
        foreach (var d in shape)
        {
            if (d < 0) throw new ArgumentException("shape dimensions must be non-negative", nameof(shape));
            count = checked(count * d);
        }
        if (count != flatData.LongLength) throw new ArgumentException($"shape [{string.Join(", ", shape)}] has {count} elements but the data has {flatData.LongLength}", nameof(shape));
        Shape = shape;
    }

    /// <summary>The element type.</summary>
    public DType DType { get; }

    /// <summary>Dimensions, outermost first.</summary>
    public long[] Shape { get; }

    /// <summary>The underlying CLR array (any rank, row-major).</summary>
    public Array Data { get; }

    /// <summary>Number of elements.</summary>
    public long Length => Data.LongLength;

    /// <summary>Size of the data in bytes.</summary>
    public long ByteLength => Data.LongLength * DType.ItemSize();

    /// <summary>The raw little-endian bytes, without copying.</summary>
    public Span<byte> AsBytes() =>
        MemoryMarshal.CreateSpan(ref MemoryMarshal.GetArrayDataReference(Data), checked((int)ByteLength));

    /// <summary>
    /// The data as a one-dimensional <typeparamref name="T"/>[]: the wrapped array itself when it
    /// is one, otherwise a row-major copy.
    /// </summary>
    public T[] ToFlatArray<T>() where T : unmanaged
    {
        CheckElement<T>();
        if (Data is T[] flat) return flat;
        var copy = new T[Data.LongLength];
        AsBytes().CopyTo(MemoryMarshal.AsBytes(copy.AsSpan()));
        return copy;
    }

    /// <summary>The data as a 2-D array (the wrapped one when it already is, otherwise a copy).</summary>
    public T[,] To2D<T>() where T : unmanaged
    {
        CheckElement<T>();
        if (Shape.Length != 2) throw new InvalidCastException($"a {Shape.Length}-D array cannot be read as a 2-D array");
        if (Data is T[,] m) return m;
        var copy = new T[Shape[0], Shape[1]];
        AsBytes().CopyTo(MemoryMarshal.CreateSpan(ref MemoryMarshal.GetArrayDataReference((Array)copy), checked((int)ByteLength)));
        return copy;
    }

    /// <summary>The data as a CLR array of the given rank and element type (copy when needed).</summary>
    public Array ToArray(Type arrayType)
    {
        if (arrayType.IsInstanceOfType(Data)) return Data;
        var elementType = arrayType.GetElementType()!;
        if (elementType != DType.ClrType()) throw new InvalidCastException($"a {DType.WireName()} array cannot be read as {elementType.Name}[]");
        int rank = arrayType.GetArrayRank();
        if (rank != 1 && rank != Shape.Length) throw new InvalidCastException($"a {Shape.Length}-D array cannot be read as a {rank}-D array");
        Array target = rank == 1 && !arrayType.IsVariableBoundArray
            ? Array.CreateInstance(elementType, Data.LongLength)
            : Array.CreateInstance(elementType, Shape.Select(d => checked((int)d)).ToArray());
        AsBytes().CopyTo(MemoryMarshal.CreateSpan(ref MemoryMarshal.GetArrayDataReference(target), checked((int)ByteLength)));
        return target;
    }

    private void CheckElement<T>()
    {
        if (typeof(T) != DType.ClrType()) throw new InvalidCastException($"a {DType.WireName()} array cannot be read as {typeof(T).Name}");
    }

    /// <summary>Same dtype, shape and bytes.</summary>
    public bool Equals(NDArray? other) =>
        other is not null && other.DType == DType && other.Shape.AsSpan().SequenceEqual(Shape) && other.AsBytes().SequenceEqual(AsBytes());

    /// <inheritdoc/>
    public override bool Equals(object? obj) => Equals(obj as NDArray);

    /// <inheritdoc/>
    public override int GetHashCode() => HashCode.Combine(DType, Shape.Length, Length);

    /// <inheritdoc/>
    public override string ToString() => $"NDArray<{DType.WireName()}>[{string.Join(", ", Shape)}]";
}
