using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Mesh.Transport.Zmtp;

/// <summary>A parsed <c>tcp://host:port</c> (IPv4) or <c>ipc:///path</c> endpoint and its socket address.</summary>
internal sealed class ZmtpEndpoint
{
    private const int SunPathBytes = 108;

    private ZmtpEndpoint(string? path, IPAddress? address, int port)
    {
        IpcPath = path;
        Address = address;
        Port = port;
    }

    /// <summary>The Unix socket path of an <c>ipc://</c> endpoint, else null.</summary>
    public string? IpcPath { get; }

    /// <summary>The IPv4 address of a <c>tcp://</c> endpoint.</summary>
    public IPAddress? Address { get; }

    /// <summary>The TCP port (0 = let the OS choose).</summary>
    public int Port { get; }

    public int Family => IpcPath is not null ? Libc.AF_UNIX : Libc.AF_INET;

    /// <summary>Parses an endpoint; <paramref name="forBind"/> allows the <c>*</c> wildcards.</summary>
    public static ZmtpEndpoint Parse(string endpoint, bool forBind)
    {
        if (endpoint.StartsWith("ipc://", StringComparison.Ordinal))
        {
            string path = endpoint["ipc://".Length..];
            if (path.Length == 0 || path == "*") throw new ArgumentException($"ipc endpoint '{endpoint}' needs a path (the managed transport does not invent one)", nameof(endpoint));
            if (Encoding.UTF8.GetByteCount(path) >= SunPathBytes)
                throw new ArgumentException($"ipc path '{path}' is longer than the {SunPathBytes - 1} bytes a Unix socket allows", nameof(endpoint));
            return new ZmtpEndpoint(path, null, 0);
        }
        if (endpoint.StartsWith("tcp://", StringComparison.Ordinal))
        {
            string rest = endpoint["tcp://".Length..];
            int colon = rest.LastIndexOf(':');
            if (colon <= 0) throw new ArgumentException($"tcp endpoint '{endpoint}' needs host:port", nameof(endpoint));
            string host = rest[..colon], portText = rest[(colon + 1)..];
            int port;
            if (portText == "*" && forBind) port = 0;
            else if (!int.TryParse(portText, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out port) || port is < 0 or > 65535)
                throw new ArgumentException($"tcp endpoint '{endpoint}' has no valid port", nameof(endpoint));
            IPAddress address;
            if (host == "*" && forBind) address = IPAddress.Any;
            else if (host == "localhost") address = IPAddress.Loopback;
            else if (!IPAddress.TryParse(host, out address!))
            {
                address = Dns.GetHostAddresses(host).FirstOrDefault(a => a.AddressFamily == AddressFamily.InterNetwork)
                    ?? throw new ArgumentException($"tcp endpoint '{endpoint}': host '{host}' has no IPv4 address", nameof(endpoint));
            }
            if (address.AddressFamily != AddressFamily.InterNetwork)
                throw new ArgumentException($"tcp endpoint '{endpoint}': the managed transport speaks IPv4 only (set MESH_SOCKETS=libzmq for IPv6)", nameof(endpoint));
            return new ZmtpEndpoint(null, address, port);
        }
        throw new ArgumentException($"endpoint '{endpoint}' is neither tcp:// nor ipc://", nameof(endpoint));
    }

    /// <summary>Writes the sockaddr into <paramref name="buffer"/> (at least 110 bytes) and returns its length.</summary>
    public unsafe int WriteSockaddr(byte* buffer)
    {
        new Span<byte>(buffer, 112).Clear();
        if (IpcPath is not null)
        {
            *(ushort*)buffer = Libc.AF_UNIX;
            int n = Encoding.UTF8.GetBytes(IpcPath, new Span<byte>(buffer + 2, SunPathBytes - 1));
            return 2 + n + 1;
        }
        *(ushort*)buffer = Libc.AF_INET;
        BinaryPrimitives.WriteUInt16BigEndian(new Span<byte>(buffer + 2, 2), (ushort)Port);
        Address!.TryWriteBytes(new Span<byte>(buffer + 4, 4), out _);
        return 16;
    }

    /// <summary>The endpoint text for a bound socket (the OS-chosen port read back for <c>tcp://…:*</c>).</summary>
    public string Describe(int boundPort) => IpcPath is not null ? $"ipc://{IpcPath}" : $"tcp://{Address}:{boundPort}";
}
