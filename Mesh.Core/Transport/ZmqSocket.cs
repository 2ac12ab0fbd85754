using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;

namespace Mesh.Transport;

/// <summary>
/// A libzmq socket. Like every libzmq socket it must be used by one thread at a time; Mesh gives
/// each socket to exactly one I/O thread.
/// </summary>
public sealed unsafe class ZmqSocket : IMessageSocket
{
    /// <summary>Frames at or above this size are sent without copying (the array is pinned until libzmq is done).</summary>
    public const int ZeroCopyThreshold = 64 * 1024;

    private nint _handle;

    internal ZmqSocket(ZmqContext context, ZmqSocketType type)
    {
        _handle = ZmqNative.zmq_socket(context.Handle, (int)type);
        if (_handle == 0) throw ZmqException.Last("zmq_socket");
        Type = type;
        SetOption(ZmqNative.ZMQ_LINGER, 0);
    }

    /// <summary>The socket type.</summary>
    public ZmqSocketType Type { get; }

    internal nint Handle => _handle != 0 ? _handle : throw new ObjectDisposedException(nameof(ZmqSocket));

    /// <summary>Sets an integer socket option.</summary>
    public void SetOption(int option, int value)
    {
        if (ZmqNative.zmq_setsockopt(Handle, option, &value, sizeof(int)) != 0) throw ZmqException.Last($"zmq_setsockopt({option})");
    }

    /// <summary>Sets a 64-bit integer socket option (e.g. ZMQ_MAXMSGSIZE).</summary>
    public void SetOption(int option, long value)
    {
        if (ZmqNative.zmq_setsockopt(Handle, option, &value, sizeof(long)) != 0) throw ZmqException.Last($"zmq_setsockopt({option})");
    }

    /// <summary>Sets a binary socket option (e.g. the routing identity).</summary>
    public void SetOption(int option, ReadOnlySpan<byte> value)
    {
        fixed (byte* p = value)
            if (ZmqNative.zmq_setsockopt(Handle, option, p, (nuint)value.Length) != 0) throw ZmqException.Last($"zmq_setsockopt({option})");
    }

    /// <summary>
    /// The descriptor libzmq signals when the socket has new activity (<c>ZMQ_FD</c>); see
    /// <see cref="SocketPoller"/> for how to wait on it correctly.
    /// </summary>
    public int NotificationFd
    {
        get
        {
            int fd;
            nuint size = sizeof(int);
            if (ZmqNative.zmq_getsockopt(Handle, ZmqNative.ZMQ_FD, &fd, &size) != 0) throw ZmqException.Last("zmq_getsockopt(ZMQ_FD)");
            return fd;
        }
    }

    /// <summary>
    /// True if a message can be received now (<c>ZMQ_EVENTS</c> has <c>ZMQ_POLLIN</c>). Asking
    /// lets libzmq process the socket's pending commands, which may consume a <see cref="NotificationFd"/>
    /// signal: whoever asks must act on a true answer.
    /// </summary>
    public bool HasInput
    {
        get
        {
            int events;
            nuint size = sizeof(int);
            if (ZmqNative.zmq_getsockopt(Handle, ZmqNative.ZMQ_EVENTS, &events, &size) != 0) throw ZmqException.Last("zmq_getsockopt(ZMQ_EVENTS)");
            return (events & ZmqNative.ZMQ_POLLIN) != 0;
        }
    }

    /// <inheritdoc/>
    public bool SendMayHideInput => true;

    /// <inheritdoc/>
    public bool HasUnsignalledInput => false;

    /// <inheritdoc/>
    public void SetIdentity(ReadOnlySpan<byte> identity) => SetOption(ZmqNative.ZMQ_IDENTITY, identity);

    /// <summary>Sets the maximum inbound message size; larger messages are dropped by libzmq.</summary>
    public long MaxMessageSize { set => SetOption(ZmqNative.ZMQ_MAXMSGSIZE, value); }

    /// <summary>Sets both high-water marks.</summary>
    public int HighWaterMark { set { SetOption(ZmqNative.ZMQ_SNDHWM, value); SetOption(ZmqNative.ZMQ_RCVHWM, value); } }

    /// <summary>Binds and returns the endpoint actually bound (the real port for <c>tcp://host:*</c>).</summary>
    public string Bind(string endpoint)
    {
        if (ZmqNative.zmq_bind(Handle, endpoint) != 0) throw ZmqException.Last($"zmq_bind({endpoint})");
        return LastEndpoint;
    }

    /// <summary>Connects to an endpoint.</summary>
    public void Connect(string endpoint)
    {
        if (ZmqNative.zmq_connect(Handle, endpoint) != 0) throw ZmqException.Last($"zmq_connect({endpoint})");
    }

    /// <summary>The last endpoint bound.</summary>
    public string LastEndpoint
    {
        get
        {
            byte* buf = stackalloc byte[512];
            nuint size = 512;
            if (ZmqNative.zmq_getsockopt(Handle, ZmqNative.ZMQ_LAST_ENDPOINT, buf, &size) != 0) throw ZmqException.Last("zmq_getsockopt(LAST_ENDPOINT)");
            int n = (int)size;
            while (n > 0 && buf[n - 1] == 0) n--;
            return Encoding.UTF8.GetString(buf, n);
        }
    }

    /// <summary>Sends one frame, copying it. Returns false if the frame could not be queued (only with dontWait).</summary>
    public bool Send(ReadOnlySpan<byte> frame, bool more, bool dontWait = false)
    {
        int flags = (more ? ZmqNative.ZMQ_SNDMORE : 0) | (dontWait ? ZmqNative.ZMQ_DONTWAIT : 0);
        fixed (byte* p = frame)
        {
            while (true)
            {
                if (ZmqNative.zmq_send(Handle, p, (nuint)frame.Length, flags) >= 0) return true;
                int e = ZmqNative.zmq_errno();
                if (e == ZmqNative.EINTR) continue;
                if (e == ZmqNative.EAGAIN || e == ZmqNative.EHOSTUNREACH) return false;
                throw new ZmqException("zmq_send", e);
            }
        }
    }

    /// <summary>
    /// Sends the bytes of a primitive array without copying: the array stays pinned until libzmq
    /// has written it to the wire.
    /// </summary>
    public bool SendZeroCopy(Array array, long byteOffset, long byteLength, bool more)
    {
        var handle = GCHandle.Alloc(array, GCHandleType.Pinned);
        byte* data = (byte*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(array)) + byteOffset;
        ZmqMsg msg;
        if (ZmqNative.zmq_msg_init_data(&msg, data, (nuint)byteLength, &FreePinned, (void*)GCHandle.ToIntPtr(handle)) != 0)
        {
            handle.Free();
            throw ZmqException.Last("zmq_msg_init_data");
        }
        int flags = more ? ZmqNative.ZMQ_SNDMORE : 0;
        while (true)
        {
            if (ZmqNative.zmq_msg_send(&msg, Handle, flags) >= 0) return true; // ownership passed to libzmq
            int e = ZmqNative.zmq_errno();
            if (e == ZmqNative.EINTR) continue;
            ZmqNative.zmq_msg_close(&msg); // runs FreePinned
            if (e == ZmqNative.EAGAIN || e == ZmqNative.EHOSTUNREACH) return false;
            throw new ZmqException("zmq_msg_send", e);
        }
    }

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    private static void FreePinned(void* data, void* hint) => GCHandle.FromIntPtr((nint)hint).Free();

    /// <summary>
    /// Receives one whole multipart message into <paramref name="frames"/> (cleared first).
    /// Returns false when nothing is waiting (only with dontWait). A message with more than
    /// <paramref name="maxFrames"/> parts is drained and reported with <paramref name="truncated"/>.
    /// </summary>
    public bool TryReceive(List<ReceivedFrame> frames, bool dontWait, int maxFrames, out bool truncated)
    {
        frames.Clear();
        truncated = false;
        ZmqMsg msg;
        int flags = dontWait ? ZmqNative.ZMQ_DONTWAIT : 0;
        while (true)
        {
            ZmqNative.zmq_msg_init(&msg);
            int rc;
            while ((rc = ZmqNative.zmq_msg_recv(&msg, Handle, flags)) < 0)
            {
                int e = ZmqNative.zmq_errno();
                if (e == ZmqNative.EINTR) continue;
                ZmqNative.zmq_msg_close(&msg);
                if (e == ZmqNative.EAGAIN && frames.Count == 0) return false;
                if (e == ZmqNative.EAGAIN) continue; // the rest of a multipart message is always already here
                throw new ZmqException("zmq_msg_recv", e);
            }
            flags = 0;
            bool more = ZmqNative.zmq_msg_more(&msg) != 0;
            if (frames.Count >= maxFrames)
            {
                truncated = true;
                ZmqNative.zmq_msg_close(&msg);
            }
            else if (rc <= ReceivedFrame.InlineLimit)
            {
                frames.Add(new ReceivedFrame(new ReadOnlySpan<byte>(ZmqNative.zmq_msg_data(&msg), rc).ToArray()));
                ZmqNative.zmq_msg_close(&msg);
            }
            else
            {
                var owned = (ZmqMsg*)NativeMemory.Alloc((nuint)sizeof(ZmqMsg));
                ZmqNative.zmq_msg_init(owned);
                ZmqNative.zmq_msg_move(owned, &msg);
                ZmqNative.zmq_msg_close(&msg);
                frames.Add(new ReceivedFrame(owned, rc));
            }
            if (!more) return true;
        }
    }

    /// <summary>Closes the socket (linger 0: unsent frames are dropped).</summary>
    public void Dispose()
    {
        var h = Interlocked.Exchange(ref _handle, 0);
        if (h != 0) ZmqNative.zmq_close(h);
    }
}
