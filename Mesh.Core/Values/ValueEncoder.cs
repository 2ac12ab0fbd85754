using System.Buffers;
using System.Collections;
using System.Reflection;
using System.Runtime.CompilerServices;
using Mesh.Codec;

namespace Mesh.Values;

/// <summary>
/// Encodes .NET values in the Mesh value model (docs/protocol.md section 4). Arrays of numbers
/// become ext 1 ndarrays whose bytes go to separate buffer frames (above
/// <see cref="InlineArrayLimit"/>) without being copied; everything else is plain MessagePack.
/// </summary>
public static class ValueEncoder
{
    /// <summary>Arrays with at most this many bytes are sent inline as bin; larger ones as buffer frames.</summary>
    public const int InlineArrayLimit = 1024;

    /// <summary>Ext type of a typed n-dimensional array.</summary>
    public const sbyte NDArrayExt = 1;

    /// <summary>Ext type of a table.</summary>
    public const sbyte TableExt = 2;

    /// <summary>Ext type of a remote object reference.</summary>
    public const sbyte ReferenceExt = 3;

    /// <summary>Ext type of a timestamp.</summary>
    public const sbyte TimestampExt = -1;

    /// <summary>Maximum nesting when encoding (guards against cyclic object graphs).</summary>
    public const int MaxDepth = 64;

    /// <summary>Writes <paramref name="value"/>; large arrays are appended to <paramref name="buffers"/>.</summary>
    public static void Write(ref MessagePackWriter writer, object? value, List<NDArray> buffers) => Write(ref writer, value, buffers, 0);

    private static void Write(ref MessagePackWriter w, object? value, List<NDArray> buffers, int depth)
    {
        if (depth > MaxDepth) throw new InvalidOperationException($"value nested deeper than {MaxDepth} levels (a cycle?)");
        switch (value)
        {
            case null: w.WriteNil(); return;
            case string s: w.Write(s); return;
            case Dictionary<string, object?> map:
                // The shape of every message's content: its own struct enumerator, keys written as
                // strings, no DictionaryEntry boxing (the IDictionary case below).
                w.WriteMapHeader(map.Count);
                foreach (var (k, v) in map)
                {
                    w.Write(k);
                    Write(ref w, v, buffers, depth + 1);
                }
                return;
            case object?[] items:
                w.WriteArrayHeader(items.Length);
                foreach (var item in items) Write(ref w, item, buffers, depth + 1);
                return;
            case bool b: w.Write(b); return;
            case double d: w.Write(d); return;
            case int i: w.Write((long)i); return;
            case long l: w.Write(l); return;
            case float f: w.Write(f); return;
            case byte[] bytes: w.WriteBinary(bytes); return;
            case NDArray nd: WriteNDArray(ref w, nd, buffers); return;
            case Table t: WriteTable(ref w, t, buffers, depth); return;
            case DateTime dt: w.Write(dt); return;
            case DateTimeOffset dto: w.Write(dto.UtcDateTime); return;
            case MessagePackExtension ext: w.WriteExtension(ext.Type, ext.Data); return;
            case MessagePackTimestamp ts: w.WriteTimestamp(ts.Seconds, ts.Nanoseconds); return;
            case RemoteReference reference: WriteReference(ref w, reference); return;
            case IRemoteReference proxy: WriteReference(ref w, proxy.Reference); return;
            case MessagePackMap pairs:
                w.WriteMapHeader(pairs.Entries.Count);
                foreach (var (k, v) in pairs.Entries)
                {
                    Write(ref w, k, buffers, depth + 1);
                    Write(ref w, v, buffers, depth + 1);
                }
                return;
            case short or sbyte: w.Write(Convert.ToInt64(value)); return;
            case uint or ushort or byte or ulong: w.Write(Convert.ToUInt64(value)); return;
            case decimal m: w.Write((double)m); return;
            case char c: w.Write(c.ToString()); return;
            case Enum e: w.Write(e.ToString()); return;
            case Guid g: w.Write(g.ToString("N")); return;
            case ReadOnlyMemory<byte> rom: w.WriteBinary(rom.Span); return;
            case Memory<byte> mem: w.WriteBinary(mem.Span); return;
            case Array array when DTypes.TryFromClr(array.GetType().GetElementType()!, out _):
                WriteNDArray(ref w, new NDArray(array), buffers); return;
            case IDictionary dict:
                w.WriteMapHeader(dict.Count);
                foreach (DictionaryEntry entry in dict)
                {
                    Write(ref w, entry.Key, buffers, depth + 1);
                    Write(ref w, entry.Value, buffers, depth + 1);
                }
                return;
            case ITuple tuple:
                w.WriteArrayHeader(tuple.Length);
                for (int i = 0; i < tuple.Length; i++) Write(ref w, tuple[i], buffers, depth + 1);
                return;
            case IList list:
                w.WriteArrayHeader(list.Count);
                foreach (var item in list) Write(ref w, item, buffers, depth + 1);
                return;
            case IEnumerable seq:
                {
                    var items = seq.Cast<object?>().ToList();
                    w.WriteArrayHeader(items.Count);
                    foreach (var item in items) Write(ref w, item, buffers, depth + 1);
                    return;
                }
            default:
                WriteObject(ref w, value, buffers, depth);
                return;
        }
    }

    private static void WriteObject(ref MessagePackWriter w, object value, List<NDArray> buffers, int depth)
    {
        // Plain data objects (records, DTOs) travel as maps of their public properties.
        var props = PropertyCache.Get(value.GetType());
        w.WriteMapHeader(props.Length);
        foreach (var p in props)
        {
            w.Write(p.Name);
            Write(ref w, p.GetValue(value), buffers, depth + 1);
        }
    }

    /// <summary>Writes an ndarray ext value, placing its bytes inline or in a buffer frame.</summary>
    public static void WriteNDArray(ref MessagePackWriter w, NDArray nd, List<NDArray> buffers)
    {
        // The ext payload needs its length up front: build the small prefix, then the data part.
        var scratch = new ArrayBufferWriter<byte>(64);
        var p = new MessagePackWriter(scratch);
        p.WriteArrayHeader(3);
        p.Write(nd.DType.WireName());
        p.WriteArrayHeader(nd.Shape.Length);
        foreach (var d in nd.Shape) p.Write((ulong)d);
        long bytes = nd.ByteLength;
        if (bytes > InlineArrayLimit)
        {
            p.Write((ulong)buffers.Count);
            buffers.Add(nd);
            w.WriteExtension(NDArrayExt, scratch.WrittenSpan);
        }
        else
        {
            int binHeader = bytes <= byte.MaxValue ? 2 : 3;
            w.WriteExtensionHeader(NDArrayExt, scratch.WrittenCount + binHeader + (int)bytes);
            w.WriteRaw(scratch.WrittenSpan);
            w.WriteBinary(nd.AsBytes());
        }
    }

    private static void WriteReference(ref MessagePackWriter w, RemoteReference r)
    {
        var scratch = new ArrayBufferWriter<byte>(64);
        var p = new MessagePackWriter(scratch);
        p.WriteArrayHeader(3);
        p.Write(r.ObjectId);
        p.Write(r.TypeName);
        p.Write(r.KernelId);
        w.WriteExtension(ReferenceExt, scratch.WrittenSpan);
    }

    private static void WriteTable(ref MessagePackWriter w, Table table, List<NDArray> buffers, int depth)
    {
        var scratch = new ArrayBufferWriter<byte>(256);
        var p = new MessagePackWriter(scratch);
        p.WriteArrayHeader(2);
        p.WriteArrayHeader(table.Names.Count);
        foreach (var n in table.Names) p.Write(n);
        p.WriteArrayHeader(table.Columns.Count);
        foreach (var col in table.Columns)
        {
            if (col is NDArray nd) WriteNDArray(ref p, nd, buffers);
            else
            {
                var strings = (string?[])col;
                p.WriteArrayHeader(strings.Length);
                foreach (var s in strings) p.Write(s);
            }
        }
        w.WriteExtension(TableExt, scratch.WrittenSpan);
    }

    private static class PropertyCache
    {
        private static readonly System.Collections.Concurrent.ConcurrentDictionary<Type, PropertyInfo[]> Cache = new();

        public static PropertyInfo[] Get(Type type) => Cache.GetOrAdd(type, t =>
            t.GetProperties(BindingFlags.Public | BindingFlags.Instance)
             .Where(p => p.CanRead && p.GetIndexParameters().Length == 0)
             .ToArray());
    }
}
