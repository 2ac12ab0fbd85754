using System.Buffers.Binary;
using System.Text;

namespace Mesh.Transport.Zmtp;

/// <summary>
/// The bytes of ZMTP 3.1 (rfc.zeromq.org/spec/23 and /37) that Mesh needs: the 64-byte greeting with the
/// NULL mechanism, the READY command with its properties, PING/PONG, and frame headers.
/// </summary>
internal static class ZmtpWire
{
    public const int GreetingLength = 64;
    public const byte FlagMore = 0x01, FlagLong = 0x02, FlagCommand = 0x04;

    /// <summary>Signature (0xFF, 8 padding bytes, 0x7F), version 3.1, mechanism "NULL", as-server 0, filler.</summary>
    public static readonly byte[] Greeting = BuildGreeting();

    private static byte[] BuildGreeting()
    {
        var g = new byte[GreetingLength];
        g[0] = 0xFF;
        g[9] = 0x7F;
        g[10] = 3;
        g[11] = 1;
        "NULL"u8.CopyTo(g.AsSpan(12));
        return g;
    }

    /// <summary>Checks a peer's greeting; returns null if acceptable, else why not.</summary>
    public static string? CheckGreeting(ReadOnlySpan<byte> g)
    {
        if (g[0] != 0xFF || (g[9] & 0x01) == 0) return "not a ZMTP 3 greeting (bad signature)";
        if (g[10] < 3) return $"ZMTP version {g[10]}.{g[11]} is older than 3.0";
        var mechanism = g.Slice(12, 20);
        int end = mechanism.IndexOf((byte)0);
        if (!mechanism[..(end < 0 ? 20 : end)].SequenceEqual("NULL"u8))
            return $"security mechanism '{Encoding.ASCII.GetString(mechanism[..(end < 0 ? 20 : end)])}' is not NULL";
        return null;
    }

    /// <summary>The name of a socket type as READY carries it.</summary>
    public static string SocketTypeName(ZmqSocketType type) => type switch
    {
        ZmqSocketType.Dealer => "DEALER",
        ZmqSocketType.Router => "ROUTER",
        ZmqSocketType.Req => "REQ",
        ZmqSocketType.Rep => "REP",
        _ => "PAIR",
    };

    /// <summary>Whether a socket of <paramref name="mine"/> may talk to a peer announcing <paramref name="peer"/> (libzmq's table).</summary>
    public static bool Compatible(ZmqSocketType mine, string peer) => mine switch
    {
        ZmqSocketType.Router => peer is "DEALER" or "REQ" or "ROUTER",
        ZmqSocketType.Dealer => peer is "ROUTER" or "REP" or "DEALER",
        _ => false,
    };

    /// <summary>Appends a frame header (flags, then a 1- or 8-byte big-endian size).</summary>
    public static int WriteFrameHeader(Span<byte> to, long size, byte flags)
    {
        if (size <= 255)
        {
            to[0] = flags;
            to[1] = (byte)size;
            return 2;
        }
        to[0] = (byte)(flags | FlagLong);
        BinaryPrimitives.WriteUInt64BigEndian(to[1..], (ulong)size);
        return 9;
    }

    /// <summary>A whole READY command frame: header, name, Socket-Type and (if any) Identity properties.</summary>
    public static byte[] ReadyCommand(ZmqSocketType type, ReadOnlySpan<byte> identity)
    {
        var body = new List<byte>(64);
        body.Add(5);
        body.AddRange("READY"u8.ToArray());
        AddProperty(body, "Socket-Type", Encoding.ASCII.GetBytes(SocketTypeName(type)));
        if (type is ZmqSocketType.Dealer or ZmqSocketType.Req or ZmqSocketType.Router) AddProperty(body, "Identity", identity.ToArray());
        return Command([.. body]);
    }

    /// <summary>A PONG answering a PING whose context is <paramref name="context"/>.</summary>
    public static byte[] PongCommand(ReadOnlySpan<byte> context)
    {
        var body = new byte[5 + context.Length];
        body[0] = 4;
        "PONG"u8.CopyTo(body.AsSpan(1));
        context.CopyTo(body.AsSpan(5));
        return Command(body);
    }

    private static byte[] Command(byte[] body)
    {
        var frame = new byte[9 + body.Length];
        int h = WriteFrameHeader(frame, body.Length, FlagCommand);
        body.CopyTo(frame, h);
        return frame[..(h + body.Length)];
    }

    private static void AddProperty(List<byte> body, string name, byte[] value)
    {
        body.Add((byte)name.Length);
        body.AddRange(Encoding.ASCII.GetBytes(name));
        Span<byte> len = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(len, (uint)value.Length);
        body.AddRange(len.ToArray());
        body.AddRange(value);
    }

    /// <summary>Reads a command body: its name and the rest.</summary>
    public static bool TryReadCommand(ReadOnlySpan<byte> body, out string name, out ReadOnlySpan<byte> data)
    {
        name = "";
        data = default;
        if (body.Length < 1 || body.Length < 1 + body[0]) return false;
        name = Encoding.ASCII.GetString(body.Slice(1, body[0]));
        data = body[(1 + body[0])..];
        return true;
    }

    /// <summary>Reads READY's properties; returns null if they are malformed.</summary>
    public static Dictionary<string, byte[]>? ReadProperties(ReadOnlySpan<byte> data)
    {
        var props = new Dictionary<string, byte[]>(StringComparer.OrdinalIgnoreCase);
        while (!data.IsEmpty)
        {
            int nameLength = data[0];
            if (data.Length < 1 + nameLength + 4) return null;
            string name = Encoding.ASCII.GetString(data.Slice(1, nameLength));
            uint valueLength = BinaryPrimitives.ReadUInt32BigEndian(data.Slice(1 + nameLength, 4));
            int at = 1 + nameLength + 4;
            if (valueLength > (uint)(data.Length - at)) return null;
            props[name] = data.Slice(at, (int)valueLength).ToArray();
            data = data[(at + (int)valueLength)..];
        }
        return props;
    }
}
