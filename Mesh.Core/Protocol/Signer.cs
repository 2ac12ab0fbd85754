using System.Security.Cryptography;
using System.Text;

namespace Mesh.Protocol;

/// <summary>HMAC-SHA256 signatures over header ‖ content (docs/protocol.md section 2.1).</summary>
public sealed class Signer
{
    /// <summary>Signature length in bytes.</summary>
    public const int SignatureLength = 32;

    private readonly byte[] _key;

    /// <summary>Creates a signer for a connection-file key (its UTF-8 bytes are the HMAC key); empty disables signing.</summary>
    public Signer(string key) => _key = Encoding.UTF8.GetBytes(key);

    /// <summary>True when messages are signed.</summary>
    public bool Enabled => _key.Length > 0;

    /// <summary>Signs the contiguous header and content bytes into <paramref name="destination"/> (32 bytes).</summary>
    public void Sign(ReadOnlySpan<byte> headerAndContent, Span<byte> destination) =>
        HMACSHA256.HashData(_key, headerAndContent, destination);

    /// <summary>Verifies a signature over separate header and content frames, in constant time.</summary>
    public bool Verify(ReadOnlySpan<byte> header, ReadOnlySpan<byte> content, ReadOnlySpan<byte> signature)
    {
        if (!Enabled) return signature.IsEmpty;
        if (signature.Length != SignatureLength) return false;
        using var hmac = IncrementalHash.CreateHMAC(HashAlgorithmName.SHA256, _key);
        hmac.AppendData(header);
        hmac.AppendData(content);
        Span<byte> expected = stackalloc byte[SignatureLength];
        hmac.GetHashAndReset(expected);
        return CryptographicOperations.FixedTimeEquals(expected, signature);
    }

    /// <summary>A new random key: 32 random bytes as 64 lowercase hex characters.</summary>
    public static string NewKey() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32));
}
