using System.Globalization;
using System.Numerics;
using System.Text;
using System.Text.Json;
using Mesh.Codec;
using Mesh.Transport;
using Mesh.Values;

namespace Mesh.Core.Tests;

/// <summary>The tagged JSON value notation of tests/vectors/README.md.</summary>
internal static class Notation
{
    public static string VectorsDir
    {
        get
        {
            for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            {
                var candidate = Path.Combine(dir.FullName, "tests", "vectors");
                if (File.Exists(Path.Combine(candidate, "msgpack.json"))) return candidate;
            }
            throw new DirectoryNotFoundException("tests/vectors not found above " + AppContext.BaseDirectory);
        }
    }

    public static IEnumerable<JsonElement> Cases(string file)
    {
        var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(VectorsDir, file)), new JsonDocumentOptions { MaxDepth = 1024 });
        return doc.RootElement.GetProperty("cases").EnumerateArray().ToArray();
    }

    public static byte[] Hex(string hex) => Convert.FromHexString(hex);

    private static (string Tag, JsonElement Body) Tagged(JsonElement v)
    {
        var prop = v.EnumerateObject().Single();
        return (prop.Name, prop.Value);
    }

    /// <summary>Writes the value with the low-level writer, exactly as the notation says (tests the writer).</summary>
    public static void WriteRaw(ref MessagePackWriter w, JsonElement v)
    {
        var (tag, body) = Tagged(v);
        switch (tag)
        {
            case "nil": w.WriteNil(); break;
            case "bool": w.Write(body.GetBoolean()); break;
            case "int":
                var big = BigInteger.Parse(body.GetString()!, CultureInfo.InvariantCulture);
                if (big < 0) w.Write((long)big); else w.Write((ulong)big);
                break;
            case "f64": w.Write(BitConverter.Int64BitsToDouble(Convert.ToInt64(body.GetString()![2..], 16))); break;
            case "f32": w.Write(BitConverter.Int32BitsToSingle(Convert.ToInt32(body.GetString()![2..], 16))); break;
            case "str": w.Write(body.GetString()!); break;
            case "bin": w.WriteBinary(Hex(body.GetString()!)); break;
            case "array":
                w.WriteArrayHeader(body.GetArrayLength());
                foreach (var e in body.EnumerateArray()) WriteRaw(ref w, e);
                break;
            case "map":
                w.WriteMapHeader(body.GetArrayLength());
                foreach (var kv in body.EnumerateArray()) { WriteRaw(ref w, kv[0]); WriteRaw(ref w, kv[1]); }
                break;
            case "ext": w.WriteExtension((sbyte)body.GetProperty("type").GetInt32(), Hex(body.GetProperty("data").GetString()!)); break;
            case "timestamp": w.WriteTimestamp(long.Parse(body.GetProperty("sec").GetString()!, CultureInfo.InvariantCulture), body.GetProperty("nsec").GetUInt32()); break;
            default: throw new NotSupportedException($"raw writer has no case for '{tag}'");
        }
    }

    /// <summary>
    /// The value as the .NET value model represents it, or null when the notation holds something
    /// the model cannot hold exactly (sub-100 ns timestamps, dates outside DateTime's range).
    /// </summary>
    public static bool TryToValue(JsonElement v, IList<NDArray>? buffers, out object? value)
    {
        value = null;
        var (tag, body) = Tagged(v);
        switch (tag)
        {
            case "nil": return true;
            case "bool": value = body.GetBoolean(); return true;
            case "int":
                var big = BigInteger.Parse(body.GetString()!, CultureInfo.InvariantCulture);
                value = big > long.MaxValue ? (object)(ulong)big : (long)big;
                return true;
            case "f64": value = BitConverter.Int64BitsToDouble(Convert.ToInt64(body.GetString()![2..], 16)); return true;
            case "f32": value = BitConverter.Int32BitsToSingle(Convert.ToInt32(body.GetString()![2..], 16)); return true;
            case "str": value = body.GetString(); return true;
            case "bin": value = Hex(body.GetString()!); return true;
            case "array":
                {
                    var items = new List<object?>();
                    foreach (var e in body.EnumerateArray())
                    {
                        if (!TryToValue(e, buffers, out var item)) return false;
                        items.Add(item);
                    }
                    value = items.ToArray();
                    return true;
                }
            case "map":
                {
                    var keys = new List<object?>();
                    var vals = new List<object?>();
                    foreach (var kv in body.EnumerateArray())
                    {
                        if (!TryToValue(kv[0], buffers, out var k) || !TryToValue(kv[1], buffers, out var x)) return false;
                        keys.Add(k); vals.Add(x);
                    }
                    if (keys.All(k => k is string))
                    {
                        var m = new Dictionary<string, object?>();
                        for (int i = 0; i < keys.Count; i++) m[(string)keys[i]!] = vals[i];
                        value = m;
                    }
                    else
                    {
                        if (keys.Any(k => k is null))
                        {
                            value = new MessagePackMap(keys.Zip(vals, (k, x) => new KeyValuePair<object?, object?>(k, x)).ToArray());
                            return true;
                        }
                        var m = new Dictionary<object, object?>();
                        for (int i = 0; i < keys.Count; i++) m[keys[i]!] = vals[i];
                        value = m;
                    }
                    return true;
                }
            case "ext": value = new MessagePackExtension((sbyte)body.GetProperty("type").GetInt32(), Hex(body.GetProperty("data").GetString()!)); return true;
            case "timestamp":
                {
                    long sec = long.Parse(body.GetProperty("sec").GetString()!, CultureInfo.InvariantCulture);
                    uint nsec = body.GetProperty("nsec").GetUInt32();
                    long maxSec = (DateTime.MaxValue.Ticks - DateTime.UnixEpoch.Ticks) / TimeSpan.TicksPerSecond;
                    long minSec = (DateTime.MinValue.Ticks - DateTime.UnixEpoch.Ticks) / TimeSpan.TicksPerSecond;
                    if (nsec % 100 != 0 || sec > maxSec || sec < minSec) { value = new MessagePackTimestamp(sec, nsec); return true; }
                    value = new DateTime(DateTime.UnixEpoch.Ticks + sec * TimeSpan.TicksPerSecond + nsec / 100, DateTimeKind.Utc);
                    return true;
                }
            case "ndarray": value = ToNDArray(body, buffers); return true;
            case "table":
                {
                    var t = new Table();
                    var names = body.GetProperty("names").EnumerateArray().Select(n => n.GetString()!).ToArray();
                    var cols = body.GetProperty("columns").EnumerateArray().ToArray();
                    for (int i = 0; i < names.Length; i++)
                    {
                        var (ctag, cbody) = Tagged(cols[i]);
                        if (ctag == "ndarray") t.AddColumn(names[i], ToNDArray(cbody, buffers));
                        else t.Add(names[i], cbody.EnumerateArray().Select(e => Tagged(e).Tag == "nil" ? null : Tagged(e).Body.GetString()).ToArray());
                    }
                    value = t;
                    return true;
                }
        }
        throw new NotSupportedException(tag);
    }

    private static NDArray ToNDArray(JsonElement body, IList<NDArray>? buffers)
    {
        DTypes.TryParse(body.GetProperty("dtype").GetString(), out var dtype);
        var shape = body.GetProperty("shape").EnumerateArray().Select(e => e.GetInt64()).ToArray();
        var bytes = Hex(body.GetProperty("data").GetString()!);
        long count = shape.Aggregate(1L, (a, b) => a * b);
        var data = Array.CreateInstance(dtype.ClrType(), count);
        bytes.CopyTo(System.Runtime.InteropServices.MemoryMarshal.CreateSpan(ref System.Runtime.InteropServices.MemoryMarshal.GetArrayDataReference(data), bytes.Length));
        var nd = shape.Length == 1 ? new NDArray(data) : new NDArray(data, shape);
        return nd;
    }

    /// <summary>Deep equality of decoded values (NaN equals NaN bit-for-bit).</summary>
    public static bool DeepEqual(object? a, object? b) => (a, b) switch
    {
        (null, null) => true,
        (double x, double y) => BitConverter.DoubleToInt64Bits(x) == BitConverter.DoubleToInt64Bits(y),
        (float x, float y) => BitConverter.SingleToInt32Bits(x) == BitConverter.SingleToInt32Bits(y),
        (byte[] x, byte[] y) => x.AsSpan().SequenceEqual(y),
        (object?[] x, object?[] y) => x.Length == y.Length && x.Zip(y).All(p => DeepEqual(p.First, p.Second)),
        (Dictionary<string, object?> x, Dictionary<string, object?> y) => x.Count == y.Count && x.Keys.SequenceEqual(y.Keys) && x.All(kv => DeepEqual(kv.Value, y[kv.Key])),
        (Dictionary<object, object?> x, Dictionary<object, object?> y) => x.Count == y.Count && x.Keys.Zip(y.Keys).All(p => DeepEqual(p.First, p.Second)) && x.Values.Zip(y.Values).All(p => DeepEqual(p.First, p.Second)),
        (NDArray x, NDArray y) => x.Equals(y),
        (MessagePackMap x, MessagePackMap y) => x.Entries.Count == y.Entries.Count && x.Entries.Zip(y.Entries).All(p => DeepEqual(p.First.Key, p.Second.Key) && DeepEqual(p.First.Value, p.Second.Value)),
        (Table x, Table y) => x.Equals(y),
        _ => Equals(a, b),
    };

    public static ReceivedFrame Frame(byte[] bytes) => new(bytes);

    public static string ToHex(ReadOnlySpan<byte> b) => Convert.ToHexStringLower(b);

    public static string Utf8(string s) => ToHex(Encoding.UTF8.GetBytes(s));
}
