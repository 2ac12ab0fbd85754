using Mesh.Transport.Zmtp;

namespace Mesh.Transport;

/// <summary>
/// Chooses the implementation of the submit and get sockets: the managed ZMTP sockets where they
/// run (Linux), libzmq elsewhere or when <c>MESH_SOCKETS=libzmq</c> asks for it. Both speak
/// ZMTP 3 on the wire, so either end may use either.
/// </summary>
public static class MessageSockets
{
    /// <summary>The environment variable that selects the implementation: <c>managed</c> (default where supported) or <c>libzmq</c>.</summary>
    public const string Variable = "MESH_SOCKETS";

    /// <summary>True if new sockets are managed ZMTP sockets.</summary>
    public static bool UseManaged
    {
        get
        {
            string? choice = Environment.GetEnvironmentVariable(Variable);
            if (string.IsNullOrEmpty(choice) || choice == "managed") return ZmtpSocket.IsSupported;
            if (choice == "libzmq") return false;
            throw new ArgumentException($"{Variable}='{choice}' is not one of: managed, libzmq");
        }
    }

    /// <summary>Creates a DEALER or ROUTER socket with the chosen implementation.</summary>
    public static IMessageSocket Create(ZmqSocketType type) =>
        UseManaged ? new ZmtpSocket(type) : ZmqContext.Shared.CreateSocket(type);
}
