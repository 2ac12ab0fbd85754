namespace Mesh.Codec;

/// <summary>The MessagePack type families.</summary>
public enum MessagePackType
{
    /// <summary>nil.</summary>
    Nil,
    /// <summary>true / false.</summary>
    Boolean,
    /// <summary>Any integer format.</summary>
    Integer,
    /// <summary>float 32 or float 64.</summary>
    Float,
    /// <summary>str.</summary>
    String,
    /// <summary>bin.</summary>
    Binary,
    /// <summary>array.</summary>
    Array,
    /// <summary>map.</summary>
    Map,
    /// <summary>ext (including timestamps).</summary>
    Extension,
}
