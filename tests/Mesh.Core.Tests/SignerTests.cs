using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;
using Mesh.Protocol;

namespace Mesh.Core.Tests;

/// <summary>Signer against .NET's HMACSHA256, on the OpenSSL midstate path and the IncrementalHash fallback.</summary>
public class SignerTests
{
    public static TheoryData<bool> Paths() => new() { false, true };

    /// <summary>Keys whose UTF-8 lengths straddle the 64-byte block (65 and 200 are hashed first).</summary>
    public static readonly string[] Keys =
    [
        "k",
        new string('a', 32),
        new string('b', 63),
        new string('c', 64),
        new string('d', 65),
        new string('e', 200),
        "clé-€", // multi-byte UTF-8
    ];

    private static byte[] Data(int length, int seed)
    {
        var data = new byte[length];
        new Random(seed).NextBytes(data);
        return data;
    }

    private static byte[] Expected(string key, ReadOnlySpan<byte> data) => HMACSHA256.HashData(Encoding.UTF8.GetBytes(key), data);

    [Theory, MemberData(nameof(Paths))]
    public void Sign_equals_HMACSHA256_for_every_length_up_to_300(bool forceFallback)
    {
        foreach (var key in Keys)
        {
            var signer = new Signer(key, forceFallback);
            Assert.Equal(!forceFallback && OpenSslAvailable, signer.UsesMidstates);
            var signature = new byte[Signer.SignatureLength];
            for (int length = 0; length <= 300; length++)
            {
                var data = Data(length, length);
                signer.Sign(data, signature);
                Assert.Equal(Expected(key, data), signature);
            }
        }
    }

    [Theory, MemberData(nameof(Paths))]
    public void Sign_equals_HMACSHA256_for_large_messages(bool forceFallback)
    {
        foreach (var key in Keys)
        {
            var signer = new Signer(key, forceFallback);
            foreach (int length in new[] { 64 * 1024, 1024 * 1024 + 3 })
            {
                var data = Data(length, length);
                var signature = new byte[Signer.SignatureLength];
                signer.Sign(data, signature);
                Assert.Equal(Expected(key, data), signature);
                Assert.True(signer.Verify(data.AsSpan(0, length / 3), data.AsSpan(length / 3), signature));
            }
        }
    }

    [Theory, MemberData(nameof(Paths))]
    public void Verify_accepts_every_split_of_header_and_content(bool forceFallback)
    {
        foreach (var key in Keys)
        {
            var signer = new Signer(key, forceFallback);
            foreach (int length in new[] { 0, 1, 63, 64, 65, 128, 350 })
            {
                var data = Data(length, length);
                var signature = Expected(key, data);
                foreach (int split in new[] { 0, 1, 55, 56, 63, 64, 65, 100, 128, 250, length - 1, length }.Where(s => s >= 0 && s <= length).Distinct())
                    Assert.True(signer.Verify(data.AsSpan(0, split), data.AsSpan(split), signature), $"key {key.Length}, length {length}, split {split}");
            }
        }
    }

    [Theory, MemberData(nameof(Paths))]
    public void Verify_rejects_flipped_bits_and_wrong_lengths(bool forceFallback)
    {
        var signer = new Signer(Signer.NewKey(), forceFallback);
        var header = Data(100, 1);
        var content = Data(250, 2);
        var signature = new byte[Signer.SignatureLength];
        signer.Sign([.. header, .. content], signature);
        Assert.True(signer.Verify(header, content, signature));

        foreach (var (buffer, bit) in new[] { (header, 0), (header, 799), (content, 0), (content, 1999), (signature, 0), (signature, 255) })
        {
            buffer[bit / 8] ^= (byte)(1 << (bit % 8));
            Assert.False(signer.Verify(header, content, signature));
            buffer[bit / 8] ^= (byte)(1 << (bit % 8));
            Assert.True(signer.Verify(header, content, signature));
        }

        Assert.False(signer.Verify(header, content, signature.AsSpan(0, 31)));
        Assert.False(signer.Verify(header, content, [.. signature, 0]));
        Assert.False(signer.Verify(header, content, []));
        // Moving bytes between header and content changes what is signed only by position, not
        // content, so it verifies; that is the protocol (header ‖ content), not a weakness here.
        Assert.True(signer.Verify(header.AsSpan(0, 50), [.. header.AsSpan(50), .. content], signature));
    }

    [Theory, MemberData(nameof(Paths))]
    public void Sign_refuses_a_short_destination(bool forceFallback)
    {
        var signer = new Signer("key", forceFallback);
        Assert.Throws<ArgumentException>(() => signer.Sign([1, 2, 3], new byte[31]));
        // A longer destination gets the signature in its first 32 bytes.
        var destination = new byte[40];
        signer.Sign([1, 2, 3], destination);
        Assert.Equal(Expected("key", [1, 2, 3]), destination[..32]);
        Assert.All(destination[32..], b => Assert.Equal(0, b));
    }

    [Theory, MemberData(nameof(Paths))]
    public void Empty_key_disables_signing(bool forceFallback)
    {
        var signer = new Signer("", forceFallback);
        Assert.False(signer.Enabled);
        Assert.False(signer.UsesMidstates);
        Assert.True(signer.Verify([1], [2], []));
        Assert.False(signer.Verify([1], [2], new byte[Signer.SignatureLength]));
        Assert.Throws<InvalidOperationException>(() => signer.Sign([1], new byte[Signer.SignatureLength]));
    }

    [Theory, MemberData(nameof(Paths))]
    public void Concurrent_signing_is_correct(bool forceFallback)
    {
        const string key = "shared key for every thread";
        var signer = new Signer(key, forceFallback);
        var failures = 0;
        var threads = Enumerable.Range(0, 8).Select(t => new Thread(() =>
        {
            var rng = new Random(t);
            var signature = new byte[Signer.SignatureLength];
            for (int i = 0; i < 2000; i++)
            {
                var data = new byte[rng.Next(0, 600)];
                rng.NextBytes(data);
                signer.Sign(data, signature);
                int split = rng.Next(0, data.Length + 1);
                if (!signature.AsSpan().SequenceEqual(Expected(key, data)) || !signer.Verify(data.AsSpan(0, split), data.AsSpan(split), signature))
                    Interlocked.Increment(ref failures);
            }
        })).ToList();
        threads.ForEach(t => t.Start());
        threads.ForEach(t => t.Join());
        Assert.Equal(0, failures);
    }

    [Fact]
    public void Both_paths_agree_with_a_shared_vector()
    {
        // RFC 4231 test case 2: key "Jefe", data "what do ya want for nothing?".
        var expected = Convert.FromHexString("5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
        foreach (bool forceFallback in new[] { false, true })
        {
            var signature = new byte[Signer.SignatureLength];
            new Signer("Jefe", forceFallback).Sign("what do ya want for nothing?"u8, signature);
            Assert.Equal(expected, signature);
        }
    }

    private static bool OpenSslAvailable => OperatingSystem.IsLinux() && NativeLibrary.TryLoad("libcrypto.so.3", out _);

    [Fact]
    public void Midstate_path_is_used_where_libcrypto_3_loads()
    {
        // Mesh targets Linux, where libcrypto.so.3 is what .NET itself uses: if it loads, the probe
        // must not have fallen back silently (a layout or symbol problem would show up here).
        if (!OpenSslAvailable) return;
        Assert.True(new Signer("key").UsesMidstates);
    }
}
