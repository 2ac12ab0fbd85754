namespace Mesh.Transport;

/// <summary>Waits on several sockets and file descriptors at once (<c>zmq_poll</c>).</summary>
internal sealed unsafe class Poller
{
    private readonly ZmqPollItem[] _items;

    public Poller(IReadOnlyList<ZmqSocket> sockets, IReadOnlyList<int> fds)
    {
        _items = new ZmqPollItem[sockets.Count + fds.Count];
        for (int i = 0; i < sockets.Count; i++) _items[i] = new ZmqPollItem { Socket = sockets[i].Handle, Events = ZmqNative.ZMQ_POLLIN };
        for (int i = 0; i < fds.Count; i++) _items[sockets.Count + i] = new ZmqPollItem { Fd = fds[i], Events = ZmqNative.ZMQ_POLLIN };
    }

    /// <summary>Waits up to <paramref name="timeoutMs"/> (−1 = forever); returns how many items are ready.</summary>
    public int Poll(long timeoutMs)
    {
        fixed (ZmqPollItem* p = _items)
        {
            while (true)
            {
                int rc = ZmqNative.zmq_poll(p, _items.Length, timeoutMs);
                if (rc >= 0) return rc;
                int e = ZmqNative.zmq_errno();
                if (e == ZmqNative.EINTR) continue;
                throw new ZmqException("zmq_poll", e);
            }
        }
    }

    /// <summary>True if item <paramref name="index"/> was readable at the last poll.</summary>
    public bool IsReadable(int index) => (_items[index].Revents & ZmqNative.ZMQ_POLLIN) != 0;
}
