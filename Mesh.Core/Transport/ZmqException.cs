namespace Mesh.Transport;

/// <summary>A libzmq call failed; <see cref="Errno"/> is libzmq's error number.</summary>
public sealed class ZmqException : MeshException
{
    /// <summary>Creates the exception for a failed libzmq call.</summary>
    public ZmqException(string operation, int errno)
        : base($"{operation} failed: {ZmqNative.ErrorText(errno)} (errno {errno})") => Errno = errno;

    /// <summary>libzmq's error number.</summary>
    public int Errno { get; }

    internal static ZmqException Last(string operation) => new(operation, ZmqNative.zmq_errno());
}
