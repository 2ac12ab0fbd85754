using System.Buffers;
using Mesh.Codec;
using Mesh.Values;

namespace Mesh.Core.Tests;

/// <summary>
/// The codec's fast paths (string-keyed maps read straight into a dictionary with cached keys,
/// short ASCII strings written in one pass, Dictionary and object[] written without boxing)
/// must give exactly what the general paths give.
/// </summary>
public class MapAndStringFastPathTests
{
    static object? Decode(params byte[] bytes) => ValueDecoder.Decode(bytes, BufferSource.Empty);

    static byte[] Encode(object? value)
    {
        var buffer = new ArrayBufferWriter<byte>();
        var w = new MessagePackWriter(buffer);
        ValueEncoder.Write(ref w, value, []);
        return buffer.WrittenSpan.ToArray();
    }

    [Fact]
    public void A_non_string_key_after_string_keys_gives_the_general_map_in_wire_order()
    {
        // {"a": 1, 2: "b", "c": 3}
        var map = Assert.IsType<Dictionary<object, object?>>(Decode(0x83, 0xa1, (byte)'a', 0x01, 0x02, 0xa1, (byte)'b', 0xa1, (byte)'c', 0x03));
        Assert.Equal(new object[] { "a", 2L, "c" }, map.Keys);
        Assert.Equal(new object?[] { 1L, "b", 3L }, map.Values);
    }

    [Fact]
    public void A_nil_key_after_string_keys_keeps_every_entry_in_order()
    {
        // {"a": 1, nil: 2}
        var map = Assert.IsType<MessagePackMap>(Decode(0x82, 0xa1, (byte)'a', 0x01, 0xc0, 0x02));
        Assert.Equal(new object?[] { "a", null }, map.Entries.Select(e => e.Key));
        Assert.Equal(new object?[] { 1L, 2L }, map.Entries.Select(e => e.Value));
    }

    [Fact]
    public void A_duplicate_string_key_is_an_error_naming_it()
    {
        var e = Assert.Throws<MessagePackFormatException>(() => Decode(0x82, 0xa1, (byte)'k', 0x01, 0xa1, (byte)'k', 0x02));
        Assert.Contains("duplicate map key 'k'", e.Message);
    }

    [Fact]
    public void Cached_keys_never_answer_for_other_keys()
    {
        // Far more distinct keys than the cache has slots, twice over: every lookup that lands on
        // a slot holding another key must decode its own bytes.
        for (int round = 0; round < 2; round++)
            for (int i = 0; i < 3000; i++)
            {
                string key = $"key-{i}";
                var map = Assert.IsType<Dictionary<string, object?>>(ValueDecoder.Decode(Encode(new Dictionary<string, object?> { [key] = (long)i }), BufferSource.Empty));
                Assert.Equal((long)i, Assert.Single(map, p => p.Key == key).Value);
            }
        string longKey = new('x', 100);
        var big = Assert.IsType<Dictionary<string, object?>>(ValueDecoder.Decode(Encode(new Dictionary<string, object?> { [longKey] = 1L }), BufferSource.Empty));
        Assert.Equal(longKey, Assert.Single(big.Keys));
    }

    [Fact]
    public void A_key_that_is_not_utf8_is_an_error_every_time()
    {
        for (int i = 0; i < 2; i++)
        {
            var e = Assert.Throws<MessagePackFormatException>(() => Decode(0x81, 0xa2, 0xc3, 0x28, 0x01));
            Assert.Contains("not valid UTF-8", e.Message);
        }
    }

    [Theory]
    [InlineData("")]
    [InlineData("task_id")]
    [InlineData("0123456789012345678901234567890")] // 31 chars: the longest fixstr
    [InlineData("01234567890123456789012345678901")] // 32 chars: str 8
    [InlineData("é")]
    [InlineData("naïve-ключ")]
    public void Short_strings_encode_as_the_spec_says(string s)
    {
        var utf8 = System.Text.Encoding.UTF8.GetBytes(s);
        byte[] header = utf8.Length <= 31 ? [(byte)(0xa0 | utf8.Length)] : [0xd9, (byte)utf8.Length];
        Assert.Equal([.. header, .. utf8], Encode(s));
    }

    [Fact]
    public void Dictionaries_and_object_arrays_encode_like_the_general_paths()
    {
        var content = new Dictionary<string, object?> { ["b"] = 1L, ["a"] = new object?[] { "x", null, 2.5 }, ["c"] = null };
        var general = new SortedList<string, object?>(StringComparer.Ordinal) { ["b"] = 1L, ["a"] = new List<object?> { "x", null, 2.5 }, ["c"] = null };
        // Same entries; the dictionary keeps insertion order, the sorted list its own.
        Assert.Equal(Encode(content).Length, Encode(general).Length);
        var back = Assert.IsType<Dictionary<string, object?>>(ValueDecoder.Decode(Encode(content), BufferSource.Empty));
        Assert.Equal(new[] { "b", "a", "c" }, back.Keys);
        Assert.Equal(new object?[] { "x", null, 2.5 }, Assert.IsType<object?[]>(back["a"]));
        Assert.Equal(Encode(new List<object?> { "x", null, 2.5 }), Encode(new object?[] { "x", null, 2.5 }));
    }
}
