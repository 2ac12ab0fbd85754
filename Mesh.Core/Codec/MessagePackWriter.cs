using System.Buffers;
using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Text;

namespace Mesh.Codec;

/// <summary>
/// Writes MessagePack into an <see cref="IBufferWriter{T}"/> using the smallest encoding of every
/// value (docs/protocol.md section 4.1), so output is byte-identical to Python's
/// <c>msgpack.packb(v, use_bin_type=True)</c>.
/// </summary>
public ref struct MessagePackWriter
{
    private readonly IBufferWriter<byte> _output;

    /// <summary>Creates a writer appending to <paramref name="output"/>.</summary>
    public MessagePackWriter(IBufferWriter<byte> output) => _output = output;

    /// <summary>Writes nil.</summary>
    public void WriteNil() => WriteByte(0xc0);

    /// <summary>Writes a boolean.</summary>
    public void Write(bool value) => WriteByte(value ? (byte)0xc3 : (byte)0xc2);

    /// <summary>Writes a signed integer in its smallest format.</summary>
    public void Write(long value)
    {
        if (value >= 0) { Write((ulong)value); return; }
        var span = _output.GetSpan(9);
        int n;
        if (value >= -32) { span[0] = unchecked((byte)(sbyte)value); n = 1; }
        else if (value >= sbyte.MinValue) { span[0] = 0xd0; span[1] = unchecked((byte)(sbyte)value); n = 2; }
        else if (value >= short.MinValue) { span[0] = 0xd1; BinaryPrimitives.WriteInt16BigEndian(span[1..], (short)value); n = 3; }
        else if (value >= int.MinValue) { span[0] = 0xd2; BinaryPrimitives.WriteInt32BigEndian(span[1..], (int)value); n = 5; }
        else { span[0] = 0xd3; BinaryPrimitives.WriteInt64BigEndian(span[1..], value); n = 9; }
        _output.Advance(n);
    }

    /// <summary>Writes an unsigned integer in its smallest format.</summary>
    public void Write(ulong value)
    {
        var span = _output.GetSpan(9);
        int n;
        if (value <= 0x7f) { span[0] = (byte)value; n = 1; }
        else if (value <= byte.MaxValue) { span[0] = 0xcc; span[1] = (byte)value; n = 2; }
        else if (value <= ushort.MaxValue) { span[0] = 0xcd; BinaryPrimitives.WriteUInt16BigEndian(span[1..], (ushort)value); n = 3; }
        else if (value <= uint.MaxValue) { span[0] = 0xce; BinaryPrimitives.WriteUInt32BigEndian(span[1..], (uint)value); n = 5; }
        else { span[0] = 0xcf; BinaryPrimitives.WriteUInt64BigEndian(span[1..], value); n = 9; }
        _output.Advance(n);
    }

    /// <summary>Writes a float 64.</summary>
    public void Write(double value)
    {
        var span = _output.GetSpan(9);
        span[0] = 0xcb;
        BinaryPrimitives.WriteDoubleBigEndian(span[1..], value);
        _output.Advance(9);
    }

    /// <summary>Writes a float 32.</summary>
    public void Write(float value)
    {
        var span = _output.GetSpan(5);
        span[0] = 0xca;
        BinaryPrimitives.WriteSingleBigEndian(span[1..], value);
        _output.Advance(5);
    }

    /// <summary>Writes a UTF-8 string (nil for null).</summary>
    public void Write(string? value)
    {
        if (value is null) { WriteNil(); return; }
        if (value.Length <= 31)
        {
            // Most strings on the wire (map keys, ids, type names) are short ASCII: narrow them
            // straight after a fixstr header, one pass, no scratch copy.
            var fix = _output.GetSpan(1 + value.Length);
            if (Ascii.FromUtf16(value, fix[1..], out int ascii) == OperationStatus.Done)
            {
                fix[0] = (byte)(0xa0 | ascii);
                _output.Advance(1 + ascii);
                return;
            }
        }
        int max = Encoding.UTF8.GetMaxByteCount(value.Length);
        if (max <= 256)
        {
            // Short strings (all header keys and message types): encode once into scratch, no second pass.
            Span<byte> scratch = stackalloc byte[256];
            int len = Encoding.UTF8.GetBytes(value, scratch);
            WriteStringHeader(len);
            WriteRaw(scratch[..len]);
            return;
        }
        int count = Encoding.UTF8.GetByteCount(value);
        WriteStringHeader(count);
        var span = _output.GetSpan(count);
        Encoding.UTF8.GetBytes(value, span);
        _output.Advance(count);
    }

    /// <summary>Writes an already UTF-8 encoded string.</summary>
    public void WriteString(scoped ReadOnlySpan<byte> utf8)
    {
        WriteStringHeader(utf8.Length);
        WriteRaw(utf8);
    }

    /// <summary>Writes a str header for <paramref name="byteCount"/> UTF-8 bytes.</summary>
    public void WriteStringHeader(int byteCount)
    {
        var span = _output.GetSpan(5);
        if (byteCount <= 31) { span[0] = (byte)(0xa0 | byteCount); _output.Advance(1); }
        else if (byteCount <= byte.MaxValue) { span[0] = 0xd9; span[1] = (byte)byteCount; _output.Advance(2); }
        else if (byteCount <= ushort.MaxValue) { span[0] = 0xda; BinaryPrimitives.WriteUInt16BigEndian(span[1..], (ushort)byteCount); _output.Advance(3); }
        else { span[0] = 0xdb; BinaryPrimitives.WriteUInt32BigEndian(span[1..], (uint)byteCount); _output.Advance(5); }
    }

    /// <summary>Writes bin.</summary>
    public void WriteBinary(scoped ReadOnlySpan<byte> value)
    {
        WriteBinaryHeader(value.Length);
        WriteRaw(value);
    }

    /// <summary>Writes a bin header.</summary>
    public void WriteBinaryHeader(int length)
    {
        var span = _output.GetSpan(5);
        if (length <= byte.MaxValue) { span[0] = 0xc4; span[1] = (byte)length; _output.Advance(2); }
        else if (length <= ushort.MaxValue) { span[0] = 0xc5; BinaryPrimitives.WriteUInt16BigEndian(span[1..], (ushort)length); _output.Advance(3); }
        else { span[0] = 0xc6; BinaryPrimitives.WriteUInt32BigEndian(span[1..], (uint)length); _output.Advance(5); }
    }

    /// <summary>Writes an array header for <paramref name="count"/> elements.</summary>
    public void WriteArrayHeader(int count) => WriteCollectionHeader(count, 0x90, 0xdc, 0xdd);

    /// <summary>Writes a map header for <paramref name="count"/> entries.</summary>
    public void WriteMapHeader(int count) => WriteCollectionHeader(count, 0x80, 0xde, 0xdf);

    private void WriteCollectionHeader(int count, byte fix, byte c16, byte c32)
    {
        var span = _output.GetSpan(5);
        if (count <= 15) { span[0] = (byte)(fix | count); _output.Advance(1); }
        else if (count <= ushort.MaxValue) { span[0] = c16; BinaryPrimitives.WriteUInt16BigEndian(span[1..], (ushort)count); _output.Advance(3); }
        else { span[0] = c32; BinaryPrimitives.WriteUInt32BigEndian(span[1..], (uint)count); _output.Advance(5); }
    }

    /// <summary>Writes an ext header (fixext when the length allows, as the spec requires).</summary>
    public void WriteExtensionHeader(sbyte type, int length)
    {
        var span = _output.GetSpan(6);
        int n;
        switch (length)
        {
            case 1: span[0] = 0xd4; n = 1; break;
            case 2: span[0] = 0xd5; n = 1; break;
            case 4: span[0] = 0xd6; n = 1; break;
            case 8: span[0] = 0xd7; n = 1; break;
            case 16: span[0] = 0xd8; n = 1; break;
            default:
                if (length <= byte.MaxValue) { span[0] = 0xc7; span[1] = (byte)length; n = 2; }
                else if (length <= ushort.MaxValue) { span[0] = 0xc8; BinaryPrimitives.WriteUInt16BigEndian(span[1..], (ushort)length); n = 3; }
                else { span[0] = 0xc9; BinaryPrimitives.WriteUInt32BigEndian(span[1..], (uint)length); n = 5; }
                break;
        }
        span[n] = unchecked((byte)type);
        _output.Advance(n + 1);
    }

    /// <summary>Writes a whole ext value.</summary>
    public void WriteExtension(sbyte type, scoped ReadOnlySpan<byte> data)
    {
        WriteExtensionHeader(type, data.Length);
        WriteRaw(data);
    }

    /// <summary>Writes a timestamp (ext −1) in the smallest of its three formats.</summary>
    public void Write(DateTime value)
    {
        var utc = value.Kind == DateTimeKind.Local ? value.ToUniversalTime() : value;
        long ticks = utc.Ticks - DateTime.UnixEpoch.Ticks;
        long seconds = Math.DivRem(ticks, TimeSpan.TicksPerSecond, out long rem);
        if (rem < 0) { seconds--; rem += TimeSpan.TicksPerSecond; }
        WriteTimestamp(seconds, (uint)(rem * 100));
    }

    /// <summary>Writes a timestamp from seconds since the Unix epoch and nanoseconds.</summary>
    public void WriteTimestamp(long seconds, uint nanoseconds)
    {
        if ((seconds >> 34) == 0)
        {
            ulong data64 = ((ulong)nanoseconds << 34) | (ulong)seconds;
            if ((data64 & 0xffffffff00000000UL) == 0)
            {
                WriteExtensionHeader(-1, 4);
                var s4 = _output.GetSpan(4);
                BinaryPrimitives.WriteUInt32BigEndian(s4, (uint)data64);
                _output.Advance(4);
            }
            else
            {
                WriteExtensionHeader(-1, 8);
                var s8 = _output.GetSpan(8);
                BinaryPrimitives.WriteUInt64BigEndian(s8, data64);
                _output.Advance(8);
            }
            return;
        }
        WriteExtensionHeader(-1, 12);
        var s = _output.GetSpan(12);
        BinaryPrimitives.WriteUInt32BigEndian(s, nanoseconds);
        BinaryPrimitives.WriteInt64BigEndian(s[4..], seconds);
        _output.Advance(12);
    }

    /// <summary>Copies already encoded MessagePack (or payload bytes) to the output.</summary>
    public void WriteRaw(scoped ReadOnlySpan<byte> bytes)
    {
        if (bytes.IsEmpty) return;
        var span = _output.GetSpan(bytes.Length);
        bytes.CopyTo(span);
        _output.Advance(bytes.Length);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void WriteByte(byte b)
    {
        var span = _output.GetSpan(1);
        span[0] = b;
        _output.Advance(1);
    }
}
