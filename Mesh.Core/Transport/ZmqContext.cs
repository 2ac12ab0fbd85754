namespace Mesh.Transport;

/// <summary>A libzmq context. One per process is usual: <see cref="Shared"/>.</summary>
public sealed class ZmqContext : IDisposable
{
    private static readonly Lazy<ZmqContext> SharedContext = new(() => new ZmqContext(ioThreads: 1));
    private nint _handle;

    /// <summary>Creates a context with the given number of libzmq I/O threads.</summary>
    public ZmqContext(int ioThreads = 1)
    {
        _handle = ZmqNative.zmq_ctx_new();
        if (_handle == 0) throw ZmqException.Last("zmq_ctx_new");
        ZmqNative.zmq_ctx_set(_handle, ZmqNative.ZMQ_IO_THREADS, ioThreads);
        // Sockets are closed with linger 0 by Mesh; never block process exit on undelivered frames.
        ZmqNative.zmq_ctx_set(_handle, ZmqNative.ZMQ_BLOCKY, 0);
    }

    /// <summary>The process-wide context used when none is given.</summary>
    public static ZmqContext Shared => SharedContext.Value;

    internal nint Handle => _handle != 0 ? _handle : throw new ObjectDisposedException(nameof(ZmqContext));

    /// <summary>libzmq's version, e.g. (4, 3, 4).</summary>
    public static unsafe (int Major, int Minor, int Patch) Version
    {
        get { int a, b, c; ZmqNative.zmq_version(&a, &b, &c); return (a, b, c); }
    }

    /// <summary>Creates a socket of the given type in this context.</summary>
    public ZmqSocket CreateSocket(ZmqSocketType type) => new(this, type);

    /// <summary>Terminates the context; sockets must be closed first.</summary>
    public void Dispose()
    {
        var h = Interlocked.Exchange(ref _handle, 0);
        if (h != 0) ZmqNative.zmq_ctx_term(h);
    }
}
