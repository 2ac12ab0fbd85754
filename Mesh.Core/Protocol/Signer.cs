using System.Security.Cryptography;
using System.Text;

namespace Mesh.Protocol;

/// <summary>HMAC-SHA256 signatures over header ‖ content (docs/protocol.md section 2.1).</summary>
public sealed class Signer
{
    /// <summary>Signature length in bytes.</summary>
    public const int SignatureLength = 32;

    private readonly byte[] _key;

    // One keyed HMAC per thread, reset after each use: creating one per message (what the
    // one-shot API does) costs OpenSSL a context allocation and algorithm lookup every time,
    // about twice the hashing of a small message.
    private readonly ThreadLocal<IncrementalHash>? _hmac;

    /// <summary>Creates a signer for a connection-file key (its UTF-8 bytes are the HMAC key); empty disables signing.</summary>
    public Signer(string key)
    {
        _key = Encoding.UTF8.GetBytes(key);
        if (_key.Length > 0) _hmac = new ThreadLocal<IncrementalHash>(() => IncrementalHash.CreateHMAC(HashAlgorithmName.SHA256, _key));
    }

    /// <summary>True when messages are signed.</summary>
    public bool Enabled => _key.Length > 0;

    /// <summary>Signs the contiguous header and content bytes into <paramref name="destination"/> (32 bytes).</summary>
    public void Sign(ReadOnlySpan<byte> headerAndContent, Span<byte> destination)
    {
        if (_hmac is null) throw new InvalidOperationException("signing is disabled (empty key)");
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
