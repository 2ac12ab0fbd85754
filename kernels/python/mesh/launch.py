"""A minimal Python-side manager (docs/protocol.md section 3 and 6.8).

:func:`launch` binds a registration ROUTER, writes the 0600 connection file, starts the kernel
process in its own process group with ``MESH_CONNECTION_FILE`` in its environment, waits for
``register_request`` and the first health reply, and writes the client connection file.
:meth:`KernelProcess.shutdown` escalates: ``shutdown_request`` -> wait -> SIGTERM to the process
group -> wait -> SIGKILL.

    with mesh.launch("my_kernel.py", kernel_id="solver-1") as k:
        with k.client() as c:
            c.call("solve", ...)
"""

import collections
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import weakref

import zmq

from . import transport
from .connection import DEFAULT_MAX_MESSAGE_BYTES, ConnectionInfo
from .envelope import Envelope, EnvelopeError
from .errors import KernelProcessError, MeshError

_PACKAGE_PARENT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
EXIT_CODE_MEANING = {0: "normal shutdown", 2: "bad or missing connection file",
                     3: "registration failed", 4: "parent process died",
                     5: "import error in the kernel module",
                     6: "invalid kernel setting in the environment", 70: "internal error"}


class KernelStartError(KernelProcessError):
    """The kernel process did not become ready; carries its exit code and log tail."""

    tail_heading = "Kernel output (last lines)"


def describe_exit(code):
    """``"exit code 5 (import error ...)"`` or ``"killed by SIGKILL"`` for a Popen returncode."""
    if code is None:
        return "still running"
    if code < 0:
        try:
            return "killed by %s" % signal.Signals(-code).name
        except ValueError:
            return "killed by signal %d" % -code
    meaning = EXIT_CODE_MEANING.get(code)
    return "exit code %d%s" % (code, " (%s)" % meaning if meaning else "")


class KernelProcess:
    """A running kernel started by :func:`launch`."""

    def __init__(self, proc, info, client_info, workdir, owns_workdir, kernel_info, log_lines):
        self.proc = proc
        self.info = client_info
        self.kernel_info = kernel_info
        self.workdir = workdir
        self.connection_file = os.path.join(workdir, "connection.json")
        self.client_connection_file = os.path.join(workdir, "client.json")
        self._owns_workdir = owns_workdir
        self._log = log_lines
        self._clients = weakref.WeakSet()
        self._clients_lock = threading.Lock()
        self._watch = threading.Thread(target=self._watch_process, name="mesh-kernel-watch",
                                       daemon=True)
        self._watch.start()

    @property
    def pid(self):
        return self.proc.pid

    @property
    def kernel_id(self):
        return self.info.kernel_id

    @property
    def returncode(self):
        return self.proc.poll()

    def log_tail(self, n=50):
        """The last ``n`` lines the kernel wrote to stdout/stderr."""
        return list(self._log)[-n:]

    def client(self, **options):
        """A :class:`mesh.Client` for this kernel; it is told at once if the process dies."""
        from .client import Client
        options.setdefault("heartbeat_ms", self.info.heartbeat_ms)
        c = Client(self.info.health, self.info.submit, self.info.get, self.info.key,
                   kernel_id=self.info.kernel_id, **options)
        with self._clients_lock:
            self._clients.add(c)
        if self.proc.poll() is not None:
            c.kernel_died(describe_exit(self.proc.returncode), self.proc.returncode, self.log_tail(20))
        return c

    def _watch_process(self):
        code = self.proc.wait()
        time.sleep(0.05)  # let the output readers catch the last lines
        with self._clients_lock:
            clients = list(self._clients)
        for c in clients:
            c.kernel_died("process %d %s" % (self.proc.pid, describe_exit(code)), code,
                          self.log_tail(20))

    def wait(self, timeout=None):
        """Waits for the process to exit; returns its returncode (None on timeout)."""
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            return None

    def signal(self, signum):
        """Sends ``signum`` to the kernel's process group."""
        try:
            os.killpg(self.proc.pid, signum)
        except (ProcessLookupError, PermissionError):
            pass

    def kill(self):
        self.signal(signal.SIGKILL)
        return self.wait(5.0)

    def shutdown(self, grace=1.0, timeout=5.0):
        """Stops the kernel: request, then SIGTERM, then SIGKILL; returns the returncode."""
        if self.proc.poll() is None:
            try:
                env = Envelope(self.info.key)
                ctx = zmq.Context.instance()
                sock = transport.make_socket(ctx, zmq.DEALER)
                try:
                    sock.connect(self.info.submit)
                    _, frames = env.pack("shutdown_request", {"grace": float(grace)})
                    transport.send(sock, frames)
                    code = self.wait(grace + timeout)
                finally:
                    sock.close(0)
            except zmq.ZMQError:
                code = None
            if code is None:
                self.signal(signal.SIGTERM)
                code = self.wait(timeout)
            if code is None:
                self.signal(signal.SIGKILL)
                code = self.wait(timeout)
        self.cleanup()
        return self.proc.returncode

    def cleanup(self):
        for path in (self.connection_file, self.client_connection_file):
            try:
                os.unlink(path)
            except OSError:
                pass
        if self._owns_workdir:
            shutil.rmtree(self.workdir, ignore_errors=True)
        if self.info.ipc_dir and self.info.ipc_dir != self.workdir:
            # the short folder launch() made because the work folder was too long for socket names
            shutil.rmtree(self.info.ipc_dir, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.shutdown(grace=0.5, timeout=3.0)


def _reader(stream, lines, echo):
    for raw in iter(stream.readline, b""):
        line = raw.decode("utf-8", "replace").rstrip("\n")
        lines.append(line)
        if echo is not None:
            try:
                echo.write(line + "\n")
                echo.flush()
            except Exception:
                pass
    stream.close()


# Unix sockets where the OS has them: no TCP stack between local processes, and only the owner
# of the (0700) folder can connect. A socket path holds at most 107 bytes and kernels name their
# files with up to ~60 characters, so the folder given to them must stay short.
DEFAULT_TRANSPORT = "tcp" if os.name == "nt" else "ipc"
MAX_IPC_DIR_LENGTH = 40


def launch(target=None, *, argv=None, kernel_id=None, env=None, cwd=None, transport_name=DEFAULT_TRANSPORT,
           heartbeat_ms=1000, max_message_bytes=DEFAULT_MAX_MESSAGE_BYTES, startup_timeout=30.0,
           python=None, workdir=None, echo=None, log_lines=2000):
    """Starts a kernel and waits until it is ready; returns a :class:`KernelProcess`.

    ``target``: a module name or ``.py`` path served with ``python -m mesh target``; or give
    the full command in ``argv`` (any kernel language). ``env`` adds environment variables.
    ``echo``: a text stream that receives the kernel's output as it comes (else only kept for
    :meth:`KernelProcess.log_tail`). Raises :class:`KernelStartError` with the exit code and
    the output tail if the kernel exits or stays silent.
    """
    if argv is None:
        if target is None:
            raise ValueError("give a target module/script or argv")
        argv = [python or sys.executable, "-m", "mesh", target]
    kernel_id = kernel_id or "kernel-%s" % secrets.token_hex(4)
    owns = workdir is None
    workdir = workdir or tempfile.mkdtemp(prefix="mesh-")
    os.chmod(workdir, 0o700)
    ctx = zmq.Context.instance()
    reg = transport.make_socket(ctx, zmq.ROUTER)
    proc = None
    ipc_dir = None
    try:
        registration = transport.bind(reg, "tcp")
        key = secrets.token_hex(32)
        if transport_name not in ("tcp", "ipc"):
            raise ValueError("unknown transport %r (use 'ipc' or 'tcp')" % (transport_name,))
        if transport_name == "ipc":
            ipc_dir = workdir if len(workdir) <= MAX_IPC_DIR_LENGTH else tempfile.mkdtemp(prefix="mesh-ipc-", dir="/tmp")
        info = ConnectionInfo(kernel_id=kernel_id, key=key, registration=registration,
                              transport=transport_name, ipc_dir=ipc_dir, parent_pid=os.getpid(),
                              max_message_bytes=max_message_bytes, heartbeat_ms=heartbeat_ms)
        conn_path = info.write(os.path.join(workdir, "connection.json"))
        child_env = dict(os.environ)
        child_env.update(env or {})
        child_env["MESH_CONNECTION_FILE"] = conn_path
        child_env["PYTHONPATH"] = os.pathsep.join(
            p for p in (_PACKAGE_PARENT, child_env.get("PYTHONPATH")) if p)
        child_env.setdefault("PYTHONUNBUFFERED", "1")
        proc = subprocess.Popen(argv, env=child_env, cwd=cwd, stdin=subprocess.DEVNULL,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                start_new_session=True)
        lines = collections.deque(maxlen=log_lines)
        for stream in (proc.stdout, proc.stderr):
            threading.Thread(target=_reader, args=(stream, lines, echo), daemon=True,
                             name="mesh-kernel-output").start()
        envelope = Envelope(key)
        deadline = time.monotonic() + startup_timeout

        def fail(why):
            code = proc.poll()
            if code is None:
                try:
                    os.killpg(proc.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                code = proc.wait()
            time.sleep(0.05)
            raise KernelStartError("kernel %s (%s) failed to start: %s; %s"
                                   % (kernel_id, " ".join(argv), why, describe_exit(code)),
                                   code, list(lines)[-30:])

        # 1. register_request
        request = None
        while request is None:
            if proc.poll() is not None:
                fail("the process exited before registering")
            if time.monotonic() > deadline:
                fail("no register_request within %g s" % startup_timeout)
            if not reg.poll(50):
                continue
            ids, frames = transport.recv(reg, routed=True)
            try:
                msg = envelope.unpack(frames)
            except EnvelopeError:
                continue
            if msg.type != "register_request" or not isinstance(msg.content, dict):
                continue
            c = msg.content
            if c.get("kernel_id") != kernel_id:
                _, out = envelope.pack("register_reply", {
                    "accepted": False, "error": "unknown kernel id %r" % c.get("kernel_id")},
                    parent_id=msg.id)
                transport.send(reg, out, ids)
                continue
            _, out = envelope.pack("register_reply", {"accepted": True}, parent_id=msg.id)
            transport.send(reg, out, ids)
            request = c

        addresses = request.get("addresses") or {}
        client_info = ConnectionInfo.from_dict(dict(
            info.to_dict(), health=addresses.get("health"), submit=addresses.get("submit"),
            get=addresses.get("get"), pid=request.get("pid")))

        # 2. first health reply
        hsock = transport.make_socket(ctx, zmq.DEALER)
        try:
            hsock.connect(client_info.health)
            hid, frames = envelope.pack("health_request", {})
            transport.send(hsock, frames)
            while True:
                if proc.poll() is not None:
                    fail("the process exited before its first health reply")
                if time.monotonic() > deadline:
                    fail("no health reply within %g s" % startup_timeout)
                if not hsock.poll(50):
                    continue
                _, frames = transport.recv(hsock)
                try:
                    msg = envelope.unpack(frames)
                except EnvelopeError:
                    continue
                if msg.type == "health_reply" and msg.parent_id == hid:
                    break
        finally:
            hsock.close(0)

        client_info.write(os.path.join(workdir, "client.json"))
        return KernelProcess(proc, info, client_info, workdir, owns, request.get("info"), lines)
    except BaseException:
        if proc is not None and proc.poll() is None:
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            proc.wait()
        if owns:
            shutil.rmtree(workdir, ignore_errors=True)
        if ipc_dir and ipc_dir != workdir:
            shutil.rmtree(ipc_dir, ignore_errors=True)
        raise
    finally:
        reg.close(0)
