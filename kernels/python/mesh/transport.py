"""ZeroMQ sockets and multipart framing (docs/protocol.md section 1).

Small helpers shared by the kernel, the client and the launcher: socket creation with the
options the protocol asks for, binding to a port the OS picks, and multipart send/receive that
splits routing identities from the Mesh frames. Buffer frames are sent and received without
copying (``copy=False``).
"""

import os
import select

import zmq

from .envelope import TAG_PREFIX

ROUTER = zmq.ROUTER
DEALER = zmq.DEALER


def make_socket(context, kind, max_message_bytes=None, linger=0):
    """A socket with unlimited high-water marks (a ROUTER at its HWM silently drops replies)."""
    sock = context.socket(kind)
    sock.setsockopt(zmq.LINGER, linger)
    sock.setsockopt(zmq.SNDHWM, 0)
    sock.setsockopt(zmq.RCVHWM, 0)
    if max_message_bytes is not None and 0 < max_message_bytes < 2**63:
        sock.setsockopt(zmq.MAXMSGSIZE, int(max_message_bytes))
    if kind == ROUTER:
        sock.setsockopt(zmq.ROUTER_MANDATORY, 0)
    return sock


def bind(sock, transport="tcp", ip="127.0.0.1", ipc_dir=None, name="sock"):
    """Binds ``sock`` to a port (tcp) or path (ipc) the kernel picks; returns the address."""
    if transport == "ipc":
        if not ipc_dir:
            raise ValueError("ipc transport needs ipc_dir")
        safe = "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in name)[:40]
        path = os.path.join(ipc_dir, "%s-%d-%s" % (safe, os.getpid(), os.urandom(4).hex()))
        sock.bind("ipc://" + path)
    else:
        sock.bind("tcp://%s:*" % (ip or "127.0.0.1"))
    addr = sock.getsockopt(zmq.LAST_ENDPOINT)
    return addr.decode() if isinstance(addr, bytes) else addr


def send(sock, frames, identities=None, flags=0):
    """Sends one multipart message; frames of 64 KiB and more are not copied.

    (Small frames are copied: zero-copy has a fixed cost that only large frames repay, and the
    plain-int flags avoid pyzmq's enum arithmetic; together ~3x faster than ``send_multipart``
    for a typical small message.)
    """
    if identities:
        frames = identities + frames
    flags = int(flags)
    more = flags | _SNDMORE
    last = len(frames) - 1
    s = sock.send
    for i, f in enumerate(frames):
        s(f, more if i < last else flags, copy=len(f) < _ZERO_COPY_MIN)


def recv(sock, flags=0, routed=False):
    """Receives one multipart message as ``(identities, frames)``.

    ``identities`` are the routing frames before the ``MESH/...`` tag (at least one when
    ``routed``, i.e. on a ROUTER); frames 0..3 come back as ``bytes``, buffer frames as
    zero-copy ``memoryview``. A message without a tag frame returns empty ``frames``, so the
    caller rejects it.
    """
    first = sock.recv(flags)
    parts = [first]
    start = -1 if routed or first[:5] != TAG_PREFIX else 0
    while sock.getsockopt(_RCVMORE):
        i = len(parts)
        if start >= 0 and i >= start + 4:
            parts.append(sock.recv(copy=False).buffer)   # buffer frame: no copy
            continue
        p = sock.recv()
        if start < 0 and len(p) < 64 and p[:5] == TAG_PREFIX:
            start = i
        parts.append(p)
    if start < 0:
        return [p for p in parts if len(p) <= 255], []
    return parts[:start], parts[start:]


class SocketPoller:
    """Waits for sockets and plain file descriptors with one ``poll(2)`` over the sockets'
    notification descriptors (``ZMQ_FD``), tracking which sockets may hold messages.

    ``zmq.Poller`` (``zmq_poll``) asks every socket for ``ZMQ_EVENTS`` before and after it sleeps,
    and each query is a ``poll(2)`` and a ``getpid`` of libzmq's own: a dozen system calls per
    wake-up, on some machines more than the round trip itself. ``ZMQ_FD`` signals only *new*
    activity, so a socket is pending from its signal until a non-blocking receive finds it empty
    (:meth:`drained`), and again after anything that lets libzmq process its commands without
    reading it, i.e. a send on it (:meth:`mark`): that may consume the signal of a message that
    has just arrived. While a socket is pending :meth:`wait` does not sleep (nor look).
    The protocol is the .NET ``SocketPoller``'s (Mesh.Core/Transport/SocketPoller.cs).
    """

    __slots__ = ("sockets", "pending", "_poll", "_fd_kind")

    def __init__(self, sockets, fds=()):
        self.sockets = list(sockets)
        self.pending = [True] * len(self.sockets)  # nothing is known yet: look
        self._poll = select.poll()
        self._fd_kind = {}
        for i, sock in enumerate(self.sockets):
            fd = sock.getsockopt(zmq.FD)
            self._poll.register(fd, select.POLLIN)
            self._fd_kind[fd] = i
        for fd in fds:
            self._poll.register(fd, select.POLLIN)
            self._fd_kind[fd] = None

    def wait(self, timeout_ms):
        """Sleeps up to ``timeout_ms`` (negative: no limit) until a socket or descriptor is ready,
        unless a socket is already pending. Returns the plain descriptors found readable."""
        if True in self.pending:
            return ()
        fds = []
        for fd, _ in self._poll.poll(timeout_ms):
            i = self._fd_kind.get(fd)
            if i is None:
                fds.append(fd)
            else:
                self.pending[i] = True
        return fds

    def drained(self, sock):
        """A non-blocking receive on ``sock`` found nothing."""
        self.pending[self.sockets.index(sock)] = False

    def mark(self, sock):
        """``sock`` may hold messages (it was just used to send); ignored for other sockets."""
        for i, s in enumerate(self.sockets):
            if s is sock:
                self.pending[i] = True
                return


_RCVMORE = zmq.RCVMORE
_SNDMORE = int(zmq.SNDMORE)
_ZERO_COPY_MIN = 65536
