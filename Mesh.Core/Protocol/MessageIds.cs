using System.Security.Cryptography;

namespace Mesh.Protocol;

/// <summary>
/// Unique ids for messages and tasks: 32 lower-case hex digits, like a UUID without dashes.
/// </summary>
/// <remarks>
/// A random 64-bit prefix drawn once per process, followed by a 64-bit counter. Unique within the
/// process by construction and across processes with the probability of a 64-bit collision, which
/// is what message and task ids need (the protocol only asks for uniqueness per kernel). A fresh
/// <see cref="Guid.NewGuid"/> per message costs a read of <c>/dev/urandom</c> — two or three system
/// calls on every small call, on both sides.
/// </remarks>
public static class MessageIds
{
    private static readonly string Prefix = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8));
    private static long _counter = BitConverter.ToInt64(RandomNumberGenerator.GetBytes(8)) & long.MaxValue;

    /// <summary>The next id.</summary>
    public static string Next()
    {
        ulong n = (ulong)Interlocked.Increment(ref _counter);
        return string.Create(32, n, static (span, value) =>
        {
            Prefix.AsSpan().CopyTo(span);
            value.TryFormat(span[16..], out _, "x16");
        });
    }
}
