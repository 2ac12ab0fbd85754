using System.Runtime.InteropServices;

namespace Mesh.Transport;

/// <summary>The handful of libzmq entry points Mesh uses, bound to the system <c>libzmq.so.5</c>.</summary>
internal static unsafe partial class ZmqNative
{
    private const string Lib = "libzmq.so.5";

    public const int ROUTER = 6, DEALER = 5, REQ = 3, REP = 4, PAIR = 0;
    public const int ZMQ_SNDMORE = 2, ZMQ_DONTWAIT = 1;
    public const int ZMQ_POLLIN = 1, ZMQ_POLLOUT = 2;
    public const int ZMQ_IDENTITY = 5, ZMQ_LINGER = 17, ZMQ_SNDHWM = 23, ZMQ_RCVHWM = 24,
        ZMQ_MAXMSGSIZE = 22, ZMQ_LAST_ENDPOINT = 32, ZMQ_ROUTER_MANDATORY = 33, ZMQ_RCVMORE = 13,
        ZMQ_IMMEDIATE = 39, ZMQ_SNDTIMEO = 28, ZMQ_RCVTIMEO = 27, ZMQ_FD = 14, ZMQ_EVENTS = 15;
    public const int ZMQ_IO_THREADS = 1, ZMQ_BLOCKY = 70;
    public const int EINTR = 4, EAGAIN = 11, ETERM = 156384765, EHOSTUNREACH = 113;

    [LibraryImport(Lib)] public static partial nint zmq_ctx_new();
    [LibraryImport(Lib)] public static partial int zmq_ctx_term(nint ctx);
    [LibraryImport(Lib)] public static partial int zmq_ctx_shutdown(nint ctx);
    [LibraryImport(Lib)] public static partial int zmq_ctx_set(nint ctx, int option, int value);
    [LibraryImport(Lib)] public static partial nint zmq_socket(nint ctx, int type);
    [LibraryImport(Lib)] public static partial int zmq_close(nint socket);
    [LibraryImport(Lib)] public static partial int zmq_setsockopt(nint socket, int option, void* value, nuint size);
    [LibraryImport(Lib)] public static partial int zmq_getsockopt(nint socket, int option, void* value, nuint* size);
    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)] public static partial int zmq_bind(nint socket, string endpoint);
    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)] public static partial int zmq_connect(nint socket, string endpoint);
    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)] public static partial int zmq_disconnect(nint socket, string endpoint);
    [LibraryImport(Lib)] public static partial int zmq_send(nint socket, void* buf, nuint len, int flags);
    [LibraryImport(Lib)] public static partial int zmq_msg_init(ZmqMsg* msg);
    [LibraryImport(Lib)] public static partial int zmq_msg_init_size(ZmqMsg* msg, nuint size);
    [LibraryImport(Lib)] public static partial int zmq_msg_init_data(ZmqMsg* msg, void* data, nuint size, delegate* unmanaged[Cdecl]<void*, void*, void> ffn, void* hint);
    [LibraryImport(Lib)] public static partial int zmq_msg_send(ZmqMsg* msg, nint socket, int flags);
    [LibraryImport(Lib)] public static partial int zmq_msg_recv(ZmqMsg* msg, nint socket, int flags);
    [LibraryImport(Lib)] public static partial int zmq_msg_close(ZmqMsg* msg);
    [LibraryImport(Lib)] public static partial int zmq_msg_move(ZmqMsg* dest, ZmqMsg* src);
    [LibraryImport(Lib)] public static partial void* zmq_msg_data(ZmqMsg* msg);
    [LibraryImport(Lib)] public static partial nuint zmq_msg_size(ZmqMsg* msg);
    [LibraryImport(Lib)] public static partial int zmq_msg_more(ZmqMsg* msg);
    [LibraryImport(Lib)] public static partial int zmq_poll(ZmqPollItem* items, int count, long timeout);
    [LibraryImport(Lib)] public static partial int zmq_errno();
    [LibraryImport(Lib)] public static partial nint zmq_strerror(int errnum);
    [LibraryImport(Lib)] public static partial void zmq_version(int* major, int* minor, int* patch);

    public static string ErrorText(int errno) => Marshal.PtrToStringUTF8(zmq_strerror(errno)) ?? $"errno {errno}";
}

/// <summary>libzmq's opaque 64-byte <c>zmq_msg_t</c>.</summary>
[StructLayout(LayoutKind.Sequential, Size = 64)]
internal struct ZmqMsg
{
    private long _alignment;
}

/// <summary>libzmq's <c>zmq_pollitem_t</c> on 64-bit Linux.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct ZmqPollItem
{
    public nint Socket;
    public int Fd;
    public short Events;
    public short Revents;
}
