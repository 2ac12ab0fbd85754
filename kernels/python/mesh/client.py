"""The Python client (docs/protocol.md section 7).

One I/O thread serves the three DEALER sockets; any number of threads may submit at once. Callers
encode and sign their own requests, queue the frames and wake the I/O thread through a pipe the
thread's poller watches. A :meth:`Client.call` made while nothing else is in flight
skips the I/O thread: the caller sends its call and polls for the answer on its own thread
(spinning, then sleeping in ``poll``, for up to ``inline_wait``), and hands the sockets back to
the I/O thread only if the answer is late. Whichever thread holds the sockets reads and
dispatches everything that arrives (other replies, progress, health replies) and sends what
other threads queued. A task is submitted as a call (section 6.2, ``call: true``):
the kernel answers once on the submit socket, with the rejection (``submit_reply``) or, when the
task ends, with its final ``get_reply``. A kernel that ignores ``call`` acknowledges with
``submit_reply {accepted: true}``; the I/O thread then sends the ``get_request`` itself, and
from then on the client sends ``submit_request`` and ``get_request`` back to back
(:attr:`Client.kernel_answers_calls` is False); a rejected submit completes the task at once and
a ``get_reply`` with ``done: false`` is re-sent. After two missed health replies (or when a
manager reports the process dead) every call in flight fails with :class:`mesh.KernelLostError`.

    client = mesh.Client.from_connection_file("kernel.json")
    client.call("add", 1.0, b=2.0)
    handle = client.submit("sleep", [5.0]); handle.cancel(); handle.get()

Remote objects (protocol section 9): ``client.root(name)`` returns a :class:`mesh.RemoteObject`
proxy for an exported root (see ``mesh/proxy.py``). Proxies that are released or garbage
collected only queue their id; the I/O thread sends the queued ids in batches of up to 8192
(``mesh.release``, priority 10), within about a quarter of a second.
"""

import collections
import concurrent.futures
import math
import os
import threading
import time

import zmq

from . import transport
from .connection import ConnectionInfo
from .envelope import Envelope, EnvelopeError, new_id
from .errors import KernelLostError, MeshError, ProtocolError, RemoteError
from .proxy import RemoteObject, adopt
from .ref import Ref

_HEALTH, _SUBMIT, _GET = 0, 1, 2
TimeoutError = concurrent.futures.TimeoutError
RELEASE_BATCH = 8192      # ids per mesh.release task
RELEASE_DELAY = 0.05      # seconds a queued release may wait for others to join its batch
IDLE_WAKE = 0.2           # the I/O thread looks at the release queue at least this often
INLINE_WAIT = 0.002       # seconds a leading caller polls for its own answer (see Client)
INLINE_SPIN = 0.001       # ... of which it spends this long looking without sleeping
_IO = "io"                # Client._owner while the I/O thread holds the sockets
_CLOSED = "closed"        # Client._owner once the I/O thread has closed them


class TaskHandle:
    """A submitted task: wait for it with :meth:`get`, look at it with :meth:`status`,
    stop it with :meth:`cancel`. ``future`` is a ``concurrent.futures.Future``."""

    __slots__ = ("task_id", "endpoint", "future", "on_progress", "accepted", "record", "_client",
                 "convert", "call")

    def __init__(self, client, task_id, endpoint, on_progress=None, convert=None):
        self._client = client
        self.convert = convert  # applied to the result on the I/O thread (proxies=True)
        self.task_id = task_id
        self.endpoint = endpoint
        self.future = concurrent.futures.Future()
        self.on_progress = on_progress
        self.accepted = None   # True/False once the kernel's answer to the submit arrived
        self.record = None     # the task record of the final get_reply
        self.call = False      # sent as a call-style submit (call: true, section 6.2)

    def get(self, timeout=None):
        """The result; raises :class:`RemoteError` (or a subclass), :class:`KernelLostError`,
        or ``TimeoutError`` when ``timeout`` seconds pass first (the task keeps running)."""
        return self.future.result(timeout)

    result = get

    def done(self):
        return self.future.done()

    def exception(self, timeout=None):
        return self.future.exception(timeout)

    def add_done_callback(self, fn):
        self.future.add_done_callback(lambda _f: fn(self))

    def status(self, timeout=10.0):
        """The task record (a dict, section 6.1), or None if the kernel does not know the task."""
        return self._client.status([self.task_id], timeout=timeout)[0]

    def cancel(self, timeout=10.0):
        """Asks the kernel to cancel; True if the task was queued or running."""
        return self._client.cancel(self.task_id, timeout=timeout)["cancelled"]

    def __repr__(self):
        state = "done" if self.future.done() else "pending"
        return "TaskHandle(%r, %r, %s)" % (self.endpoint, self.task_id, state)


class Client:
    """A thread-safe client of one kernel.

    ``health``, ``submit``, ``get``: the kernel's addresses; ``key``: the connection key.
    ``heartbeat_ms``: health request period; ``poll_timeout``: seconds one ``get_request``
    waits in the kernel before it is re-sent.

    ``inline_wait``: seconds a :meth:`call` made while no other request is in flight polls for
    its answer on the caller's thread (0: every call waits for the I/O thread, as
    :meth:`submit` does); ``inline_spin``: how much of that it spends looking without
    sleeping, yielding the core between looks. A short call then costs no thread hand-off in
    this process (on a small machine each wake-up costs tens of microseconds); a longer one is
    handed to the I/O thread when ``inline_wait`` has passed.
    """

    def __init__(self, health, submit, get, key, *, kernel_id=None, heartbeat_ms=1000,
                 poll_timeout=30.0, context=None, inline_wait=INLINE_WAIT,
                 inline_spin=INLINE_SPIN):
        self.kernel_id = kernel_id or "kernel"
        self.addresses = {"health": health, "submit": submit, "get": get}
        self.heartbeat_ms = heartbeat_ms
        self.poll_timeout = poll_timeout
        self.inline_wait = max(0.0, float(inline_wait or 0.0))
        self.inline_spin = min(max(0.0, float(inline_spin or 0.0)), self.inline_wait)
        self._env = Envelope(key)
        self._own_context = context is None
        self._ctx = context or zmq.Context()
        self._lock = threading.Lock()
        self._tasks = {}         # task id -> TaskHandle, until final
        self._submit_ids = {}    # submit_request id -> task id, until the kernel answered it
        self._get_ids = {}       # get_request id -> task id
        self._requests = {}      # request id -> Future (other requests, and health())
        self._outbox = collections.deque()
        self._wake_r, self._wake_w = os.pipe()
        os.set_blocking(self._wake_r, False)
        os.set_blocking(self._wake_w, False)
        self._wake_pending = False
        self._closing = False
        self._lost = None        # KernelLostError while health replies are missing
        self._dead = None        # KernelLostError once a manager reported the process dead
        self._ready = threading.Event()
        self._io_error = None
        self._releases = collections.deque()     # object ids given back, waiting to be sent
        self._release_since = None               # when the oldest queued id was seen
        self._release_handles = []               # mesh.release tasks in flight
        self._flush_requests = collections.deque()
        self._release_everything = False
        self._held = collections.Counter()       # object id -> live proxies (not yet released)
        self._answers_calls = None               # see kernel_answers_calls
        # Only the thread named by _owner (changed under _lock) may touch the sockets: _IO (the
        # I/O thread), the ident of a caller leading its own call, or None when nothing is in
        # flight and the I/O thread sleeps on the wake pipe alone.
        self._owner = None
        self._io_event = threading.Event()       # a leading caller handed the sockets back
        self._socks = None
        self._poller = None
        self._next_ping = 0.0
        self._ping_replied = True
        self._missed = 0
        self._thread = threading.Thread(target=self._run, name="mesh-client-io", daemon=True)
        self._thread.start()
        self._ready.wait()
        if self._io_error is not None:
            raise self._io_error

    @classmethod
    def from_connection_file(cls, path, **options):
        """A client for the kernel described by a client connection file (section 3, step 5)."""
        info = path if isinstance(path, ConnectionInfo) else ConnectionInfo.load(path)
        if not (info.health and info.submit and info.get):
            raise ValueError("%s is not a client connection file (no kernel addresses)" % path)
        options.setdefault("heartbeat_ms", info.heartbeat_ms)
        return cls(info.health, info.submit, info.get, info.key, kernel_id=info.kernel_id, **options)

    # ----------------------------------------------------------------------------- tasks

    def submit(self, endpoint, args=(), kwargs=None, *, priority=5, timeout=None, retries=0,
               metadata=None, task_id=None, on_progress=None, proxies=False):
        """Submits a task; returns its :class:`TaskHandle` at once.

        ``timeout``: seconds the task may run once started (kernel side). ``on_progress(value,
        message)`` is called on the thread reading the sockets (the client's I/O thread, or a
        thread waiting in :meth:`call`); keep it short, and do not wait there for another
        task. Arrays above 1 KiB are sent without copying: do not modify them until the task
        has been acknowledged.
        ``proxies=True``: references (:class:`mesh.Ref`) in the result become
        :class:`mesh.RemoteObject` proxies owned by this client (use it to call ``mesh.*``
        endpoints directly without leaking references).

        The task is sent as a call (``call: true``, protocol section 6.2): one message each way.
        To a kernel found to ignore calls (:attr:`kernel_answers_calls` is False) it is sent as
        a plain ``submit_request`` followed at once by a ``get_request``.
        """
        return self._submit(endpoint, args, kwargs, priority, timeout, retries, metadata,
                            task_id, on_progress, proxies, False)

    def _submit(self, endpoint, args, kwargs, priority=5, timeout=None, retries=0,
                metadata=None, task_id=None, on_progress=None, proxies=False, lead=False):
        """:meth:`submit`; with ``lead``, a caller about to wait for the task polls for it
        itself when nothing else is in flight (see :meth:`_lead`)."""
        task_id = task_id or new_id()
        content = {"task_id": task_id, "endpoint": endpoint, "args": list(args),
                   "kwargs": dict(kwargs) if kwargs else {}, "priority": priority,
                   "timeout": None if timeout is None else float(timeout), "retries": retries,
                   "metadata": metadata if metadata is not None else {}}
        call = self._answers_calls is not False
        if call:
            content["call"] = True
        env = self._env
        submit_id, submit_frames = env.pack("submit_request", content)
        if not call:
            get_id, get_frames = env.pack("get_request", {
                "task_id": task_id, "timeout": self.poll_timeout, "keep": False})
        handle = TaskHandle(self, task_id, endpoint, on_progress,
                            self._adopt if proxies else None)
        handle.call = call
        sends = [(_SUBMIT, submit_frames)]
        if not call:
            sends.append((_GET, get_frames))
        with self._lock:
            self._check_usable()
            if task_id in self._tasks:
                raise ValueError("task id %s is already in flight" % task_id)
            # Lead only when nothing else is in flight: otherwise the I/O thread holds the
            # sockets (or is about to), and taking them over would cost the very wake-up that
            # leading saves.
            lead = (lead and self._owner is None and not self._tasks and not self._requests
                    and not self._outbox)
            if lead:
                self._owner = threading.get_ident()
            self._tasks[task_id] = handle
            self._submit_ids[submit_id] = task_id
            if not call:
                self._get_ids[get_id] = task_id
            if not lead:
                self._outbox.extend(sends)
        if lead:
            self._lead(handle, sends)
        else:
            self._wake()
        return handle

    def call(self, endpoint, *args, **kwargs):
        """Runs ``endpoint(*args, **kwargs)`` on the kernel and returns its result."""
        return self._submit(endpoint, args, kwargs, lead=self.inline_wait > 0).get()

    def status(self, task_ids, timeout=10.0):
        """Task records (dicts) for ``task_ids``, None for unknown ids, in the same order."""
        return self._request(_SUBMIT, "status_request", {"task_ids": list(task_ids)},
                             timeout)["tasks"]

    def cancel(self, task_id, timeout=10.0):
        """Sends ``cancel_request``; returns the reply ``{task_id, cancelled, state}``."""
        return self._request(_SUBMIT, "cancel_request", {"task_id": task_id}, timeout)

    def kernel_info(self, timeout=10.0):
        return self._request(_SUBMIT, "kernel_info_request", {}, timeout)

    def health(self, timeout=10.0):
        """One ``health_request`` round trip; returns the reply content."""
        return self._request(_HEALTH, "health_request", {}, timeout)

    def interrupt(self, timeout=10.0):
        """Signals cancellation to every running task; returns how many."""
        return self._request(_SUBMIT, "interrupt_request", {}, timeout)["interrupted"]

    def shutdown(self, grace=0.0, timeout=10.0):
        """Asks the kernel to shut down (it drains, then exits with code 0)."""
        return self._request(_SUBMIT, "shutdown_request", {"grace": float(grace)}, timeout)

    # ----------------------------------------------------------------------------- proxies

    def root(self, name):
        """A :class:`mesh.RemoteObject` for the root ``name`` the kernel exports
        (``PROXY_NOT_EXPORTED`` if it exports none of that name)."""
        return self._proxy_op("mesh.root", {"name": name})

    def proxy(self, ref):
        """Adopts a :class:`mesh.Ref` received without ``proxies=True``: the proxy now owns
        that reference count and gives it back when released."""
        if type(ref) is not Ref:
            raise TypeError("expected a mesh.Ref, got %s" % type(ref).__name__)
        return self._new_proxy(ref)

    def objects(self, timeout=None):
        """The kernel's live object table sizes, ``{objects, sessions}`` (``mesh.objects``)."""
        return self._submit("mesh.objects", (), None, lead=self.inline_wait > 0).get(timeout)

    def flush_releases(self, timeout=10.0):
        """Sends the queued releases now and waits until the kernel has processed every
        release sent so far. Returns False if ``timeout`` passed first."""
        if threading.current_thread() is self._thread:
            raise RuntimeError("flush_releases() cannot wait on the client's I/O thread")
        fut = concurrent.futures.Future()
        with self._lock:
            self._check_usable()
            self._flush_requests.append(fut)
        self._wake(force=True)
        deadline = None if timeout is None else time.monotonic() + timeout
        try:
            handles = fut.result(timeout)
        except concurrent.futures.TimeoutError:
            return False
        left = None if deadline is None else max(0.0, deadline - time.monotonic())
        done, pending = concurrent.futures.wait([h.future for h in handles], left)
        return not pending

    def _proxy_op(self, endpoint, kwargs):
        return self._submit(endpoint, (), kwargs, proxies=True, lead=self.inline_wait > 0).get()

    def _adopt(self, value):
        return adopt(self, value)

    def _new_proxy(self, ref):
        with self._lock:
            self._held[ref.object_id] += 1
        return RemoteObject(self, ref)

    def _queue_release(self, object_id, wake=False):
        self._releases.append(object_id)
        if wake:
            self._wake()

    def _send_releases(self):
        """I/O thread: sends every queued release."""
        queue = self._releases
        ids = []
        try:
            while True:
                ids.append(queue.popleft())
        except IndexError:
            pass
        with self._lock:
            held = self._held
            for oid in ids:
                n = held[oid] - 1
                if n > 0:
                    held[oid] = n
                else:
                    del held[oid]
        self._submit_releases(ids)

    def _submit_releases(self, ids):
        """I/O thread: ``mesh.release`` tasks for ``ids``, RELEASE_BATCH ids each."""
        self._release_since = None
        self._release_handles = [h for h in self._release_handles if not h.future.done()]
        for i in range(0, len(ids), RELEASE_BATCH):
            try:
                h = self.submit("mesh.release", (ids[i:i + RELEASE_BATCH],), priority=10)
            except MeshError:
                return  # closed or lost: the kernel's lease takes them back
            self._release_handles.append(h)

    def _service_releases(self):
        """I/O thread: sends queued releases when a batch is full or old enough, or when a
        flush was asked for; answers flush requests."""
        if self._release_everything:
            # close(): every count a live proxy holds, queued or not (each id is counted in
            # _held until it is sent, so nothing goes twice)
            self._release_everything = False
            with self._lock:
                ids = list(self._held.elements())
                self._held.clear()
            self._releases.clear()
            self._submit_releases(ids)
        elif self._releases:
            now = time.monotonic()
            if self._release_since is None:
                self._release_since = now
            if (self._flush_requests or len(self._releases) >= RELEASE_BATCH
                    or now - self._release_since >= RELEASE_DELAY):
                self._send_releases()
        while self._flush_requests:
            fut = self._flush_requests.popleft()
            pending = [h for h in self._release_handles if not h.future.done()]
            _set_result(fut, pending)

    def _release_all_held(self, timeout):
        """On close: gives back every reference this client's live proxies still hold."""
        self._release_everything = True
        try:
            self.flush_releases(timeout)
        except MeshError:
            pass

    @property
    def kernel_answers_calls(self):
        """Whether the kernel answers a call-style submit with the task's result in one message
        (protocol section 6.2): None until the first answer to a call shows it, then True, or
        False for a kernel that ignores ``call`` (tasks then go as a submit and a get)."""
        return self._answers_calls

    @property
    def lost(self):
        """The :class:`KernelLostError` describing why the kernel is considered lost, or None."""
        return self._dead or self._lost

    def pending(self):
        """Number of tasks in flight."""
        with self._lock:
            return len(self._tasks)

    # ----------------------------------------------------------------------------- lifecycle

    def close(self):
        """Stops the I/O thread and closes the sockets; tasks in flight fail."""
        if self._closing:
            return
        if (self._thread.is_alive() and self._thread is not threading.current_thread()
                and self._dead is None and self._lost is None and (self._held or self._releases)):
            self._release_all_held(timeout=2.0)
        self._closing = True
        self._io_event.set()
        self._wake(force=True)
        if self._thread is not threading.current_thread():
            self._thread.join(5.0)
        self._fail_all(MeshError("client closed"))
        for fd in (self._wake_r, self._wake_w):
            try:
                os.close(fd)
            except OSError:
                pass
        if self._own_context:
            self._ctx.term()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def kernel_died(self, message, exit_code=None, log_tail=()):
        """Called by a manager when the kernel process is gone: everything in flight fails now
        and later calls fail at once."""
        err = KernelLostError("kernel %s lost: %s" % (self.kernel_id, message), exit_code, log_tail)
        self._dead = err
        self._fail_all(err)

    # ----------------------------------------------------------------------------- internals

    def _check_usable(self):
        if self._closing:
            raise MeshError("client closed")
        if self._dead is not None:
            raise self._dead
        if self._lost is not None:
            raise self._lost

    def _wake(self, force=False):
        if force or not self._wake_pending:
            self._wake_pending = True
            try:
                os.write(self._wake_w, b"\0")
            except (BlockingIOError, OSError):
                pass

    def _request(self, sock, msg_type, content, timeout):
        msg_id, frames = self._env.pack(msg_type, content)
        fut = concurrent.futures.Future()
        with self._lock:
            self._check_usable()
            self._requests[msg_id] = fut
            self._outbox.append((sock, frames))
        self._wake()
        try:
            return fut.result(timeout)
        except concurrent.futures.TimeoutError:
            with self._lock:
                self._requests.pop(msg_id, None)
            raise TimeoutError("no %s reply from kernel %s within %s s"
                               % (msg_type.replace("_request", ""), self.kernel_id, timeout)) from None

    def _fail_all(self, err):
        with self._lock:
            tasks = list(self._tasks.values())
            requests = list(self._requests.values())
            self._tasks.clear()
            self._requests.clear()
            self._submit_ids.clear()
            self._get_ids.clear()
        for h in tasks:
            _set_exception(h.future, err)
        for f in requests:
            _set_exception(f, err)

    def _pop_task(self, task_id):
        with self._lock:
            return self._tasks.pop(task_id, None)

    def _run(self):
        try:
            socks = []
            for name in ("health", "submit", "get"):
                s = transport.make_socket(self._ctx, zmq.DEALER)
                s.connect(self.addresses[name])
                socks.append(s)
        except Exception as e:  # bad address
            self._io_error = e
            self._ready.set()
            return
        self._socks = socks
        # One poll(2) over the sockets' ZMQ_FD and the wake pipe (see transport.SocketPoller);
        # whichever thread holds the sockets uses it, and marks a socket after sending on it.
        self._poller = transport.SocketPoller(socks, [self._wake_r])
        idle = zmq.Poller()
        idle.register(self._wake_r, zmq.POLLIN)
        self._next_ping = time.monotonic()
        self._ready.set()
        lock = self._lock
        try:
            while not self._closing:
                now = time.monotonic()
                due = self._releases_due(now)
                with lock:
                    owner = self._owner
                    if owner is None and (due or self._io_needed(now)):
                        self._owner = owner = _IO
                if owner is _IO:
                    if self._outbox:
                        self._flush_outbox()
                    if now >= self._next_ping:
                        self._ping(now)  # its reply is read by the next turn or the next ping
                    if due or self._flush_requests or self._release_everything:
                        self._service_releases()
                    with lock:
                        keep = self._io_needed(time.monotonic())
                        if not keep:
                            self._owner = None
                    if not keep:
                        continue
                    wait = max(0.0, self._next_ping - time.monotonic())
                    wait = min(wait, RELEASE_DELAY if self._releases else IDLE_WAKE)
                    self._turn(int(wait * 1000) + 1)
                    if self._releases or self._flush_requests or self._release_everything:
                        self._service_releases()
                    if self._outbox:
                        self._flush_outbox()
                    with lock:
                        # Still in the turn that may have completed a caller's future (nothing
                        # in between blocks, so this thread has kept the GIL unless the switch
                        # interval ran out): that caller, calling again at once, finds the
                        # sockets free and leads its next call.
                        if not self._io_needed(time.monotonic()):
                            self._owner = None
                    continue
                if owner is None:
                    wait = max(0.0, self._next_ping - now)
                    wait = min(wait, RELEASE_DELAY if self._releases else IDLE_WAKE)
                    # Nothing in flight: sleep on the wake pipe alone (a caller may lead
                    # meanwhile; health replies wait in the socket until the next ping).
                    if idle.poll(int(wait * 1000) + 1):
                        with lock:
                            mine = self._owner is None
                        if mine:  # else the leader reads it (and sends what it announced)
                            self._drain_wake()
                else:
                    # A caller leads; it wakes us when it hands the sockets back with work left.
                    self._io_event.wait(RELEASE_DELAY if self._releases else IDLE_WAKE)
                    self._io_event.clear()
        finally:
            # A leading caller sees _closing and hands back within a turn.
            while True:
                with lock:
                    if self._owner is None or self._owner is _IO:
                        self._owner = _CLOSED
                        break
                self._io_event.wait(0.05)
                self._io_event.clear()
            for s in socks:
                s.close(0)

    def _io_needed(self, now):
        """Under _lock: whether someone must hold the sockets (anything in flight or queued, a
        heartbeat due, or a lost kernel whose next health reply is awaited)."""
        return bool(self._tasks or self._requests or self._outbox or self._flush_requests
                    or self._release_everything or now >= self._next_ping
                    or (self._lost is not None and self._dead is None))

    def _releases_due(self, now):
        """I/O thread: whether queued releases should go now (see _service_releases)."""
        if not self._releases:
            return False
        if self._release_since is None:
            self._release_since = now
        return len(self._releases) >= RELEASE_BATCH or now - self._release_since >= RELEASE_DELAY

    def _lead(self, handle, sends):
        """A caller holding the sockets (``_owner``): sends its task's messages, then polls for
        the answer on its own thread, first without sleeping for ``inline_spin`` (yielding the
        core between looks), then in ``poll`` until ``inline_wait`` has passed; everything else
        that arrives meanwhile is dispatched as the I/O thread would. Then hands the sockets
        back (to the I/O thread if anything is still in flight)."""
        fut = handle.future
        try:
            socks = self._socks
            try:
                for idx, frames in sends:
                    transport.send(socks[idx], frames)
                    self._poller.pending[idx] = True
            except zmq.ZMQError as e:
                if self._pop_task(handle.task_id) is not None:
                    _set_exception(fut, MeshError("cannot send to kernel %s: %s"
                                                  % (self.kernel_id, e)))
                return
            start = time.monotonic()
            spin_end = start + self.inline_spin
            end = start + self.inline_wait
            now = start
            while not fut.done() and not self._closing and now < end:
                if now >= self._next_ping:
                    self._ping(now)
                if now < spin_end:
                    if not self._turn(0):
                        os.sched_yield()  # releases the GIL too
                else:
                    left = min(end, self._next_ping) - now
                    self._turn(max(1, math.ceil(left * 1000)))
                now = time.monotonic()
        except zmq.ZMQError:
            pass  # the task is the I/O thread's now, with whatever broke the sockets
        finally:
            with self._lock:
                self._owner = None
                handback = self._closing or self._io_needed(time.monotonic())
            if handback:
                self._io_event.set()
                self._wake(force=True)

    def _ping(self, now):
        """Holder of the sockets, when a heartbeat is due: counts a missed health reply and sends
        the next ``health_request``."""
        # A reply may be waiting unread (nobody polls the sockets while nothing is in flight).
        self._turn(0)
        if not self._ping_replied:
            self._missed += 1
            if self._missed >= 2 and self._lost is None and self._dead is None:
                self._lost = KernelLostError(
                    "kernel %s lost: no health reply for %d ms (2 heartbeats)"
                    % (self.kernel_id, 2 * self.heartbeat_ms))
                self._fail_all(self._lost)
        self._ping_replied = False
        _, frames = self._env.pack("health_request", {})
        transport.send(self._socks[_HEALTH], frames)
        self._poller.pending[_HEALTH] = True
        self._next_ping = now + self.heartbeat_ms / 1000.0

    def _turn(self, timeout_ms):
        """Holder of the sockets: one poll, then reads and dispatches everything that arrived
        and sends what is queued. True if anything was ready."""
        poller = self._poller
        pending = poller.pending
        woken = poller.wait(timeout_ms)
        if woken:
            self._drain_wake()
        if True not in pending:
            if self._outbox:  # another thread queued requests and woke us
                self._flush_outbox()
            return bool(woken)
        health, submit, _ = socks = self._socks
        received = []
        for i, sock in enumerate(socks):
            if not pending[i]:
                continue
            for _ in range(1000):
                try:
                    _, frames = transport.recv(sock, zmq.NOBLOCK)
                except zmq.Again:
                    pending[i] = False  # this receive processed the socket's commands
                    break
                received.append((sock, frames))
        # Read first, then dispatch: from the first future completed here to the end of the
        # turn this thread keeps the GIL (receiving releases it).
        for sock, frames in received:
            try:
                msg = self._env.unpack(frames)
            except EnvelopeError:
                continue  # unauthenticated or malformed: drop
            if sock is health:
                if msg.type == "health_reply":
                    self._ping_replied = True
                    self._missed = 0
                    if self._lost is not None:
                        self._lost = None
                self._on_request_reply(msg)
            elif sock is submit:
                self._on_submit_port(msg)
            else:
                self._on_get_port(msg, socks)
        if self._outbox:
            self._flush_outbox()
        return bool(woken or received)

    def _drain_wake(self):
        try:
            os.read(self._wake_r, 65536)
        except BlockingIOError:
            pass
        self._wake_pending = False

    def _flush_outbox(self):
        outbox = self._outbox
        socks = self._socks
        while outbox:
            idx, frames = outbox.popleft()
            transport.send(socks[idx], frames)
            self._poller.pending[idx] = True

    def _on_request_reply(self, msg):
        with self._lock:
            fut = self._requests.pop(msg.parent_id, None)
        if fut is None:
            return
        if msg.type == "error_reply":
            _set_exception(fut, _error_of(msg.content))
        elif type(msg.content) is not dict:
            _set_exception(fut, ProtocolError("%s content is not a map" % msg.type))
        else:
            _set_result(fut, msg.content)

    def _on_submit_port(self, msg):
        t = msg.type
        c = msg.content
        if t == "progress":
            if type(c) is dict:
                with self._lock:
                    h = self._tasks.get(c.get("task_id"))
                if h is not None and h.on_progress is not None:
                    try:
                        h.on_progress(c.get("value"), c.get("message"))
                    except Exception:
                        pass
            return
        if t in ("submit_reply", "error_reply", "get_reply") and msg.parent_id in self._submit_ids:
            with self._lock:
                task_id = self._submit_ids.pop(msg.parent_id, None)
                h = self._tasks.get(task_id)
            if h is None:
                return
            if t == "get_reply":
                # the answer to a call: the final get_reply (section 6.2)
                self._answers_calls = True
                h.accepted = True
                if type(c) is not dict:
                    h = self._pop_task(task_id)
                    if h is not None:
                        _set_exception(h.future, _error_of(c))
                elif c.get("done") is not True:
                    self._send_get(task_id)  # not expected from a kernel; fetch it as usual
                else:
                    self._finish(task_id, c)
                return
            if t == "submit_reply" and type(c) is dict and c.get("accepted") is True:
                h.accepted = True
                if h.call:
                    # a kernel that ignores ``call``: fetch the result, and send later tasks
                    # as a submit and a get back to back
                    self._answers_calls = False
                    self._send_get(task_id)
                return
            h.accepted = False
            h = self._pop_task(task_id)
            if h is not None:
                err = c.get("error") if (t == "submit_reply" and type(c) is dict) else None
                _set_exception(h.future, _error_of({"error": err} if err is not None else c))
            return
        self._on_request_reply(msg)

    def _send_get(self, task_id):
        """I/O thread: sends a ``get_request`` for a task still in flight."""
        with self._lock:
            if task_id not in self._tasks:
                return
            get_id, frames = self._env.pack("get_request", {
                "task_id": task_id, "timeout": self.poll_timeout, "keep": False})
            self._get_ids[get_id] = task_id
            self._outbox.append((_GET, frames))

    def _on_get_port(self, msg, socks):
        with self._lock:
            task_id = self._get_ids.pop(msg.parent_id, None)
        if task_id is None:
            return
        c = msg.content
        if msg.type == "error_reply" or type(c) is not dict:
            h = self._pop_task(task_id)
            if h is not None:
                _set_exception(h.future, _error_of(c))
            return
        if c.get("done") is not True:
            self._send_get(task_id)
            return
        self._finish(task_id, c)

    def _finish(self, task_id, c):
        """I/O thread: completes a task from its final ``get_reply`` content ``c``."""
        h = self._pop_task(task_id)
        if h is None:
            return
        h.record = c.get("task")
        err = c.get("error")
        if err is not None:
            _set_exception(h.future, RemoteError.from_map(err))
        elif h.convert is not None:
            try:
                value = h.convert(c.get("result"))
            except Exception as e:  # noqa: BLE001 - reported to the caller
                _set_exception(h.future, e)
            else:
                _set_result(h.future, value)
        else:
            _set_result(h.future, c.get("result"))


def _error_of(content):
    if type(content) is dict and type(content.get("error")) is dict:
        return RemoteError.from_map(content["error"])
    return ProtocolError("unexpected reply content %r" % (content,))


def _set_result(fut, value):
    try:
        fut.set_result(value)
    except concurrent.futures.InvalidStateError:
        pass


def _set_exception(fut, err):
    try:
        fut.set_exception(err)
    except concurrent.futures.InvalidStateError:
        pass
