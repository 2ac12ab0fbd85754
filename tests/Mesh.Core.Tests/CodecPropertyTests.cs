using System.Buffers;
using System.Diagnostics;
using System.Text.Json;
using Mesh.Codec;
using Mesh.Transport;
using Mesh.Values;

namespace Mesh.Core.Tests;

public class CodecPropertyTests
{
    private static (byte[] Content, List<NDArray> Buffers) Encode(object? value)
    {
        var buffer = new ArrayBufferWriter<byte>();
        var w = new MessagePackWriter(buffer);
        var buffers = new List<NDArray>();
        ValueEncoder.Write(ref w, value, buffers);
        return (buffer.WrittenSpan.ToArray(), buffers);
    }

    private static object? Decode(byte[] content, List<NDArray> buffers)
    {
        var frames = new List<ReceivedFrame> { Notation.Frame(content) };
        frames.AddRange(buffers.Select(b => Notation.Frame(b.AsBytes().ToArray())));
        var source = new BufferSource(frames, 1);
        var v = ValueDecoder.Decode(content, source);
        source.EnsureAllUsed();
        return v;
    }

    [Fact]
    public void Random_values_round_trip_and_re_encode_to_the_same_bytes()
    {
        for (int seed = 0; seed < 2000; seed++)
        {
            var value = new RandomValues(seed).Next();
            var (content, buffers) = Encode(value);
            var decoded = Decode(content, buffers);
            Assert.True(Notation.DeepEqual(value, decoded), $"seed {seed}: value changed in a round trip");
            var (again, againBuffers) = Encode(decoded);
            Assert.Equal(content, again);
            Assert.Equal(buffers.Count, againBuffers.Count);
        }
    }

    [Fact]
    public void Every_truncation_of_a_valid_value_is_rejected_cleanly()
    {
        for (int seed = 0; seed < 200; seed++)
        {
            var (content, buffers) = Encode(new RandomValues(seed, includeArrays: false).Next());
            for (int cut = 0; cut < content.Length; cut += Math.Max(1, content.Length / 50))
            {
                var e = Record.Exception(() => Decode(content[..cut], buffers));
                Assert.IsAssignableFrom<ProtocolException>(e);
            }
        }
    }

    [Fact]
    public void Random_bytes_never_crash_the_decoder()
    {
        var rng = new Random(7);
        for (int i = 0; i < 50_000; i++)
        {
            var bytes = new byte[rng.Next(1, 64)];
            rng.NextBytes(bytes);
            try { ValueDecoder.Decode(bytes, BufferSource.Empty); }
            catch (ProtocolException) { }
        }
    }

    [Fact]
    public void Arrays_of_every_rank_keep_shape_and_bytes()
    {
        var m = new double[3, 4];
        for (int i = 0; i < 3; i++) for (int j = 0; j < 4; j++) m[i, j] = i * 10 + j;
        var (content, buffers) = Encode(m);
        var nd = Assert.IsType<NDArray>(Decode(content, buffers));
        Assert.Equal([3L, 4L], nd.Shape);
        Assert.Equal(m, nd.To2D<double>());
        var big = Enumerable.Range(0, 100_000).Select(i => (double)i).ToArray();
        (content, buffers) = Encode(big);
        Assert.Single(buffers);
        Assert.Same(big, buffers[0].Data); // zero-copy: the array itself is the buffer
        Assert.Equal(big, Assert.IsType<NDArray>(Decode(content, buffers)).ToFlatArray<double>());
    }

    /// <summary>
    /// Cross-check with Debian's python3-msgpack: Python re-encodes our bytes identically, and we
    /// re-encode bytes Python produced identically.
    /// </summary>
    [Fact]
    public void Python_msgpack_agrees_byte_for_byte()
    {
        var ours = Enumerable.Range(0, 400).Select(seed => Convert.ToHexStringLower(Encode(new RandomValues(seed, includeArrays: false, includeFloat32: false).Next()).Content)).ToArray();
        const string script = """
import sys, json, random, msgpack
ours = json.load(sys.stdin)
back = [msgpack.packb(msgpack.unpackb(bytes.fromhex(h), raw=False, strict_map_key=False), use_bin_type=True).hex() for h in ours]
rng = random.Random(11)
def val(d=0):
    k = rng.randrange(9 if d < 3 else 6)
    if k == 0: return None
    if k == 1: return rng.random() < 0.5
    if k == 2: return rng.randrange(-2**63, 2**64)
    if k == 3: return rng.uniform(-1e300, 1e300)
    if k == 4: return ''.join(chr(rng.randrange(32, 0x500)) for _ in range(rng.randrange(300)))
    if k == 5: return bytes(rng.randrange(256) for _ in range(rng.randrange(300)))
    if k == 6: return [val(d + 1) for _ in range(rng.randrange(20))]
    if k == 7: return {str(i) + 'k': val(d + 1) for i in range(rng.randrange(20))}
    return msgpack.Timestamp(rng.randrange(0, 2**40), rng.randrange(0, 10**9) // 100 * 100)
theirs = [msgpack.packb(val(), use_bin_type=True).hex() for _ in range(400)]
json.dump({"back": back, "theirs": theirs}, sys.stdout)
""";
        var psi = new ProcessStartInfo("/usr/bin/python3", ["-c", script]) { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true };
        using var p = Process.Start(psi)!;
        p.StandardInput.Write(JsonSerializer.Serialize(ours));
        p.StandardInput.Close();
        string output = p.StandardOutput.ReadToEnd();
        string error = p.StandardError.ReadToEnd();
        p.WaitForExit();
        Assert.True(p.ExitCode == 0, "python3-msgpack cross-check failed to run: " + error);
        using var doc = JsonDocument.Parse(output);
        var back = doc.RootElement.GetProperty("back").EnumerateArray().Select(e => e.GetString()).ToArray();
        for (int i = 0; i < ours.Length; i++) Assert.True(ours[i] == back[i], $"seed {i}: Python re-encodes our bytes differently");
        foreach (var hex in doc.RootElement.GetProperty("theirs").EnumerateArray().Select(e => e.GetString()!))
        {
            var decoded = ValueDecoder.Decode(Convert.FromHexString(hex), BufferSource.Empty);
            Assert.Equal(hex, Convert.ToHexStringLower(Encode(decoded).Content));
        }
    }
}
