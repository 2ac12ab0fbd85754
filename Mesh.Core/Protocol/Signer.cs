using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;

namespace Mesh.Protocol;

/// <summary>HMAC-SHA256 signatures over header ‖ content (docs/protocol.md section 2.1).</summary>
public sealed class Signer
{
    /// <summary>Signature length in bytes.</summary>
    public const int SignatureLength = 32;

    private readonly byte[] _key;

    // Fast path: OpenSSL SHA256_CTX snapshots taken after absorbing (key ^ ipad) and (key ^ opad).
    // Each HMAC starts from copies of these, so the key is never re-hashed and no context is
    // allocated; the arrays are never written after construction, which makes them safe to share
    // between threads without locks.
    private readonly byte[]? _innerMidstate, _outerMidstate;

    // Fallback when libcrypto's low-level SHA-256 is not available: one keyed HMAC per thread,
    // reset after each use. Creating one per message (what the one-shot API does) costs OpenSSL a
    // context allocation and algorithm lookup every time, about twice the hashing of a small message.
    private readonly ThreadLocal<IncrementalHash>? _hmac;

    /// <summary>Creates a signer for a connection-file key (its UTF-8 bytes are the HMAC key); empty disables signing.</summary>
    public Signer(string key) : this(key, forceFallback: false) { }

    /// <summary>
    /// As <see cref="Signer(string)"/>; <paramref name="forceFallback"/> uses <see cref="IncrementalHash"/>
    /// even where the OpenSSL midstate path is available, so tests can cover both.
    /// </summary>
    internal Signer(string key, bool forceFallback)
    {
        _key = Encoding.UTF8.GetBytes(key);
        if (_key.Length == 0) return;
        if (!forceFallback && OpenSslSha256.IsAvailable) OpenSslSha256.ComputeMidstates(_key, out _innerMidstate, out _outerMidstate);
        else _hmac = new ThreadLocal<IncrementalHash>(() => IncrementalHash.CreateHMAC(HashAlgorithmName.SHA256, _key));
    }

    /// <summary>True when messages are signed.</summary>
    public bool Enabled => _key.Length > 0;

    /// <summary>True when this signer uses the precomputed OpenSSL midstates rather than <see cref="IncrementalHash"/>.</summary>
    internal bool UsesMidstates => _innerMidstate is not null;

    /// <summary>Signs the contiguous header and content bytes into <paramref name="destination"/> (32 bytes).</summary>
    public void Sign(ReadOnlySpan<byte> headerAndContent, Span<byte> destination)
    {
        if (!Enabled) throw new InvalidOperationException("signing is disabled (empty key)");
        Hash(headerAndContent, [], destination);
    }

    /// <summary>Verifies a signature over separate header and content frames, in constant time.</summary>
    public bool Verify(ReadOnlySpan<byte> header, ReadOnlySpan<byte> content, ReadOnlySpan<byte> signature)
    {
        if (!Enabled) return signature.IsEmpty;
        if (signature.Length != SignatureLength) return false;
        Span<byte> expected = stackalloc byte[SignatureLength];
        Hash(header, content, expected);
        return CryptographicOperations.FixedTimeEquals(expected, signature);
    }

    private void Hash(ReadOnlySpan<byte> first, ReadOnlySpan<byte> second, Span<byte> destination)
    {
        if (_innerMidstate is not null) OpenSslSha256.Hmac(_innerMidstate, _outerMidstate!, first, second, destination);
        else HashIncremental(first, second, destination);
    }

    private void HashIncremental(ReadOnlySpan<byte> first, ReadOnlySpan<byte> second, Span<byte> destination)
    {
        var hmac = _hmac!.Value!;
        try
        {
            hmac.AppendData(first);
            if (!second.IsEmpty) hmac.AppendData(second);
            hmac.GetHashAndReset(destination);
        }
        catch
        {
            // Never leave half a message in this thread's HMAC.
            hmac.Dispose();
            _hmac.Value = IncrementalHash.CreateHMAC(HashAlgorithmName.SHA256, _key);
            throw;
        }
    }

    /// <summary>A new random key: 32 random bytes as 64 lowercase hex characters.</summary>
    public static string NewKey() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32));
}

/// <summary>
/// HMAC-SHA256 (RFC 2104) on libcrypto's low-level <c>SHA256_*</c> functions, from precomputed
/// midstates. <see cref="IncrementalHash"/> spends most of a small message's HMAC in the .NET
/// OpenSSL shim (error-queue clearing on every call, an allocated context copy on every reset);
/// these calls only hash.
/// </summary>
internal static unsafe partial class OpenSslSha256
{
    private const string Lib = "libcrypto.so.3";

    /// <summary><c>sizeof(SHA256_CTX)</c> in OpenSSL 1.1 and 3.x: h[8], Nl, Nh, data[16], num, md_len (all 32-bit).</summary>
    public const int ContextSize = 112;
    private const int BlockSize = 64, DigestLength = 32;

    // The low-level API is deprecated in OpenSSL 3 and missing from builds without deprecated
    // APIs (and from other platforms), so it is probed once and Signer falls back when absent.
    // The calls are plain P/Invokes, not SuppressGCTransition: SHA256_Update can be handed
    // megabytes, and a GC must not wait for that.
    [LibraryImport(Lib)] private static partial int SHA256_Init(Sha256Context* c);
    [LibraryImport(Lib)] private static partial int SHA256_Update(Sha256Context* c, void* data, nuint len);
    [LibraryImport(Lib)] private static partial int SHA256_Final(byte* md, Sha256Context* c);

    /// <summary>True when libcrypto's SHA256_* functions load, have the expected context layout and give correct HMACs.</summary>
    public static bool IsAvailable => Probe.Available;

    /// <summary>
    /// Hashes the (zero-padded, or first hashed when longer than a block) key XOR ipad and XOR opad
    /// into two context snapshots that <see cref="Hmac"/> resumes from.
    /// </summary>
    public static void ComputeMidstates(ReadOnlySpan<byte> key, out byte[] inner, out byte[] outer)
    {
        Span<byte> block = stackalloc byte[BlockSize];
        block.Clear();
        if (key.Length > BlockSize) SHA256.HashData(key, block);
        else key.CopyTo(block);
        inner = Absorb(block, 0x36);
        outer = Absorb(block, 0x5c);
        CryptographicOperations.ZeroMemory(block);
    }

    private static byte[] Absorb(ReadOnlySpan<byte> keyBlock, byte pad)
    {
        Span<byte> padded = stackalloc byte[BlockSize];
        for (int i = 0; i < BlockSize; i++) padded[i] = (byte)(keyBlock[i] ^ pad);
        Sha256Context ctx;
        SHA256_Init(&ctx);
        fixed (byte* p = padded) SHA256_Update(&ctx, p, BlockSize);
        var state = new byte[ContextSize];
        MemoryMarshal.Write(state, in ctx);
        CryptographicOperations.ZeroMemory(padded);
        CryptographicOperations.ZeroMemory(new Span<byte>(&ctx, ContextSize));
        return state;
    }

    /// <summary>HMAC of <paramref name="first"/> ‖ <paramref name="second"/> into the first 32 bytes of <paramref name="destination"/>.</summary>
    /// <remarks>Every stack byte is written before it is read, hence SkipLocalsInit.</remarks>
    [SkipLocalsInit]
    public static void Hmac(byte[] inner, byte[] outer, ReadOnlySpan<byte> first, ReadOnlySpan<byte> second, Span<byte> destination)
    {
        // SHA256_Final writes through a raw pointer, so a short destination must be refused here
        // (IncrementalHash throws ArgumentException for it too).
        if (destination.Length < DigestLength) throw new ArgumentException($"destination must hold {DigestLength} bytes", nameof(destination));
        byte* innerDigest = stackalloc byte[DigestLength];
        // Copies, not the shared arrays: SHA256_Update/Final mutate the context.
        var ctx = MemoryMarshal.Read<Sha256Context>(inner);
        // SHA256_Update/Final always return 1 for SHA-256, so results are not checked.
        fixed (byte* p = first) if (!first.IsEmpty) SHA256_Update(&ctx, p, (nuint)first.Length);
        fixed (byte* p = second) if (!second.IsEmpty) SHA256_Update(&ctx, p, (nuint)second.Length);
        SHA256_Final(innerDigest, &ctx);
        ctx = MemoryMarshal.Read<Sha256Context>(outer);
        SHA256_Update(&ctx, innerDigest, DigestLength);
        fixed (byte* d = destination) SHA256_Final(d, &ctx);
    }

    /// <summary>Runs once per process, on first use of <see cref="IsAvailable"/>.</summary>
    private static class Probe
    {
        public static readonly bool Available = Run();

        private static bool Run()
        {
            try
            {
                // SHA256_Init clears sizeof(SHA256_CTX) bytes and sets md_len (the last field) to
                // 32: a library whose context is not the 112 bytes copied here is refused rather
                // than trusted with truncated snapshots.
                var contexts = stackalloc Sha256Context[2];
                var bytes = new Span<byte>(contexts, 2 * ContextSize);
                bytes.Fill(0xA5);
                if (SHA256_Init(contexts) != 1) return false;
                if (MemoryMarshal.Read<uint>(bytes[(ContextSize - 4)..]) != DigestLength) return false;
                if (bytes[ContextSize..].ContainsAnyExcept((byte)0xA5)) return false;

                // End to end against .NET's HMAC, with a key longer than a block and two spans.
                ReadOnlySpan<byte> key = "Mesh probe key: longer than one SHA-256 block, so it is hashed first."u8;
                ReadOnlySpan<byte> message = "header bytes, then content bytes"u8;
                ComputeMidstates(key, out var inner, out var outer);
                Span<byte> actual = stackalloc byte[DigestLength], expected = stackalloc byte[DigestLength];
                Hmac(inner, outer, message[..13], message[13..], actual);
                HMACSHA256.HashData(key, message, expected);
                return actual.SequenceEqual(expected);
            }
            catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException or BadImageFormatException)
            {
                return false;
            }
        }
    }
}

/// <summary>OpenSSL's <c>SHA256_CTX</c>: plain 32-bit fields, no pointers, so it can be copied bytewise.</summary>
[StructLayout(LayoutKind.Sequential, Size = OpenSslSha256.ContextSize)]
internal struct Sha256Context
{
    private uint _alignment;
}
