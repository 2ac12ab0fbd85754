"""The Python kernel: serves endpoints over the three ports of docs/protocol.md.

    kernel = mesh.Kernel()

    @kernel.endpoint("add")
    def add(a: float, b: float) -> float:
        return a + b

Run it with ``python -m mesh module_or_script.py`` under a manager (``mesh.launch``), which
passes the connection file in ``MESH_CONNECTION_FILE``.

Objects, classes and functions exported with ``kernel.export(name, obj)`` are reachable by
reference through the reserved ``mesh.*`` endpoints (protocol section 9, ``mesh/objects.py``).

Threads: the main thread owns the submit and get sockets and does all bookkeeping; the health
thread owns the health socket; ``max_concurrency`` worker threads (started once) run handlers
taken from a priority queue. Workers hand results back through a deque plus a wake-up pipe that
the main thread's poller (``transport.SocketPoller``) watches. Inline endpoints
(``@kernel.endpoint(..., inline=True)``) skip the queue: the main thread runs them itself as
their ``submit_request`` is accepted.
"""

import collections
import heapq
import itertools
import os
import signal
import socket as _socket
import sys
import threading
import time
import traceback

import msgpack
import zmq

from . import codec, logcapture, transport
from .connection import ConnectionFileError, ConnectionInfo
from .context import (CANCELLED, COMPLETED, ERROR, FINAL_STATES, QUEUED, STARTED, TaskContext,
                      set_current)
from .endpoint import BindError, Endpoint
from .envelope import Envelope, EnvelopeError
from .errors import (APPLICATION_ERROR, BAD_ARGUMENTS, DUPLICATE_TASK, INTERNAL_ERROR,
                     KERNEL_SHUTTING_DOWN, MALFORMED_MESSAGE, QUEUE_FULL, TASK_CANCELLED,
                     TASK_TIMEOUT, UNKNOWN_ENDPOINT, UNKNOWN_MESSAGE_TYPE, UNKNOWN_TASK,
                     TaskCancelled, code_name, error_map)
from .health import HealthServer, reject
from .objects import RESERVED_PREFIX, ObjectTable, OperationError, lease_from_env

EXIT_OK = 0
EXIT_BAD_CONNECTION_FILE = 2
EXIT_REGISTRATION_FAILED = 3
EXIT_PARENT_DIED = 4
EXIT_IMPORT_ERROR = 5
EXIT_BAD_SETTING = 6
EXIT_INTERNAL_ERROR = 70

REGISTRATION_TIMEOUT = 10.0
MAX_GET_WAIT = 3600.0
IDLE_SPIN_US = 200          # default of MESH_IDLE_SPIN_US (docs/protocol.md section 3)
MAX_IDLE_SPIN_US = 1_000_000
_MESH_DIR = os.path.dirname(os.path.abspath(__file__)) + os.sep
_MISSING = object()
_Timestamp = msgpack.Timestamp


def _ts(ns):
    """A task time as ext -1, truncated to microseconds so that it decodes to a datetime."""
    if ns is None:
        return None
    return _Timestamp(ns // 1_000_000_000, ns % 1_000_000_000 // 1000 * 1000)


class SettingError(ValueError):
    """A kernel setting in the environment is invalid (the kernel exits with code 6)."""


def idle_spin_from_env():
    """``MESH_IDLE_SPIN_US`` in seconds (default 200 µs; 0: never spin). SettingError if it is
    not a whole number from 0 to 1000000."""
    raw = os.environ.get("MESH_IDLE_SPIN_US")
    if raw is None or not raw.strip():
        return IDLE_SPIN_US / 1e6
    text = raw.strip()
    if not (text.isascii() and text.isdigit()) or int(text) > MAX_IDLE_SPIN_US:
        raise SettingError("invalid MESH_IDLE_SPIN_US=%r: expected a whole number of "
                           "microseconds from 0 to %d" % (raw, MAX_IDLE_SPIN_US))
    return int(text) / 1e6


def exception_error(exc):
    """The wire error map for an exception a handler raised (code 0, or its ``code`` >= 10000)."""
    if isinstance(exc, OperationError):
        return exc.to_map()  # a refused proxy operation: reserved code, no traceback
    t = type(exc)
    name = t.__qualname__ if t.__module__ == "builtins" else "%s.%s" % (t.__module__, t.__qualname__)
    tb = exc.__traceback__
    while tb is not None and tb.tb_frame.f_code.co_filename.startswith(_MESH_DIR):
        tb = tb.tb_next
    text = "".join(traceback.format_exception(t, exc, tb or exc.__traceback__))
    code = getattr(exc, "code", None)
    if not isinstance(code, int) or isinstance(code, bool) or code < 10000:
        code = APPLICATION_ERROR
    return error_map(name, str(exc), code, text.rstrip("\n").split("\n"))


class _Stop(BaseException):
    """Unwinds the main loop to exit with ``code`` (raised from signal handlers too)."""

    def __init__(self, code):
        super().__init__(code)
        self.code = code


class _Waiter:
    """A request parked until its task ends: a ``get_request`` (answered on the get socket) or
    a call-style ``submit_request`` (``call: true``, answered on the submit socket, with no
    deadline: it is never in the expiry heap)."""

    __slots__ = ("sock", "ids", "msg_id", "task_id", "keep", "deadline", "done")

    def __init__(self, sock, ids, msg_id, task_id, keep, deadline):
        self.sock = sock
        self.ids = ids
        self.msg_id = msg_id
        self.task_id = task_id
        self.keep = keep
        self.deadline = deadline
        self.done = False


class _TaskQueue:
    """Priority queue (10 first, FIFO within a priority) shared by the main thread and workers."""

    def __init__(self):
        self.cond = threading.Condition(threading.Lock())
        self.heap = []
        self.count = 0          # queued tasks (not counting lazily removed ones)
        self.running = 0        # workers busy with a handler
        self.running_set = set()
        self.closed = False
        self._seq = itertools.count()

    def put(self, task):
        with self.cond:
            heapq.heappush(self.heap, (-task.priority, next(self._seq), task))
            self.count += 1
            self.cond.notify()

    def take(self):
        with self.cond:
            while True:
                while not self.heap:
                    if self.closed:
                        return None
                    self.cond.wait()
                _, _, task = heapq.heappop(self.heap)
                if task.state != QUEUED:
                    continue  # cancelled while queued
                task.state = STARTED
                task.started_at = time.time_ns()
                self.count -= 1
                self.running += 1
                self.running_set.add(task)
                return task

    def cancel(self, task):
        with self.cond:
            if task.state != QUEUED:
                return False
            task.state = CANCELLED
            self.count -= 1
            return True

    def release(self, task):
        with self.cond:
            self.running -= 1
            self.running_set.discard(task)

    def running_tasks(self):
        with self.cond:
            return list(self.running_set)

    def close(self):
        with self.cond:
            self.closed = True
            self.heap.clear()
            self.cond.notify_all()


class Kernel:
    """A set of endpoints and the settings to serve them.

    ``endpoints``: a dict name -> function (or use the :meth:`endpoint` decorator).
    ``max_concurrency``: worker threads (default ``MESH_MAX_CONCURRENCY`` or the CPU count).
    ``max_queue``: queued tasks before ``QUEUE_FULL``. ``result_ttl`` / ``max_retained``:
    retention of unfetched results (section 6.3). ``proxy_lease``: seconds a silent session
    keeps its object references (default ``MESH_PROXY_LEASE`` or 30, section 9.4).
    """

    def __init__(self, endpoints=None, *, max_concurrency=None, max_queue=100_000,
                 result_ttl=600.0, max_retained=10_000, proxy_lease=None):
        self._endpoints = {}
        self._exports = {}
        self.proxy_lease = proxy_lease
        self.max_concurrency = max_concurrency
        self.max_queue = max_queue
        self.result_ttl = result_ttl
        self.max_retained = max_retained
        for name, fn in (endpoints or {}).items():
            self.add_endpoint(name, fn)

    @property
    def endpoints(self):
        """name -> :class:`mesh.endpoint.Endpoint`."""
        return dict(self._endpoints)

    @property
    def exports(self):
        """name -> exported object, class or function (the roots of section 9.2)."""
        return dict(self._exports)

    def add_endpoint(self, name, fn, doc=None, *, inline=False):
        """Registers ``fn`` as the endpoint ``name`` (``inline``: see :meth:`endpoint`)."""
        if not isinstance(name, str) or not name:
            raise ValueError("endpoint names must be non-empty strings")
        if name.startswith(RESERVED_PREFIX):
            raise ValueError("endpoint names starting with %r are reserved for the proxy "
                             "protocol: %r" % (RESERVED_PREFIX, name))
        self._endpoints[name] = Endpoint(name, fn, doc, inline=inline)
        return fn

    def export(self, name=None, obj=_MISSING):
        """Makes an object, class or function reachable by reference as the root ``name``.

        ``kernel.export("Model", Model)``, or as a decorator: ``@kernel.export`` (the
        class's or function's ``__name__``) or ``@kernel.export("Name")``. Returns ``obj``.
        Only exported roots are reachable by name (``mesh.root``); their public members are
        reachable through references (protocol section 9.2).
        """
        if obj is _MISSING and name is not None and not isinstance(name, str):
            obj, name = name, None  # bare decorator or export(obj)
        if obj is _MISSING:
            def register(target):
                self.export(name or target.__name__, target)
                return target
            return register
        if name is None:
            name = getattr(obj, "__name__", None)
        if not isinstance(name, str) or not name:
            raise ValueError("export names must be non-empty strings")
        self._exports[name] = obj
        return obj

    def endpoint(self, name=None, *, doc=None, inline=False):
        """Decorator: ``@kernel.endpoint("name")`` (or bare ``@kernel.endpoint``).

        ``inline=True``: the handler runs on the kernel's I/O (main) thread the moment its
        ``submit_request`` is accepted, instead of being queued for a worker thread, so a call
        costs no thread hand-off inside the kernel. Only for handlers that take microseconds
        and never block (getters, echo, small arithmetic): while one runs, the kernel reads no
        other request (the health thread still answers). Inline tasks ignore priority and do
        not count against ``max_concurrency``; binding, errors, task records, results,
        progress, log capture and call answers are as for other endpoints, and so is the
        endpoint's ``kernel_info`` entry. Nothing can cancel or time out an inline handler
        while it runs (the thread that would is running it): a ``timeout`` is checked when it
        returns (``TASK_TIMEOUT`` if it ran longer), and a cancel or interrupt finds it ended.
        Coroutine functions are refused with ValueError (the kernel does not await handlers).
        """
        if callable(name):
            fn = name
            self.add_endpoint(fn.__name__, fn, inline=inline)
            return fn

        def register(fn):
            self.add_endpoint(name or fn.__name__, fn, doc, inline=inline)
            return fn

        return register

    def lease(self):
        """Seconds a silent session keeps its references: ``proxy_lease``, else
        ``MESH_PROXY_LEASE``, else 30."""
        if self.proxy_lease:
            return float(self.proxy_lease)
        return lease_from_env()

    def concurrency(self):
        if self.max_concurrency:
            return int(self.max_concurrency)
        env = os.environ.get("MESH_MAX_CONCURRENCY", "").strip()
        if env:
            try:
                n = int(env)
                if n > 0:
                    return n
            except ValueError:
                pass
            print("mesh: ignoring MESH_MAX_CONCURRENCY=%r" % env, file=sys.stderr)
        return os.cpu_count() or 1

    def serve(self, connection_file=None, *, exit=True):
        """Serves until shutdown; returns (``exit=False``) or exits with the section 3 code.

        ``connection_file`` defaults to ``$MESH_CONNECTION_FILE``; it may also be a
        :class:`ConnectionInfo`.
        """
        code = self._serve(connection_file)
        if not exit:
            return code
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except Exception:
                pass
        os._exit(code)

    def _serve(self, connection_file):
        try:
            if isinstance(connection_file, ConnectionInfo):
                info = connection_file
            else:
                path = connection_file or os.environ.get("MESH_CONNECTION_FILE")
                if not path:
                    raise ConnectionFileError("no connection file: set MESH_CONNECTION_FILE")
                info = ConnectionInfo.load(path)
            if not info.registration:
                raise ConnectionFileError("connection file has no registration address")
        except ConnectionFileError as e:
            print("mesh: %s" % e, file=sys.stderr)
            return EXIT_BAD_CONNECTION_FILE
        try:
            idle_spin = idle_spin_from_env()
        except SettingError as e:
            print("mesh: %s" % e, file=sys.stderr)
            return EXIT_BAD_SETTING
        runtime = _Runtime(self, info, idle_spin)
        return runtime.run()


class _Runtime:
    """One serving kernel process: sockets, tasks, waiters, workers."""

    def __init__(self, kernel, info, idle_spin=0.0):
        self.kernel = kernel
        self.info = info
        self.idle_spin = idle_spin  # seconds the main loop keeps looking after its last activity
        self.objects = ObjectTable(info.kernel_id, kernel._exports, kernel.lease())
        proxy_ops = self.objects.endpoints()
        self.proxy_ops = frozenset(proxy_ops)
        self.endpoints = dict(kernel._endpoints)
        self.endpoints.update(proxy_ops)
        self.env = Envelope(info.key, max_frame_bytes=info.max_message_bytes)
        self.concurrency = kernel.concurrency()
        self.pid = os.getpid()
        self.tasks = {}
        self.retained = collections.OrderedDict()   # final tasks: id -> monotonic end time
        self.waiters = {}                           # task id -> [_Waiter]
        self.waiter_heap = []
        self.timeouts = []                          # (deadline, seq, task)
        self.gone = collections.OrderedDict()   # rejected or forgotten task id -> error map
        self.queue = _TaskQueue()
        self.events = collections.deque()
        self.wake_r, self.wake_w = os.pipe()
        os.set_blocking(self.wake_r, False)
        os.set_blocking(self.wake_w, False)
        self.wake_pending = False
        self.completed = 0
        self.rejected = 0
        self.inline_running = 0     # 1 while the main thread runs an inline handler
        self.io_thread = None       # ident of the thread that runs the main loop
        self.shutting_down = False
        self.grace_at = None
        self.grace_signalled = False
        self.started = time.monotonic()
        self._seq = itertools.count()
        self.health = None
        self.ctx = None
        self.sockets = []
        self.poller = None          # the main loop's transport.SocketPoller
        self.linger = 0

    # ---------------------------------------------------------------------------- lifecycle

    def run(self):
        self.io_thread = threading.get_ident()
        old_handlers = {}
        if threading.current_thread() is threading.main_thread():
            def on_signal(signum, frame):
                raise _Stop(EXIT_OK)

            for sig in (signal.SIGTERM, signal.SIGINT):
                old_handlers[sig] = signal.signal(sig, on_signal)
        code = EXIT_INTERNAL_ERROR
        try:
            try:
                self._start()
                self._loop()
            except _Stop as stop:
                code = stop.code
            except Exception:
                traceback.print_exc(file=sys.__stderr__)
                code = EXIT_INTERNAL_ERROR
            finally:
                try:
                    self._close(self.linger if code == EXIT_OK else 0)
                except _Stop:
                    pass
        except _Stop:
            pass  # a second SIGTERM while closing
        finally:
            for sig, old in old_handlers.items():
                signal.signal(sig, old)
        return code

    def _start(self):
        info = self.info
        logcapture.install()
        self.ctx = zmq.Context()
        mk = lambda: transport.make_socket(self.ctx, zmq.ROUTER, info.max_message_bytes)
        health_sock, self.submit, self.get = mk(), mk(), mk()
        self.sockets = [self.submit, self.get]
        names = ("health", "submit", "get")
        self.addresses = {}
        for name, sock in zip(names, (health_sock, self.submit, self.get)):
            self.addresses[name] = transport.bind(sock, info.transport, info.ip, info.ipc_dir,
                                                  "%s-%s" % (info.kernel_id, name))
        self.info_content = self._kernel_info()
        self.health = HealthServer(health_sock, self.env, self._health_content,
                                   on_session=self.objects.touch)
        self.health.start()
        for i in range(self.concurrency):
            threading.Thread(target=self._worker, name="mesh-worker-%d" % i, daemon=True).start()
        self._register()

    def _register(self):
        info = self.info
        reg = transport.make_socket(self.ctx, zmq.DEALER)
        try:
            reg.connect(info.registration)
            msg_id, frames = self.env.pack("register_request", {
                "kernel_id": info.kernel_id, "pid": self.pid, "addresses": dict(self.addresses),
                "info": self.info_content})
            transport.send(reg, frames)
            wait = REGISTRATION_TIMEOUT
            try:  # tests shorten it; the protocol's value is 10 s
                wait = float(os.environ.get("MESH_REGISTRATION_TIMEOUT", wait))
            except ValueError:
                pass
            deadline = time.monotonic() + wait
            while True:
                left = deadline - time.monotonic()
                if left <= 0 or not reg.poll(int(left * 1000) + 1):
                    if time.monotonic() >= deadline:
                        print("mesh: no register_reply from %s within %g s"
                              % (info.registration, wait), file=sys.__stderr__)
                        raise _Stop(EXIT_REGISTRATION_FAILED)
                    continue
                _, got = transport.recv(reg)
                try:
                    msg = self.env.unpack(got)
                except EnvelopeError:
                    continue
                if msg.type != "register_reply" or msg.parent_id != msg_id:
                    continue
                c = msg.content if isinstance(msg.content, dict) else {}
                if c.get("accepted") is not True:
                    print("mesh: registration refused: %r" % (c.get("error"),), file=sys.__stderr__)
                    raise _Stop(EXIT_REGISTRATION_FAILED)
                return
        finally:
            reg.close(0)

    def _close(self, linger):
        self.queue.close()
        if self.health is not None:
            self.health.stop()
        for sock in self.sockets:
            try:
                sock.close(linger)
            except zmq.ZMQError:
                pass
        if self.ctx is not None:
            self.ctx.term()
        if self.info.transport == "ipc":
            for addr in getattr(self, "addresses", {}).values():
                try:
                    os.unlink(addr[len("ipc://"):])
                except OSError:
                    pass

    # ---------------------------------------------------------------------------- main loop

    def _loop(self):
        # One poll(2) over the sockets' ZMQ_FD and the wake pipe (transport.SocketPoller), not
        # zmq.Poller: zmq_poll makes a dozen system calls per wake-up.
        submit, get, wake_r = self.submit, self.get, self.wake_r
        self.poller = poller = transport.SocketPoller([submit, get], [wake_r])
        pending = poller.pending
        housekeeping = min(1.0, self.objects.lease / 4)
        next_housekeeping = time.monotonic() + housekeeping
        parent = self._parent_check()
        # Idle spin (MESH_IDLE_SPIN_US): for idle_spin seconds after the last message or worker
        # outcome, look again without sleeping, yielding the core between looks: the next call
        # of a client calling back to back then costs no wake-up of this thread (tens of
        # microseconds on a small machine, a large part of a short call). The spin ends
        # idle_spin after the last activity, so an idle kernel sleeps in poll() as before;
        # timers are checked on every look. While a worker has a task it is off: the spinning
        # thread would contend for the GIL with the handler (poll and sched_yield drop the GIL
        # only for an instant), and the worker's outcome wakes this thread anyway.
        spin = self.idle_spin
        spin_until = 0.0
        queue = self.queue
        while True:
            now = time.monotonic()
            if now < spin_until and not queue.running and not queue.count:
                ready = poller.wait(0)
                if not ready and True not in pending:
                    os.sched_yield()
            else:
                wait = next_housekeeping - now
                if self.waiter_heap:
                    wait = min(wait, self.waiter_heap[0][0] - now)
                if self.timeouts:
                    wait = min(wait, self.timeouts[0][0] - now)
                if self.grace_at is not None and not self.grace_signalled:
                    wait = min(wait, self.grace_at - now)
                ready = poller.wait(max(0, int(wait * 1000) + 1) if wait > 0 else 0)
            active = bool(ready)
            if ready:  # the wake pipe: worker outcomes, progress
                try:
                    os.read(wake_r, 65536)
                except BlockingIOError:
                    pass
                self.wake_pending = False
                self._drain_events()
            if pending[0]:
                active = self._drain(submit, self._on_submit_port) or active
            if pending[1]:
                active = self._drain(get, self._on_get_port) or active
            now = time.monotonic()
            if active and spin:
                spin_until = now + spin
            if self.waiter_heap and self.waiter_heap[0][0] <= now:
                self._expire_waiters(now)
            if self.timeouts and self.timeouts[0][0] <= now:
                self._expire_timeouts(now)
            if now >= next_housekeeping:
                next_housekeeping = now + housekeeping
                self._sweep_retained(now)
                self.objects.sweep(now)
                if parent is not None and not parent():
                    print("mesh: parent process %s died; exiting" % self.info.parent_pid,
                          file=sys.__stderr__)
                    raise _Stop(EXIT_PARENT_DIED)
            if self.shutting_down:
                if not self.grace_signalled and now >= self.grace_at:
                    self.grace_signalled = True
                    for task in self.queue.running_tasks():
                        task.request_cancel("shutdown")
                if self.queue.running == 0 and not self.events:
                    self.linger = 500
                    raise _Stop(EXIT_OK)

    def _parent_check(self):
        ppid = self.info.parent_pid
        if not ppid or ppid <= 0:
            return None
        if ppid == os.getppid():
            return lambda: os.getppid() == ppid
        def alive():
            try:
                os.kill(ppid, 0)
            except ProcessLookupError:
                return False
            except PermissionError:
                return True
            return True
        return alive

    def _drain(self, sock, handler):
        """Receives and handles up to 512 messages from ``sock``; tells the poller when the socket
        is empty. True if it took any."""
        touch = self.objects.touch
        now = time.monotonic()
        taken = False
        for _ in range(512):
            try:
                ids, frames = transport.recv(sock, zmq.NOBLOCK, routed=True)
            except zmq.Again:
                # this receive let libzmq process the socket's commands after every send on it
                self.poller.drained(sock)
                return taken
            taken = True
            try:
                msg = self.env.unpack(frames)
            except EnvelopeError as e:
                self.rejected += 1
                self._on_bad_message(sock, ids, e)
                continue
            if not ids:
                self.rejected += 1
                continue
            session = msg.session
            if type(session) is str:
                touch(session, now)  # every message renews the sender's lease (section 9.4)
            try:
                handler(sock, ids, msg)
            except _Stop:
                raise
            except Exception as e:
                traceback.print_exc(file=sys.__stderr__)
                self._error_reply(sock, ids, msg.id, INTERNAL_ERROR,
                                  "internal error handling %s: %s: %s" % (msg.type, type(e).__name__, e))
        return taken

    def _on_bad_message(self, sock, ids, err):
        # An ndarray of the wrong byte length in a request is BAD_ARGUMENTS (section 4.2).
        if (err.content_bytes is not None and sock is self.submit and ids
                and err.header.get("type") == "submit_request"):
            c = codec.decode_lenient(err.content_bytes)
            if isinstance(c, dict) and type(c.get("task_id")) is str:
                self._reject_submit(ids, err.msg_id, c["task_id"], BAD_ARGUMENTS,
                                    "bad ndarray argument: %s" % err)
                return
        reject(self.env, sock, ids, err)
        self._sent(sock)

    # ---------------------------------------------------------------------------- replies

    def _send(self, sock, ids, msg_type, content, parent_id):
        _, frames = self.env.pack(msg_type, content, parent_id)
        transport.send(sock, frames, ids)
        self._sent(sock)

    def _sent(self, sock):
        """After a send on ``sock`` (main thread): the send may have consumed the ZMQ_FD signal
        of a message that just arrived, so the loop looks at the socket before it sleeps."""
        if self.poller is not None:
            self.poller.mark(sock)

    def _error_reply(self, sock, ids, parent_id, code, message):
        self._send(sock, ids, "error_reply",
                   {"error": error_map(code_name(code), message, code)}, parent_id)

    def _record(self, task, state=None, ended_at=None):
        log = task.log
        return {"task_id": task.task_id, "endpoint": task.endpoint,
                "state": state or task.state, "priority": task.priority,
                "pending_at": _ts(task.pending_at), "queued_at": _ts(task.queued_at),
                "started_at": _ts(task.started_at),
                "ended_at": _ts(ended_at if ended_at is not None else task.ended_at),
                "retries": task.retries, "log": log.lines() if log is not None else []}

    # ---------------------------------------------------------------------------- submit port

    def _on_submit_port(self, sock, ids, msg):
        t = msg.type
        if t == "submit_request":
            self._on_submit(ids, msg)
        elif t == "cancel_request":
            self._on_cancel(ids, msg)
        elif t == "status_request":
            self._on_status(ids, msg)
        elif t == "kernel_info_request":
            self._send(sock, ids, "kernel_info_reply", self.info_content, msg.id)
        elif t == "interrupt_request":
            n = 0
            for task in self.queue.running_tasks():
                if task.request_cancel("interrupt"):
                    n += 1
            self._send(sock, ids, "interrupt_reply", {"interrupted": n}, msg.id)
        elif t == "shutdown_request":
            self._on_shutdown(ids, msg)
        else:
            self.rejected += 1
            self._error_reply(sock, ids, msg.id, UNKNOWN_MESSAGE_TYPE,
                              "unknown message type %r on the submit port" % t)

    def _reject_submit(self, ids, msg_id, task_id, code, message):
        err = error_map(code_name(code), message, code)
        self._send(self.submit, ids, "submit_reply",
                   {"task_id": task_id, "accepted": False, "state": None, "error": err}, msg_id)
        if task_id not in self.tasks:
            self._remember_gone(task_id, err)
            waiters = self.waiters.pop(task_id, None)
            if waiters:
                for w in waiters:
                    w.done = True
                    self._send(w.sock, w.ids, "get_reply", {
                        "task_id": task_id, "done": True, "task": None, "error": err}, w.msg_id)

    def _on_submit(self, ids, msg):
        now = time.time_ns()
        c = msg.content
        if type(c) is not dict or type(c.get("task_id")) is not str:
            self.rejected += 1
            self._error_reply(self.submit, ids, msg.id, MALFORMED_MESSAGE,
                              "submit_request content needs a str task_id")
            return
        task_id = c["task_id"]
        if self.shutting_down:
            return self._reject_submit(ids, msg.id, task_id, KERNEL_SHUTTING_DOWN,
                                       "kernel %s is shutting down" % self.info.kernel_id)
        if task_id in self.tasks:
            return self._reject_submit(ids, msg.id, task_id, DUPLICATE_TASK,
                                       "task %s already exists" % task_id)
        name = c.get("endpoint")
        ep = self.endpoints.get(name) if type(name) is str else None
        if ep is None:
            return self._reject_submit(ids, msg.id, task_id, UNKNOWN_ENDPOINT,
                                       "no endpoint named %r (kernel %s serves: %s)"
                                       % (name, self.info.kernel_id, ", ".join(sorted(self.endpoints))))
        args = c.get("args")
        kwargs = c.get("kwargs")
        priority = c.get("priority")
        timeout = c.get("timeout")
        retries = c.get("retries")
        metadata = c.get("metadata")
        args = [] if args is None else args
        kwargs = {} if kwargs is None else kwargs
        priority = 5 if priority is None else priority
        retries = 0 if retries is None else retries
        problem = None
        if type(args) is not list:
            problem = "'args' must be an array"
        elif type(kwargs) is not dict or any(type(k) is not str for k in kwargs):
            problem = "'kwargs' must be a map with str keys"
        elif type(priority) is not int or not 1 <= priority <= 10:
            problem = "'priority' must be an int from 1 to 10, got %r" % (priority,)
        elif timeout is not None and (type(timeout) not in (int, float) or not timeout >= 0):
            problem = "'timeout' must be a non-negative number of seconds or nil"
        elif type(retries) is not int or retries < 0:
            problem = "'retries' must be a non-negative int"
        elif metadata is not None and type(metadata) is not dict:
            problem = "'metadata' must be a map"
        if problem is not None:
            return self._reject_submit(ids, msg.id, task_id, BAD_ARGUMENTS, problem)
        try:
            if name in self.proxy_ops:
                call_args, call_kwargs = ep.bind(args, kwargs)
                self.objects.prepare(name, call_kwargs, msg.has_refs)
            else:
                if msg.has_refs:  # references become their objects before binding (9.1)
                    args = self.objects.resolve(args)
                    kwargs = self.objects.resolve(kwargs)
                call_args, call_kwargs = ep.bind(args, kwargs)
        except BindError as e:
            return self._reject_submit(ids, msg.id, task_id, BAD_ARGUMENTS, str(e))
        except OperationError as e:
            return self._reject_submit(ids, msg.id, task_id, e.code, e.message)
        if self.queue.count >= self.kernel.max_queue:
            return self._reject_submit(ids, msg.id, task_id, QUEUE_FULL,
                                       "queue full (%d tasks)" % self.queue.count)
        task = TaskContext(task_id, name, priority, metadata, retries,
                           float(timeout) if timeout is not None else None)
        if ep.ctx_name is not None:
            call_kwargs[ep.ctx_name] = task
        task.args = call_args
        task.kwargs = call_kwargs
        session = msg.session
        task.session = session if type(session) is str else ""
        task.pending_at = now
        task.queued_at = time.time_ns()
        task.submitter = ids
        task._events = self._inline_event if ep.inline else self._post
        task.state = QUEUED
        self.tasks[task_id] = task
        self.gone.pop(task_id, None)
        if c.get("call") is True:
            # A call (section 6.2): no acknowledgement; the final get_reply goes back on the
            # submit socket, like a get without keep that never times out. Parked before the
            # task is queued, so it cannot end unanswered. (Only a literal true counts: a kernel
            # may ignore ``call``, so anything else is a plain submit, as in the .NET kernel.)
            self.waiters.setdefault(task_id, []).append(
                _Waiter(self.submit, ids, msg.id, task_id, False, None))
        else:
            # Acknowledge first: once queued, a worker competes with this thread for the GIL.
            self._send(self.submit, ids, "submit_reply",
                       {"task_id": task_id, "accepted": True, "state": QUEUED}, msg.id)
        if ep.inline:
            self._run_inline(task)
        else:
            self.queue.put(task)

    def _on_cancel(self, ids, msg):
        c = msg.content
        task_id = c.get("task_id") if type(c) is dict else None
        if type(task_id) is not str:
            self.rejected += 1
            return self._error_reply(self.submit, ids, msg.id, MALFORMED_MESSAGE,
                                     "cancel_request content needs a str task_id")
        task = self.tasks.get(task_id)
        if task is None:
            return self._send(self.submit, ids, "cancel_reply", {
                "task_id": task_id, "cancelled": False, "state": None,
                "error": error_map("UNKNOWN_TASK", "no task %s" % task_id, UNKNOWN_TASK)}, msg.id)
        cancelled = False
        if task.state == QUEUED and self.queue.cancel(task):
            cancelled = True
            self._finish(task, CANCELLED, None, self._cancel_error(task, "cancel"))
        elif task.state == STARTED:
            task.request_cancel("cancel")
            cancelled = True
        self._send(self.submit, ids, "cancel_reply",
                   {"task_id": task_id, "cancelled": cancelled, "state": task.state}, msg.id)

    def _on_status(self, ids, msg):
        c = msg.content
        task_ids = c.get("task_ids") if type(c) is dict else None
        if type(task_ids) is not list:
            self.rejected += 1
            return self._error_reply(self.submit, ids, msg.id, MALFORMED_MESSAGE,
                                     "status_request content needs an array task_ids")
        tasks = []
        for tid in task_ids:
            task = self.tasks.get(tid) if type(tid) is str else None
            tasks.append(self._record(task) if task is not None else None)
        self._send(self.submit, ids, "status_reply", {"tasks": tasks}, msg.id)

    def _on_shutdown(self, ids, msg):
        c = msg.content
        grace = c.get("grace") if type(c) is dict else None
        if type(grace) not in (int, float) or not grace >= 0:
            grace = 0.0
        if not self.shutting_down:
            self.shutting_down = True
            self.grace_at = time.monotonic() + float(grace)
            for task in list(self.tasks.values()):
                if task.state == QUEUED and self.queue.cancel(task):
                    self._finish(task, CANCELLED, None, self._cancel_error(task, "shutdown"))
        self._send(self.submit, ids, "shutdown_reply", {"accepted": True}, msg.id)

    # ---------------------------------------------------------------------------- get port

    def _on_get_port(self, sock, ids, msg):
        if msg.type != "get_request":
            self.rejected += 1
            return self._error_reply(sock, ids, msg.id, UNKNOWN_MESSAGE_TYPE,
                                     "unknown message type %r on the get port" % msg.type)
        c = msg.content
        task_id = c.get("task_id") if type(c) is dict else None
        timeout = c.get("timeout") if type(c) is dict else None
        keep = c.get("keep") if type(c) is dict else None
        if (type(task_id) is not str or (timeout is not None and type(timeout) not in (int, float))
                or (keep is not None and type(keep) is not bool)):
            self.rejected += 1
            return self._error_reply(sock, ids, msg.id, MALFORMED_MESSAGE,
                                     "get_request content must be {task_id: str, timeout: float|nil, keep: bool}")
        keep = bool(keep)
        task = self.tasks.get(task_id)
        if task is not None and task.state in FINAL_STATES:
            self._send_result(self.get, ids, msg.id, task)
            if not keep:
                self._forget(task_id)
            return
        if task is None and task_id in self.gone:
            # rejected, or already fetched/expired: answer at once instead of waiting
            return self._send(self.get, ids, "get_reply", {
                "task_id": task_id, "done": True, "task": None,
                "error": self.gone[task_id]}, msg.id)
        wait = MAX_GET_WAIT if timeout is None else min(max(float(timeout), 0.0), MAX_GET_WAIT)
        if wait <= 0:
            return self._send_pending(ids, msg.id, task_id)
        w = _Waiter(self.get, ids, msg.id, task_id, keep, time.monotonic() + wait)
        self.waiters.setdefault(task_id, []).append(w)
        heapq.heappush(self.waiter_heap, (w.deadline, next(self._seq), w))

    def _send_result(self, sock, ids, parent_id, task):
        """Sends the final ``get_reply`` of ``task`` (on the get socket, or the submit socket
        for a call)."""
        body, buffers = task.reply
        _, frames = self.env.pack_encoded("get_reply", body, buffers, parent_id)
        transport.send(sock, frames, ids)
        self._sent(sock)
        task.proxy_ids = None  # the references it carries now belong to the session

    def _send_pending(self, ids, parent_id, task_id):
        task = self.tasks.get(task_id)
        if task is not None:
            content = {"task_id": task_id, "done": False, "task": self._record(task)}
        else:
            content = {"task_id": task_id, "done": True, "task": None, "error": error_map(
                "UNKNOWN_TASK", "no task %s (never submitted, or already fetched or expired)"
                % task_id, UNKNOWN_TASK)}
        self._send(self.get, ids, "get_reply", content, parent_id)

    def _expire_waiters(self, now):
        heap = self.waiter_heap
        while heap and heap[0][0] <= now:
            _, _, w = heapq.heappop(heap)
            if w.done:
                continue
            w.done = True
            lst = self.waiters.get(w.task_id)
            if lst is not None:
                try:
                    lst.remove(w)
                except ValueError:
                    pass
                if not lst:
                    del self.waiters[w.task_id]
            self._send_pending(w.ids, w.msg_id, w.task_id)

    # ---------------------------------------------------------------------------- task ends

    def _cancel_error(self, task, reason):
        text = {"cancel": "was cancelled", "interrupt": "was interrupted",
                "shutdown": "was cancelled because the kernel is shutting down"}.get(reason, "was cancelled")
        return error_map("TASK_CANCELLED", "task %s %s" % (task.task_id, text), TASK_CANCELLED)

    def _timeout_error(self, task):
        return error_map("TASK_TIMEOUT", "task %s exceeded its timeout of %g s"
                         % (task.task_id, task.timeout), TASK_TIMEOUT)

    def _finish(self, task, state, result, error, reply=None, ended_at=None):
        """Makes ``task`` final (main thread only) and answers the gets (and the call) waiting
        for it."""
        if state != COMPLETED and task.proxy_ids:
            self._release_refs(task)
        task.state = state
        task.ended_at = ended_at if ended_at is not None else time.time_ns()
        task.final_error = error
        task.args = task.kwargs = None
        if reply is None:
            content = {"task_id": task.task_id, "done": True, "task": self._record(task)}
            if error is not None:
                content["error"] = error
            else:
                content["result"] = result
            reply = codec.encode(content)
        task.reply = reply
        self.completed += 1
        self.retained[task.task_id] = time.monotonic()
        waiters = self.waiters.pop(task.task_id, None)
        if waiters:
            # Protocol 6.3: a final get_reply without keep forgets the task, whatever other
            # requests asked (as the .NET and C kernels do).
            forget = False
            for w in waiters:
                w.done = True
                forget = forget or not w.keep
                self._send_result(w.sock, w.ids, w.msg_id, task)
            if forget:
                self._forget(task.task_id)
        while len(self.retained) > self.kernel.max_retained:
            self._forget(next(iter(self.retained)))

    def _release_refs(self, task):
        """Takes back the references a result that will never be delivered handed out."""
        ids, task.proxy_ids = task.proxy_ids, None
        if ids:
            self.objects.release(task.session, ids)

    def _forget(self, task_id):
        task = self.tasks.pop(task_id, None)
        if task is not None and task.proxy_ids:
            self._release_refs(task)  # expired or evicted before anyone fetched it
        self.retained.pop(task_id, None)
        self._remember_gone(task_id, error_map(
            "UNKNOWN_TASK", "kernel %s has no task %s (already fetched or expired)"
            % (self.info.kernel_id, task_id), UNKNOWN_TASK))

    def _remember_gone(self, task_id, err):
        gone = self.gone
        gone[task_id] = err
        if len(gone) > 10_000:
            gone.popitem(last=False)

    def _sweep_retained(self, now):
        ttl = self.kernel.result_ttl
        retained = self.retained
        while retained:
            task_id, ended = next(iter(retained.items()))
            if now - ended < ttl:
                break
            self._forget(task_id)

    def _expire_timeouts(self, now):
        heap = self.timeouts
        while heap and heap[0][0] <= now:
            _, _, task = heapq.heappop(heap)
            if task.state != STARTED:
                continue
            task.request_cancel("timeout")
            # The task is final at once; the worker's eventual return is discarded.
            self._finish(task, ERROR, None, self._timeout_error(task))

    # ---------------------------------------------------------------------------- workers

    def _post(self, event):
        """Thread-safe: queue an event for the main thread and wake its poller."""
        self.events.append(event)
        self._wake()

    def _wake(self):
        if not self.wake_pending:
            self.wake_pending = True
            try:
                os.write(self.wake_w, b"\0")
            except BlockingIOError:
                pass

    def _drain_events(self):
        events = self.events
        while events:
            ev = events.popleft()
            kind = ev[0]
            if kind == "done":
                _, task, state, reply, error, ended_at = ev
                if task.state in FINAL_STATES:
                    self._release_refs(task)
                    continue  # timed out already
                if task.cancel_reason is not None and state == COMPLETED:
                    # cancel signalled after the handler returned but before we saw it
                    state, reply, error = CANCELLED, None, self._cancel_error(task, task.cancel_reason)
                self._finish(task, state, None, error, reply, ended_at)
            elif kind == "started":
                _, task, deadline = ev
                if task.state == STARTED:
                    heapq.heappush(self.timeouts, (deadline, next(self._seq), task))
            elif kind == "progress":
                _, task, value, message = ev
                self._send_progress(task, value, message)

    def _send_progress(self, task, value, message):
        """Sends a ``progress`` message to the submitter of a running task (main thread only)."""
        if task.state != STARTED or task.submitter is None:
            return
        try:
            self._send(self.submit, task.submitter, "progress", {
                "task_id": task.task_id, "value": value,
                "message": None if message is None else str(message)}, None)
        except TypeError as e:
            print("mesh: cannot send progress of task %s: %s" % (task.task_id, e),
                  file=sys.__stderr__)

    def _inline_event(self, event):
        """The event sink of an inline task: progress reported from the main thread (the
        handler itself) goes out at once; from any other thread it is posted as usual."""
        if event[0] == "progress" and threading.get_ident() == self.io_thread:
            _, task, value, message = event
            self._send_progress(task, value, message)
        else:
            self._post(event)

    def _worker(self):
        queue = self.queue
        execute = self._execute
        events = self.events
        while True:
            task = queue.take()
            if task is None:
                return
            state, reply, error, ended_at = execute(task)
            # Queue the event, free the slot, then wake the main thread (in that order: the
            # shutdown check reads "no running task and no pending event").
            events.append(("done", task, state, reply, error, ended_at))
            queue.release(task)
            self._wake()

    def _run_inline(self, task):
        """Runs the task of an inline endpoint here on the main thread, as its submit is
        accepted, and finishes it (answering its call and waiting gets). No priority, no
        concurrency slot; nothing can cancel it while it runs, and its timeout is checked when
        the handler returns."""
        task.state = STARTED
        task.started_at = time.time_ns()
        self.inline_running = 1
        try:
            state, reply, error, ended_at = self._execute(task, inline=True)
        finally:
            self.inline_running = 0
        self._finish(task, state, None, error, reply, ended_at)

    def _execute(self, task, inline=False):
        """Runs ``task``'s handler on this thread (a worker's, or the main thread for an inline
        endpoint): current task, log capture, cancellation, exception -> error with traceback,
        result encoding. Returns ``(state, reply, error, ended_at)``."""
        try:
            if inline:
                started = time.monotonic()
            elif task.timeout is not None:
                self._post(("started", task, time.monotonic() + task.timeout))
            fn = self.endpoints[task.endpoint].fn
            log = logcapture.TaskLog()
            task.log = log
            set_current(task)
            logcapture.begin(log)
            error = None
            value = None
            try:
                value = fn(*task.args, **task.kwargs)
                state = COMPLETED
            except TaskCancelled:
                state = CANCELLED
            except _Stop:
                raise  # SIGTERM/SIGINT while an inline handler runs: the kernel exits
            except BaseException as e:  # noqa: B902 - a handler's SystemExit is an error too
                state = ERROR
                error = exception_error(e)
            finally:
                logcapture.end()
                set_current(None)
            if (inline and task.timeout is not None and task.cancel_reason is None
                    and time.monotonic() - started > task.timeout):
                task.request_cancel("timeout")  # ran past its timeout: no timer could stop it
            reason = task.cancel_reason
            if reason == "timeout":
                state, error = ERROR, self._timeout_error(task)
            elif reason is not None or state == CANCELLED:
                state, error = CANCELLED, self._cancel_error(task, reason or "cancel")
            ended_at = time.time_ns()
            reply, failure = self._encode_reply(task, state, value, error, ended_at)
            if reply is None:
                state, error = ERROR, failure
                reply, _ = self._encode_reply(task, state, None, error, ended_at)
            return state, reply, error, ended_at
        except _Stop:
            raise
        except BaseException:
            traceback.print_exc(file=sys.__stderr__)
            return ERROR, None, error_map(
                "INTERNAL_ERROR", "kernel failure running task %s" % task.task_id,
                INTERNAL_ERROR), time.time_ns()

    def _encode_reply(self, task, state, value, error, ended_at):
        content = {"task_id": task.task_id, "done": True,
                   "task": self._record(task, state, ended_at)}
        if error is not None:
            content["error"] = error
        else:
            content["result"] = value
        try:
            return codec.encode(content), None
        except Exception as e:
            return None, error_map(type(e).__name__, "the result of endpoint %r cannot be encoded: %s"
                                   % (task.endpoint, e), APPLICATION_ERROR)

    # ---------------------------------------------------------------------------- info

    def _kernel_info(self):
        return {"kernel_id": self.info.kernel_id, "protocol_version": 1, "language": "python",
                "implementation": "mesh-python", "implementation_version": _version(),
                "pid": self.pid, "hostname": _socket.gethostname(),
                "max_concurrency": self.concurrency,
                "endpoints": [ep.describe() for ep in self.endpoints.values()]}

    def _health_content(self):
        q = self.queue
        return {"status": "shutting_down" if self.shutting_down else "ok",
                "kernel_id": self.info.kernel_id, "pid": self.pid,
                "uptime": time.monotonic() - self.started, "queued": q.count,
                "running": q.running + self.inline_running, "completed": self.completed,
                "rejected": self.rejected + (self.health.rejected if self.health else 0)}


def _version():
    from . import __version__
    return __version__
