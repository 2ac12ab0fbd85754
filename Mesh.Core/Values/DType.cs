namespace Mesh.Values;

/// <summary>Element types of an <see cref="NDArray"/>, named as numpy names them on the wire.</summary>
public enum DType
{
    /// <summary>One byte, 0 or 1.</summary>
    Bool,
    /// <summary>int8.</summary>
    Int8,
    /// <summary>int16.</summary>
    Int16,
    /// <summary>int32.</summary>
    Int32,
    /// <summary>int64.</summary>
    Int64,
    /// <summary>uint8.</summary>
    UInt8,
    /// <summary>uint16.</summary>
    UInt16,
    /// <summary>uint32.</summary>
    UInt32,
    /// <summary>uint64.</summary>
    UInt64,
    /// <summary>float32.</summary>
    Float32,
    /// <summary>float64.</summary>
    Float64,
}

/// <summary>Wire names, sizes and CLR types of <see cref="DType"/>.</summary>
public static class DTypes
{
    private static readonly string[] Names = ["bool", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64", "float32", "float64"];
    private static readonly int[] Sizes = [1, 1, 2, 4, 8, 1, 2, 4, 8, 4, 8];
    private static readonly Type[] ClrTypes = [typeof(bool), typeof(sbyte), typeof(short), typeof(int), typeof(long), typeof(byte), typeof(ushort), typeof(uint), typeof(ulong), typeof(float), typeof(double)];

    /// <summary>The wire name (numpy's), e.g. <c>float64</c>.</summary>
    public static string WireName(this DType dtype) => Names[(int)dtype];

    /// <summary>Bytes per element.</summary>
    public static int ItemSize(this DType dtype) => Sizes[(int)dtype];

    /// <summary>The CLR element type.</summary>
    public static Type ClrType(this DType dtype) => ClrTypes[(int)dtype];

    /// <summary>Parses a wire name; returns false for an unknown one.</summary>
    public static bool TryParse(ReadOnlySpan<char> name, out DType dtype)
    {
        for (int i = 0; i < Names.Length; i++)
            if (name.SequenceEqual(Names[i])) { dtype = (DType)i; return true; }
        dtype = default;
        return false;
    }

    /// <summary>The dtype of a CLR element type, if it has one.</summary>
    public static bool TryFromClr(Type type, out DType dtype)
    {
        int i = Array.IndexOf(ClrTypes, type);
        dtype = i < 0 ? default : (DType)i;
        return i >= 0;
    }
}
