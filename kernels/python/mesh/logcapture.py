"""Per-task capture of stdout, stderr and logging output (docs/protocol.md section 6.1 ``log``).

``sys.stdout`` and ``sys.stderr`` are replaced by :class:`RoutingStream` objects: text written
from a thread that runs a task goes to that task's :class:`TaskLog`; text from any other thread
goes to the original stream. Logging handlers that wrote to the original streams are pointed at
the routing streams, so logger output is captured the same way. (Output that C code writes to
file descriptors 1 and 2 directly is not captured: it cannot be told apart per thread.)
"""

import collections
import io
import logging
import sys
import threading

MAX_LINES = 1000

_local = threading.local()


class TaskLog:
    """The last ``MAX_LINES`` lines one task wrote."""

    __slots__ = ("_lines", "_dropped", "_partial", "_lock")

    def __init__(self):
        self._lines = collections.deque(maxlen=MAX_LINES)
        self._dropped = 0
        self._partial = ""
        self._lock = threading.Lock()

    def write(self, text):
        with self._lock:
            if "\n" not in text:
                self._partial += text
                return
            parts = (self._partial + text).split("\n")
            self._partial = parts.pop()
            lines = self._lines
            overflow = len(lines) + len(parts) - MAX_LINES
            if overflow > 0:
                self._dropped += overflow
            lines.extend(parts)

    def lines(self):
        """The captured lines; a marker line replaces the oldest when some were dropped."""
        with self._lock:
            out = list(self._lines)
            if self._partial:
                out.append(self._partial)
            dropped = self._dropped
        if len(out) > MAX_LINES:
            dropped += len(out) - MAX_LINES
            out = out[-MAX_LINES:]
        if dropped:
            out = ["[mesh: %d earlier line(s) dropped]" % (dropped + 1)] + out[1:]
        return out


class RoutingStream(io.TextIOBase):
    """A text stream that sends each write to the current task's log, or to ``original``."""

    def __init__(self, original):
        super().__init__()
        self.original = original

    def write(self, text):
        log = getattr(_local, "log", None)
        if log is None:
            return self.original.write(text)
        log.write(text)
        return len(text)

    def flush(self):
        if getattr(_local, "log", None) is None:
            try:
                self.original.flush()
            except Exception:
                pass

    def writable(self):
        return True

    def isatty(self):
        return False

    @property
    def encoding(self):
        return getattr(self.original, "encoding", "utf-8")

    def fileno(self):
        return self.original.fileno()


_installed = False


def install():
    """Routes stdout, stderr and stream logging handlers per task thread (idempotent)."""
    global _installed
    if _installed:
        return
    _installed = True
    out, err = sys.stdout, sys.stderr
    sys.stdout = RoutingStream(out)
    sys.stderr = RoutingStream(err)
    targets = {id(out): sys.stdout, id(err): sys.stderr,
               id(sys.__stdout__): sys.stdout, id(sys.__stderr__): sys.stderr}
    loggers = [logging.getLogger()] + [
        l for l in logging.Logger.manager.loggerDict.values() if isinstance(l, logging.Logger)]
    for logger in loggers:
        for h in logger.handlers:
            if isinstance(h, logging.StreamHandler) and id(h.stream) in targets:
                h.setStream(targets[id(h.stream)])


def begin(log):
    """Routes this thread's output to ``log`` until :func:`end`."""
    _local.log = log


def end():
    _local.log = None
