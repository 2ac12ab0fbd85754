using System.Buffers;
using System.Text.Json;
using Mesh.Codec;
using Mesh.Protocol;
using Mesh.Transport;
using Mesh.Values;

namespace Mesh.Core.Tests;

/// <summary>The shared byte-exact vectors (tests/vectors): every case encoded and decoded by .NET.</summary>
public class VectorTests
{
    public static TheoryData<string> MsgpackCases() => Names("msgpack.json");
    public static TheoryData<string> ValueCases() => Names("values.json");
    public static TheoryData<string> EnvelopeCases() => Names("envelope.json");
    public static TheoryData<string> InvalidCases() => Names("invalid.json");

    private static TheoryData<string> Names(string file)
    {
        var data = new TheoryData<string>();
        foreach (var c in Notation.Cases(file)) data.Add(c.GetProperty("name").GetString()!);
        return data;
    }

    private static JsonElement Case(string file, string name) => Notation.Cases(file).Single(c => c.GetProperty("name").GetString() == name);

    [Theory, MemberData(nameof(MsgpackCases))]
    public void Writer_produces_exact_bytes(string name)
    {
        var c = Case("msgpack.json", name);
        var buffer = new ArrayBufferWriter<byte>();
        var w = new MessagePackWriter(buffer);
        Notation.WriteRaw(ref w, c.GetProperty("value"));
        Assert.Equal(c.GetProperty("hex").GetString(), Notation.ToHex(buffer.WrittenSpan));
    }

    [Theory, MemberData(nameof(MsgpackCases))]
    public void Value_model_round_trips_exact_bytes(string name)
    {
        var c = Case("msgpack.json", name);
        var bytes = Notation.Hex(c.GetProperty("hex").GetString()!);
        var decoded = ValueDecoder.Decode(bytes, BufferSource.Empty);
        Assert.True(Notation.TryToValue(c.GetProperty("value"), null, out var expected));
        Assert.True(Notation.DeepEqual(expected, decoded), $"decoded {decoded} differs from the vector");
        var buffer = new ArrayBufferWriter<byte>();
        var w = new MessagePackWriter(buffer);
        ValueEncoder.Write(ref w, decoded, []);
        Assert.Equal(c.GetProperty("hex").GetString(), Notation.ToHex(buffer.WrittenSpan));
    }

    [Theory, MemberData(nameof(ValueCases))]
    public void Arrays_and_tables_encode_to_exact_content_and_buffers(string name)
    {
        var c = Case("values.json", name);
        Assert.True(Notation.TryToValue(c.GetProperty("value"), null, out var value));
        var buffer = new ArrayBufferWriter<byte>();
        var w = new MessagePackWriter(buffer);
        var buffers = new List<NDArray>();
        ValueEncoder.Write(ref w, value, buffers);
        Assert.Equal(c.GetProperty("content_hex").GetString(), Notation.ToHex(buffer.WrittenSpan));
        var expectedBuffers = c.GetProperty("buffers").EnumerateArray().Select(b => b.GetString()).ToArray();
        Assert.Equal(expectedBuffers, buffers.Select(b => Notation.ToHex(b.AsBytes())).ToArray());

        var frames = new List<ReceivedFrame> { Notation.Frame(buffer.WrittenSpan.ToArray()) };
        frames.AddRange(expectedBuffers.Select(h => Notation.Frame(Notation.Hex(h!))));
        var source = new BufferSource(frames, 1);
        var decoded = ValueDecoder.Decode(frames[0].Span, source);
        source.EnsureAllUsed();
        Assert.True(Notation.DeepEqual(value, decoded));
    }

    [Theory, MemberData(nameof(EnvelopeCases))]
    public void Envelopes_have_exact_frames_and_verify(string name)
    {
        var c = Case("envelope.json", name);
        var signer = new Signer(c.GetProperty("key").GetString()!);
        Assert.True(Notation.TryToValue(c.GetProperty("header"), null, out var h));
        var hm = (Dictionary<string, object?>)h!;
        var header = new MessageHeader((string)hm["id"]!, (string)hm["type"]!, (string)hm["session"]!, (DateTime)hm["date"]!, (string?)hm["parent_id"]);
        Assert.True(Notation.TryToValue(c.GetProperty("content"), null, out var content));
        var encoded = Envelope.Encode(signer, header, content);
        var expected = c.GetProperty("frames").EnumerateArray().Select(f => f.GetString()!).ToArray();
        var span = encoded.HeaderAndContent.Span;
        var actual = new List<string>
        {
            Notation.ToHex(Envelope.Tag), Notation.ToHex(encoded.Signature),
            Notation.ToHex(span[..encoded.HeaderLength]), Notation.ToHex(span[encoded.HeaderLength..]),
        };
        actual.AddRange(encoded.Buffers.Select(b => Notation.ToHex(b.AsBytes())));
        Assert.Equal(expected, actual.ToArray());

        var frames = expected.Select(x => Notation.Frame(Notation.Hex(x))).ToList();
        using var parsed = Envelope.Parse(signer, frames, identityFrames: 0);
        Assert.Equal(header, parsed.Header);
        Assert.True(Notation.DeepEqual(content, parsed.ReadContent()));
    }

    [Theory, MemberData(nameof(InvalidCases))]
    public void Invalid_bytes_are_rejected(string name)
    {
        var c = Case("invalid.json", name);
        var bytes = Notation.Hex(c.GetProperty("hex").GetString()!);
        var e = Record.Exception(() =>
        {
            var source = BufferSource.Empty;
            ValueDecoder.Decode(bytes, source);
            source.EnsureAllUsed();
        });
        Assert.IsAssignableFrom<ProtocolException>(e);
    }

    [Fact]
    public void Envelope_signed_with_another_key_is_refused()
    {
        var c = Notation.Cases("envelope.json").First(x => x.GetProperty("key").GetString() != "");
        var frames = c.GetProperty("frames").EnumerateArray().Select(f => Notation.Frame(Notation.Hex(f.GetString()!))).ToList();
        var e = Assert.Throws<ProtocolException>(() => Envelope.Parse(new Signer("not-the-key"), frames, 0));
        Assert.Equal(ErrorCode.BadSignature, e.Code);
    }
}
