using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Text;

namespace Mesh.Codec;

/// <summary>
/// Reads MessagePack from a span. Every length is checked against the bytes remaining before
/// anything is allocated, and nesting is limited, so hostile input fails with a
/// <see cref="MessagePackFormatException"/>, never with an allocation or a stack overflow.
/// </summary>
public ref struct MessagePackReader
{
    /// <summary>Default maximum nesting depth (docs/protocol.md section 2.3).</summary>
    public const int DefaultMaxDepth = 64;

    private readonly ReadOnlySpan<byte> _data;
    private int _pos;

    /// <summary>Creates a reader over <paramref name="data"/>.</summary>
    public MessagePackReader(ReadOnlySpan<byte> data, int maxDepth = DefaultMaxDepth)
    {
        _data = data;
        _pos = 0;
        MaxDepth = maxDepth;
        Depth = 0;
    }

    /// <summary>Maximum nesting of arrays, maps and ext payloads.</summary>
    public int MaxDepth { get; }

    /// <summary>Current nesting depth, maintained by callers through <see cref="Enter"/>/<see cref="Leave"/>.</summary>
    public int Depth { get; private set; }

    /// <summary>Bytes consumed so far.</summary>
    public readonly int Position => _pos;

    /// <summary>True when every byte has been read.</summary>
    public readonly bool End => _pos >= _data.Length;

    /// <summary>Bytes not yet read.</summary>
    public readonly int Remaining => _data.Length - _pos;

    /// <summary>Enters one nesting level (call when descending into an array, map or ext payload).</summary>
    public void Enter()
    {
        if (++Depth > MaxDepth) throw Error($"nesting deeper than {MaxDepth}");
    }

    /// <summary>Leaves one nesting level.</summary>
    public void Leave() => Depth--;

    /// <summary>Throws unless every byte has been consumed.</summary>
    public readonly void EnsureEnd()
    {
        if (_pos != _data.Length) throw Error($"{_data.Length - _pos} trailing bytes after the value");
    }

    /// <summary>The type of the next value.</summary>
    public readonly MessagePackType PeekType()
    {
        if (_pos >= _data.Length) throw Error("unexpected end of data");
        byte b = _data[_pos];
        return b switch
        {
            <= 0x7f => MessagePackType.Integer,
            <= 0x8f => MessagePackType.Map,
            <= 0x9f => MessagePackType.Array,
            <= 0xbf => MessagePackType.String,
            0xc0 => MessagePackType.Nil,
            0xc1 => throw Error("0xc1 is never used in MessagePack"),
            0xc2 or 0xc3 => MessagePackType.Boolean,
            0xc4 or 0xc5 or 0xc6 => MessagePackType.Binary,
            0xc7 or 0xc8 or 0xc9 => MessagePackType.Extension,
            0xca or 0xcb => MessagePackType.Float,
            >= 0xcc and <= 0xd3 => MessagePackType.Integer,
            >= 0xd4 and <= 0xd8 => MessagePackType.Extension,
            >= 0xd9 and <= 0xdb => MessagePackType.String,
            0xdc or 0xdd => MessagePackType.Array,
            0xde or 0xdf => MessagePackType.Map,
            _ => MessagePackType.Integer, // negative fixint 0xe0..0xff
        };
    }

    /// <summary>The next format byte, not consumed.</summary>
    public readonly byte PeekFormat() => _pos < _data.Length ? _data[_pos] : throw Error("unexpected end of data");

    /// <summary>Reads nil if it is next and returns true; otherwise leaves the position unchanged.</summary>
    public bool TryReadNil()
    {
        if (_pos < _data.Length && _data[_pos] == 0xc0) { _pos++; return true; }
        return false;
    }

    /// <summary>Reads nil.</summary>
    public void ReadNil()
    {
        if (!TryReadNil()) throw TypeError("nil");
    }

    /// <summary>Reads a boolean.</summary>
    public bool ReadBoolean()
    {
        byte b = ReadByte();
        return b switch { 0xc2 => false, 0xc3 => true, _ => throw TypeError("boolean", -1) };
    }

    /// <summary>Reads any integer format that fits in a <see cref="long"/>.</summary>
    public long ReadInt64()
    {
        int start = _pos;
        byte b = ReadByte();
        if (b <= 0x7f) return b;
        if (b >= 0xe0) return unchecked((sbyte)b);
        switch (b)
        {
            case 0xcc: return ReadByte();
            case 0xcd: return BinaryPrimitives.ReadUInt16BigEndian(Take(2));
            case 0xce: return BinaryPrimitives.ReadUInt32BigEndian(Take(4));
            case 0xcf:
                ulong u = BinaryPrimitives.ReadUInt64BigEndian(Take(8));
                if (u > long.MaxValue) { _pos = start; throw Error("integer does not fit in int64"); }
                return (long)u;
            case 0xd0: return unchecked((sbyte)ReadByte());
            case 0xd1: return BinaryPrimitives.ReadInt16BigEndian(Take(2));
            case 0xd2: return BinaryPrimitives.ReadInt32BigEndian(Take(4));
            case 0xd3: return BinaryPrimitives.ReadInt64BigEndian(Take(8));
            default: _pos = start; throw TypeError("integer");
        }
    }

    /// <summary>Reads any non-negative integer format as a <see cref="ulong"/>.</summary>
    public ulong ReadUInt64()
    {
        if (_pos < _data.Length && _data[_pos] == 0xcf) { _pos++; return BinaryPrimitives.ReadUInt64BigEndian(Take(8)); }
        int start = _pos;
        long v = ReadInt64();
        if (v < 0) { _pos = start; throw Error("negative integer where an unsigned one is required"); }
        return (ulong)v;
    }

    /// <summary>Reads an integer, returning <see cref="ulong"/> only when it exceeds <see cref="long.MaxValue"/>.</summary>
    public object ReadInteger()
    {
        if (_pos < _data.Length && _data[_pos] == 0xcf)
        {
            ulong u = ReadUInt64();
            return u > long.MaxValue ? u : (long)u;
        }
        return ReadInt64();
    }

    /// <summary>Reads a float 32, float 64, or an integer, as a double.</summary>
    public double ReadDouble()
    {
        if (_pos >= _data.Length) throw Error("unexpected end of data");
        byte b = _data[_pos];
        if (b == 0xcb) { _pos++; return BinaryPrimitives.ReadDoubleBigEndian(Take(8)); }
        if (b == 0xca) { _pos++; return BinaryPrimitives.ReadSingleBigEndian(Take(4)); }
        if (b == 0xcf) return ReadUInt64();
        if (PeekType() == MessagePackType.Integer) return ReadInt64();
        throw TypeError("float");
    }

    /// <summary>Reads a float 32 exactly (no widening), for byte-exact round trips.</summary>
    public float ReadSingle()
    {
        if (_pos < _data.Length && _data[_pos] == 0xca) { _pos++; return BinaryPrimitives.ReadSingleBigEndian(Take(4)); }
        throw TypeError("float32");
    }

    /// <summary>Reads the header of a str and returns its UTF-8 bytes.</summary>
    public ReadOnlySpan<byte> ReadStringBytes()
    {
        byte b = ReadByte();
        int len;
        if ((b & 0xe0) == 0xa0) len = b & 0x1f;
        else if (b == 0xd9) len = ReadByte();
        else if (b == 0xda) len = BinaryPrimitives.ReadUInt16BigEndian(Take(2));
        else if (b == 0xdb) len = CheckedLength(BinaryPrimitives.ReadUInt32BigEndian(Take(4)));
        else { _pos--; throw TypeError("string"); }
        return Take(len);
    }

    /// <summary>Reads a str (or nil, returned as null).</summary>
    public string? ReadString()
    {
        if (TryReadNil()) return null;
        int start = _pos;
        var bytes = ReadStringBytes();
        try { return StrictUtf8.GetString(bytes); }
        catch (DecoderFallbackException) { _pos = start; throw Error("string is not valid UTF-8"); }
    }

    private static readonly UTF8Encoding StrictUtf8 = new(false, true);

    /// <summary>Decodes UTF-8 strictly (invalid sequences are an error, not replaced).</summary>
    public static bool TryDecodeUtf8(ReadOnlySpan<byte> bytes, out string value)
    {
        try { value = StrictUtf8.GetString(bytes); return true; }
        catch (DecoderFallbackException) { value = ""; return false; }
    }

    /// <summary>Reads bin and returns its bytes (a slice of the input, not a copy).</summary>
    public ReadOnlySpan<byte> ReadBinary()
    {
        byte b = ReadByte();
        int len = b switch
        {
            0xc4 => ReadByte(),
            0xc5 => BinaryPrimitives.ReadUInt16BigEndian(Take(2)),
            0xc6 => CheckedLength(BinaryPrimitives.ReadUInt32BigEndian(Take(4))),
            _ => throw TypeError("binary", -1),
        };
        return Take(len);
    }

    /// <summary>Reads an array header; the count is checked against the bytes remaining.</summary>
    public int ReadArrayHeader()
    {
        byte b = ReadByte();
        int count;
        if ((b & 0xf0) == 0x90) count = b & 0x0f;
        else if (b == 0xdc) count = BinaryPrimitives.ReadUInt16BigEndian(Take(2));
        else if (b == 0xdd) count = CheckedLength(BinaryPrimitives.ReadUInt32BigEndian(Take(4)));
        else { _pos--; throw TypeError("array"); }
        if (count > Remaining) throw Error($"array of {count} elements cannot fit in {Remaining} remaining bytes");
        return count;
    }

    /// <summary>Reads a map header; the count is checked against the bytes remaining.</summary>
    public int ReadMapHeader()
    {
        byte b = ReadByte();
        int count;
        if ((b & 0xf0) == 0x80) count = b & 0x0f;
        else if (b == 0xde) count = BinaryPrimitives.ReadUInt16BigEndian(Take(2));
        else if (b == 0xdf) count = CheckedLength(BinaryPrimitives.ReadUInt32BigEndian(Take(4)));
        else { _pos--; throw TypeError("map"); }
        if ((long)count * 2 > Remaining) throw Error($"map of {count} entries cannot fit in {Remaining} remaining bytes");
        return count;
    }

    /// <summary>Reads an ext header: its type and the payload length (checked against the bytes remaining).</summary>
    public (sbyte Type, int Length) ReadExtensionHeader()
    {
        byte b = ReadByte();
        int len = b switch
        {
            0xd4 => 1, 0xd5 => 2, 0xd6 => 4, 0xd7 => 8, 0xd8 => 16,
            0xc7 => ReadByte(),
            0xc8 => BinaryPrimitives.ReadUInt16BigEndian(Take(2)),
            0xc9 => CheckedLength(BinaryPrimitives.ReadUInt32BigEndian(Take(4))),
            _ => throw TypeError("ext", -1),
        };
        sbyte type = unchecked((sbyte)ReadByte());
        if (len > Remaining) throw Error($"ext payload of {len} bytes exceeds the {Remaining} remaining");
        return (type, len);
    }

    /// <summary>Reads <paramref name="length"/> raw bytes (an ext payload).</summary>
    public ReadOnlySpan<byte> ReadRaw(int length) => Take(length);

    /// <summary>Decodes a timestamp payload (any of the three formats) to a UTC <see cref="DateTime"/>.</summary>
    public static DateTime DecodeTimestamp(ReadOnlySpan<byte> payload)
    {
        long seconds; uint nanos;
        switch (payload.Length)
        {
            case 4: seconds = BinaryPrimitives.ReadUInt32BigEndian(payload); nanos = 0; break;
            case 8:
                ulong d = BinaryPrimitives.ReadUInt64BigEndian(payload);
                nanos = (uint)(d >> 34); seconds = (long)(d & 0x3_ffff_ffffUL); break;
            case 12: nanos = BinaryPrimitives.ReadUInt32BigEndian(payload); seconds = BinaryPrimitives.ReadInt64BigEndian(payload[4..]); break;
            default: throw new MessagePackFormatException($"timestamp payload of {payload.Length} bytes", 0);
        }
        if (nanos > 999_999_999) throw new MessagePackFormatException("timestamp nanoseconds above 999999999", 0);
        long maxSeconds = (DateTime.MaxValue.Ticks - DateTime.UnixEpoch.Ticks) / TimeSpan.TicksPerSecond;
        long minSeconds = (DateTime.MinValue.Ticks - DateTime.UnixEpoch.Ticks) / TimeSpan.TicksPerSecond;
        if (seconds > maxSeconds || seconds < minSeconds) throw new MessagePackFormatException("timestamp outside the range of DateTime", 0);
        return new DateTime(DateTime.UnixEpoch.Ticks + seconds * TimeSpan.TicksPerSecond + nanos / 100, DateTimeKind.Utc);
    }

    /// <summary>Returns (seconds, nanoseconds) of a timestamp payload without range limits.</summary>
    public static (long Seconds, uint Nanoseconds) DecodeTimestampParts(ReadOnlySpan<byte> payload) => payload.Length switch
    {
        4 => (BinaryPrimitives.ReadUInt32BigEndian(payload), 0u),
        8 => ((long)(BinaryPrimitives.ReadUInt64BigEndian(payload) & 0x3_ffff_ffffUL), (uint)(BinaryPrimitives.ReadUInt64BigEndian(payload) >> 34)),
        12 => (BinaryPrimitives.ReadInt64BigEndian(payload[4..]), BinaryPrimitives.ReadUInt32BigEndian(payload)),
        _ => throw new MessagePackFormatException($"timestamp payload of {payload.Length} bytes", 0),
    };

    /// <summary>Skips the next value, whatever it is (depth-limited).</summary>
    public void Skip()
    {
        switch (PeekType())
        {
            case MessagePackType.Nil: case MessagePackType.Boolean: _pos++; break;
            case MessagePackType.Integer: ReadInteger(); break;
            case MessagePackType.Float: ReadDouble(); break;
            case MessagePackType.String: ReadStringBytes(); break;
            case MessagePackType.Binary: ReadBinary(); break;
            case MessagePackType.Extension: { var (_, len) = ReadExtensionHeader(); Take(len); break; }
            case MessagePackType.Array:
                {
                    int n = ReadArrayHeader();
                    Enter();
                    for (int i = 0; i < n; i++) Skip();
                    Leave();
                    break;
                }
            case MessagePackType.Map:
                {
                    int n = ReadMapHeader();
                    Enter();
                    for (int i = 0; i < 2 * n; i++) Skip();
                    Leave();
                    break;
                }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private byte ReadByte()
    {
        if (_pos >= _data.Length) throw Error("unexpected end of data");
        return _data[_pos++];
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private ReadOnlySpan<byte> Take(int n)
    {
        if (n < 0 || n > _data.Length - _pos) throw Error($"length {n} exceeds the {_data.Length - _pos} bytes remaining");
        var s = _data.Slice(_pos, n);
        _pos += n;
        return s;
    }

    private readonly int CheckedLength(uint len) =>
        len > int.MaxValue ? throw Error($"length {len} exceeds the supported maximum") : (int)len;

    private readonly MessagePackFormatException Error(string message) => new(message, _pos);

    private readonly MessagePackFormatException TypeError(string expected, int adjust = 0)
    {
        int at = _pos + adjust;
        string found = at >= 0 && at < _data.Length ? $"0x{_data[at]:x2}" : "end of data";
        return new MessagePackFormatException($"expected {expected}, found {found}", at);
    }
}
