using System.Buffers.Binary;
using System.Runtime.InteropServices;
using Mesh.Codec;

namespace Mesh.Values;

/// <summary>
/// Decodes the Mesh value model into plain .NET objects: <c>null</c>, <c>bool</c>, <c>long</c>
/// (<c>ulong</c> above <see cref="long.MaxValue"/>), <c>double</c>, <c>float</c>, <c>string</c>,
/// <c>byte[]</c>, <c>object?[]</c>, <c>Dictionary&lt;string, object?&gt;</c> (or
/// <c>Dictionary&lt;object, object?&gt;</c> when a key is not a string), <see cref="DateTime"/>,
/// <see cref="NDArray"/>, <see cref="Table"/> and <see cref="MessagePackExtension"/>.
/// </summary>
public static class ValueDecoder
{
    /// <summary>
    /// Reads one value. ndarrays that reference buffer frames are resolved against
    /// <paramref name="buffers"/>, which records which frames were used.
    /// </summary>
    public static object? Read(ref MessagePackReader r, BufferSource buffers)
    {
        switch (r.PeekType())
        {
            case MessagePackType.Nil: r.ReadNil(); return null;
            case MessagePackType.Boolean: return r.ReadBoolean();
            case MessagePackType.Integer: return r.ReadInteger();
            case MessagePackType.Float:
                return r.PeekFormat() == 0xca ? (object)r.ReadSingle() : r.ReadDouble();
            case MessagePackType.String: return r.ReadString();
            case MessagePackType.Binary: return r.ReadBinary().ToArray();
            case MessagePackType.Array:
                {
                    int n = r.ReadArrayHeader();
                    r.Enter();
                    var items = new object?[n];
                    for (int i = 0; i < n; i++) items[i] = Read(ref r, buffers);
                    r.Leave();
                    return items;
                }
            case MessagePackType.Map: return ReadMap(ref r, buffers);
            default: return ReadExtension(ref r, buffers);
        }
    }

    private static object ReadMap(ref MessagePackReader r, BufferSource buffers)
    {
        int n = r.ReadMapHeader();
        r.Enter();
        // Maps with string keys (every message's content) go straight into the dictionary, their
        // keys from a cache of recently seen ones; another key type sends the map the general way.
        var map = new Dictionary<string, object?>(n, StringComparer.Ordinal);
        int i = 0;
        for (; i < n && r.PeekType() == MessagePackType.String; i++)
        {
            string key = MapKeys.Read(ref r);
            if (!map.TryAdd(key, Read(ref r, buffers))) throw new MessagePackFormatException($"duplicate map key '{key}'", r.Position);
        }
        if (i == n)
        {
            r.Leave();
            return map;
        }
        var keys = new object?[n];
        var values = new object?[n];
        int j = 0;
        foreach (var (k, v) in map) { keys[j] = k; values[j] = v; j++; }
        for (; i < n; i++)
        {
            keys[i] = Read(ref r, buffers);
            values[i] = Read(ref r, buffers);
        }
        r.Leave();
        if (keys.Any(k => k is null))
            return new MessagePackMap(keys.Zip(values, (k, v) => new KeyValuePair<object?, object?>(k, v)).ToArray());
        var general = new Dictionary<object, object?>(n);
        for (i = 0; i < n; i++)
        {
            var key = keys[i]!;
            if (!general.TryAdd(key, values[i])) throw new MessagePackFormatException($"duplicate map key '{key}'", r.Position);
        }
        return general;
    }

    private static object ReadExtension(ref MessagePackReader r, BufferSource buffers)
    {
        var (type, len) = r.ReadExtensionHeader();
        var payload = r.ReadRaw(len);
        switch (type)
        {
            case ValueEncoder.TimestampExt:
                {
                    var (sec, ns) = MessagePackReader.DecodeTimestampParts(payload);
                    if (ns > 999_999_999) throw new MessagePackFormatException("timestamp nanoseconds above 999999999", r.Position);
                    long maxSec = (DateTime.MaxValue.Ticks - DateTime.UnixEpoch.Ticks) / TimeSpan.TicksPerSecond;
                    long minSec = (DateTime.MinValue.Ticks - DateTime.UnixEpoch.Ticks) / TimeSpan.TicksPerSecond;
                    if (ns % 100 != 0 || sec > maxSec || sec < minSec) return new MessagePackTimestamp(sec, ns);
                    return MessagePackReader.DecodeTimestamp(payload);
                }
            case ValueEncoder.NDArrayExt:
                {
                    var inner = new MessagePackReader(payload, r.MaxDepth - r.Depth);
                    var nd = ReadNDArrayPayload(ref inner, buffers);
                    inner.EnsureEnd();
                    return nd;
                }
            case ValueEncoder.TableExt:
                {
                    r.Enter();
                    var inner = new MessagePackReader(payload, r.MaxDepth - r.Depth);
                    var t = ReadTablePayload(ref inner, buffers);
                    inner.EnsureEnd();
                    r.Leave();
                    return t;
                }
            case ValueEncoder.ReferenceExt:
                {
                    var inner = new MessagePackReader(payload, 2);
                    if (inner.ReadArrayHeader() != 3) throw new MessagePackFormatException("reference payload must be [object_id, type_name, kernel_id]", r.Position);
                    var reference = new RemoteReference(inner.ReadUInt64(), inner.ReadString() ?? "", inner.ReadString() ?? "");
                    inner.EnsureEnd();
                    return reference;
                }
            default: return new MessagePackExtension(type, payload.ToArray());
        }
    }

    private static NDArray ReadNDArrayPayload(ref MessagePackReader r, BufferSource buffers)
    {
        if (r.ReadArrayHeader() != 3) throw new MessagePackFormatException("ndarray payload must be [dtype, shape, data]", r.Position);
        var dtypeName = r.ReadString() ?? throw new MessagePackFormatException("ndarray dtype is nil", r.Position);
        if (!DTypes.TryParse(dtypeName, out var dtype)) throw new MessagePackFormatException($"unknown ndarray dtype '{dtypeName}'", r.Position);
        int rank = r.ReadArrayHeader();
        if (rank > 32) throw new MessagePackFormatException($"ndarray rank {rank} above 32", r.Position);
        var shape = new long[rank];
        long count = 1;
        for (int i = 0; i < rank; i++)
        {
            ulong d = r.ReadUInt64();
            if (d > int.MaxValue) throw new MessagePackFormatException($"ndarray dimension {d} too large", r.Position);
            shape[i] = (long)d;
            count *= (long)d;
            if (count > int.MaxValue) throw new MessagePackFormatException("ndarray has more than 2^31 elements", r.Position);
        }
        long expected = count * dtype.ItemSize();
        ReadOnlySpan<byte> bytes;
        if (r.PeekType() == MessagePackType.Binary) bytes = r.ReadBinary();
        else bytes = buffers.Take(r.ReadUInt64());
        if (bytes.Length != expected)
            throw new MessagePackFormatException($"ndarray {dtype.WireName()}[{string.Join(", ", shape)}] needs {expected} bytes but its data has {bytes.Length}", r.Position);
        var data = AllocateUninitialized(dtype, (int)count); // every byte is overwritten below
        var target = MemoryMarshal.CreateSpan(ref MemoryMarshal.GetArrayDataReference(data), (int)expected);
        if (dtype == DType.Bool)
        {
            for (int i = 0; i < bytes.Length; i++)
                target[i] = bytes[i] switch { 0 => 0, 1 => 1, _ => throw new MessagePackFormatException("bool ndarray element is neither 0 nor 1", r.Position) };
        }
        else if (BitConverter.IsLittleEndian) bytes.CopyTo(target);
        else throw new PlatformNotSupportedException("big-endian hosts are not supported");
        return rank == 1 ? new NDArray(data) : new NDArray(data, shape);
    }

    private static Array AllocateUninitialized(DType dtype, int count) => dtype switch
    {
        DType.Float64 => GC.AllocateUninitializedArray<double>(count),
        DType.Float32 => GC.AllocateUninitializedArray<float>(count),
        DType.Int64 => GC.AllocateUninitializedArray<long>(count),
        DType.Int32 => GC.AllocateUninitializedArray<int>(count),
        DType.Int16 => GC.AllocateUninitializedArray<short>(count),
        DType.Int8 => GC.AllocateUninitializedArray<sbyte>(count),
        DType.UInt64 => GC.AllocateUninitializedArray<ulong>(count),
        DType.UInt32 => GC.AllocateUninitializedArray<uint>(count),
        DType.UInt16 => GC.AllocateUninitializedArray<ushort>(count),
        DType.UInt8 => GC.AllocateUninitializedArray<byte>(count),
        _ => GC.AllocateUninitializedArray<bool>(count),
    };

    private static Table ReadTablePayload(ref MessagePackReader r, BufferSource buffers)
    {
        if (r.ReadArrayHeader() != 2) throw new MessagePackFormatException("table payload must be [names, columns]", r.Position);
        int n = r.ReadArrayHeader();
        var names = new string[n];
        for (int i = 0; i < n; i++) names[i] = r.ReadString() ?? throw new MessagePackFormatException("table column name is nil", r.Position);
        if (r.ReadArrayHeader() != n) throw new MessagePackFormatException("table has a different number of names and columns", r.Position);
        var table = new Table();
        for (int i = 0; i < n; i++)
        {
            object column;
            if (r.PeekType() == MessagePackType.Array)
            {
                int rows = r.ReadArrayHeader();
                var strings = new string?[rows];
                for (int j = 0; j < rows; j++) strings[j] = r.ReadString();
                column = strings;
            }
            else
            {
                var (type, len) = r.ReadExtensionHeader();
                if (type != ValueEncoder.NDArrayExt) throw new MessagePackFormatException($"table column '{names[i]}' is ext {type}, not an ndarray", r.Position);
                var inner = new MessagePackReader(r.ReadRaw(len));
                var nd = ReadNDArrayPayload(ref inner, buffers);
                inner.EnsureEnd();
                column = nd;
            }
            try { table.AddColumn(names[i], column); }
            catch (ArgumentException e) { throw new MessagePackFormatException($"bad table: {e.Message}", r.Position); }
        }
        return table;
    }

    /// <summary>Decodes a whole frame as one value, rejecting trailing bytes.</summary>
    public static object? Decode(ReadOnlySpan<byte> frame, BufferSource buffers)
    {
        var r = new MessagePackReader(frame);
        var v = Read(ref r, buffers);
        r.EnsureEnd();
        return v;
    }
}

/// <summary>
/// Map keys decoded once: a small direct-mapped cache from a key's UTF-8 bytes to its string, so
/// the same few keys in every message ("task_id", "endpoint", ...) are not allocated again each
/// time. Entries are immutable and replaced whole, so concurrent readers need no lock.
/// </summary>
internal static class MapKeys
{
    private const int Slots = 256, MaxCachedBytes = 32;
    private sealed record Entry(byte[] Utf8, string Value);
    private static readonly Entry?[] Cache = new Entry?[Slots];

    public static string Read(ref MessagePackReader r)
    {
        int start = r.Position;
        var bytes = r.ReadStringBytes();
        if (bytes.Length > MaxCachedBytes) return Decode(start, bytes);
        int slot = (int)((uint)HashCode(bytes) % Slots);
        var entry = Volatile.Read(ref Cache[slot]);
        if (entry is not null && bytes.SequenceEqual(entry.Utf8)) return entry.Value;
        string value = Decode(start, bytes);
        Volatile.Write(ref Cache[slot], new Entry(bytes.ToArray(), value));
        return value;
    }

    private static int HashCode(ReadOnlySpan<byte> bytes)
    {
        var h = new System.HashCode();
        h.AddBytes(bytes);
        return h.ToHashCode();
    }

    private static string Decode(int start, ReadOnlySpan<byte> bytes) =>
        MessagePackReader.TryDecodeUtf8(bytes, out var s) ? s : throw new MessagePackFormatException("string is not valid UTF-8", start);
}
