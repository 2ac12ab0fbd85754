namespace Mesh.Transport;

/// <summary>
/// Waits for several sockets and file descriptors with a single <c>poll(2)</c> over the sockets'
/// notification descriptors (<c>ZMQ_FD</c>), and tracks which sockets may hold messages.
/// </summary>
/// <remarks>
/// <c>zmq_poll</c> asks every socket for <c>ZMQ_EVENTS</c> before and after it sleeps, and each
/// such query is a system call of its own: with three sockets that is more than a dozen system
/// calls per wake-up, which on a small machine costs more than the round trip itself. This poller
/// sleeps in one <c>poll(2)</c> and relies on libzmq's rule for <c>ZMQ_FD</c>: the descriptor
/// signals only <em>new</em> activity, so a socket is marked <see cref="IsPending"/> when its
/// descriptor fires, stays so until a receive reports nothing more (<see cref="MarkDrained"/>),
/// and must be marked again after anything else that lets libzmq process the socket's commands —
/// a send on it (<see cref="MarkPending(IMessageSocket)"/>) — because that may consume the signal of a
/// message that has arrived. While any socket is pending, <see cref="Wait"/> does not sleep.
/// </remarks>
internal sealed unsafe class SocketPoller
{
    private readonly IMessageSocket[] _sockets;
    private readonly Libc.PollFd[] _fds;
    private readonly bool[] _pending;

    /// <summary>Polls <paramref name="sockets"/> (indices 0…) and plain descriptors <paramref name="fds"/> (after them).</summary>
    public SocketPoller(IReadOnlyList<IMessageSocket> sockets, IReadOnlyList<int> fds)
    {
        _sockets = [.. sockets];
        _fds = new Libc.PollFd[sockets.Count + fds.Count];
        _pending = new bool[sockets.Count];
        for (int i = 0; i < sockets.Count; i++)
        {
            _fds[i] = new Libc.PollFd { Fd = sockets[i].NotificationFd, Events = Libc.POLLIN };
            _pending[i] = true; // nothing is known yet: look
        }
        for (int i = 0; i < fds.Count; i++) _fds[sockets.Count + i] = new Libc.PollFd { Fd = fds[i], Events = Libc.POLLIN };
    }

    /// <summary>
    /// Sleeps up to <paramref name="timeoutMs"/> (−1 = forever) until a socket or descriptor is
    /// ready, unless a socket is already pending (then returns at once, reporting no descriptor).
    /// </summary>
    public void Wait(long timeoutMs)
    {
        for (int i = 0; i < _fds.Length; i++) _fds[i].Revents = 0;
        foreach (bool p in _pending) if (p) return;
        int timeout = timeoutMs < 0 ? -1 : (int)Math.Min(timeoutMs, int.MaxValue);
        fixed (Libc.PollFd* p = _fds)
        {
            while (Libc.poll(p, (nuint)_fds.Length, timeout) < 0)
            {
                int e = Libc.Errno;
                if (e != Libc.EINTR) throw new ZmqException("poll", e);
            }
        }
        for (int i = 0; i < _sockets.Length; i++)
            if ((_fds[i].Revents & Libc.POLLIN) != 0) _pending[i] = true;
    }

    /// <summary>True if socket <paramref name="index"/> may hold messages: receive until it reports none.</summary>
    public bool IsPending(int index) => _pending[index];

    /// <summary>A non-blocking receive on socket <paramref name="index"/> found nothing.</summary>
    public void MarkDrained(int index) => _pending[index] = false;

    /// <summary>Socket <paramref name="index"/> may hold messages (left unread, or it was just used to send).</summary>
    public void MarkPending(int index) => _pending[index] = true;

    /// <summary>
    /// After a send on <paramref name="socket"/>: marks it pending if the send may have hidden its
    /// input, and any socket holding messages its descriptor does not show (a managed socket's
    /// send that waits for room reads all the owner's managed sockets).
    /// </summary>
    public void MarkPending(IMessageSocket socket)
    {
        for (int i = 0; i < _sockets.Length; i++)
        {
            var s = _sockets[i];
            if ((ReferenceEquals(s, socket) && s.SendMayHideInput) || s.HasUnsignalledInput) _pending[i] = true;
        }
    }

    /// <summary>True if plain descriptor <paramref name="index"/> (counted from 0 among the descriptors) was readable at the last sleep.</summary>
    public bool IsFdReadable(int index) => (_fds[_sockets.Length + index].Revents & Libc.POLLIN) != 0;
}
