"""The handler's view of its task: cancellation, progress, metadata.

A handler either declares a parameter named ``ctx`` (or annotated ``mesh.TaskContext``), which
the kernel fills in and which is not part of the endpoint's wire signature, or calls
:func:`current_task` from the thread that runs it.
"""

import threading

from .errors import TaskCancelled

_local = threading.local()
_event_lock = threading.Lock()

PENDING = "PENDING"
QUEUED = "QUEUED"
STARTED = "STARTED"
COMPLETED = "COMPLETED"
ERROR = "ERROR"
CANCELLED = "CANCELLED"
FINAL_STATES = frozenset((COMPLETED, ERROR, CANCELLED))


class TaskContext:
    """One task inside a kernel.

    Public: ``task_id``, ``endpoint``, ``priority``, ``metadata``, ``retries``, ``timeout``,
    ``cancelled``, :meth:`check_cancelled`, :meth:`progress`, :meth:`sleep`. The other slots
    belong to the kernel.
    """

    __slots__ = ("task_id", "endpoint", "priority", "metadata", "retries", "timeout",
                 "args", "kwargs", "state", "pending_at", "queued_at", "started_at", "ended_at",
                 "log", "cancel_reason", "_event", "submitter", "seq", "reply", "_events",
                 "keep", "deadline", "final_error", "session", "proxy_ids")

    def __init__(self, task_id, endpoint, priority=5, metadata=None, retries=0, timeout=None):
        self.task_id = task_id
        self.endpoint = endpoint
        self.priority = priority
        self.metadata = metadata if metadata is not None else {}
        self.retries = retries
        self.timeout = timeout
        self.args = ()
        self.kwargs = {}
        self.state = PENDING
        self.pending_at = self.queued_at = self.started_at = self.ended_at = None
        self.log = None
        self.cancel_reason = None  # None, "cancel", "interrupt", "shutdown" or "timeout"
        self._event = None
        self.submitter = None
        self.seq = 0
        self.reply = None
        self._events = None
        self.keep = False
        self.deadline = None
        self.final_error = None
        self.session = ""        # the submitter's header session (proxy reference owner)
        self.proxy_ids = None    # object ids this task's result handed to its session

    # ------------------------------------------------------------------------ cancellation

    @property
    def cancelled(self):
        """True once the task was cancelled, interrupted or timed out."""
        return self.cancel_reason is not None

    def check_cancelled(self):
        """Raises :class:`mesh.TaskCancelled` if the task was cancelled; cheap, call it often."""
        if self.cancel_reason is not None:
            raise TaskCancelled("task %s %s" % (self.task_id, _REASON_TEXT[self.cancel_reason]))

    def sleep(self, seconds):
        """Waits ``seconds`` unless the task is cancelled first (then raises TaskCancelled)."""
        with _event_lock:
            if self._event is None:
                self._event = threading.Event()
            ev = self._event
        self.check_cancelled()
        if seconds > 0:
            ev.wait(seconds)
        self.check_cancelled()

    def request_cancel(self, reason):
        """Signals cancellation (kernel side). Returns False if it was already signalled."""
        if self.cancel_reason is not None:
            return False
        self.cancel_reason = reason
        with _event_lock:
            ev = self._event
        if ev is not None:
            ev.set()
        return True

    # ---------------------------------------------------------------------------- progress

    def progress(self, value, message=None):
        """Reports progress; the kernel sends a ``progress`` message to the submitting client."""
        post = self._events
        if post is not None:
            post(("progress", self, value, message))

    def __repr__(self):
        return "TaskContext(%r, endpoint=%r, state=%s)" % (self.task_id, self.endpoint, self.state)


_REASON_TEXT = {
    "cancel": "was cancelled",
    "interrupt": "was interrupted",
    "shutdown": "was cancelled by kernel shutdown",
    "timeout": "exceeded its timeout",
}


def current_task():
    """The :class:`TaskContext` of the task this thread runs; RuntimeError outside a task."""
    task = getattr(_local, "task", None)
    if task is None:
        raise RuntimeError("mesh.current_task() called outside a Mesh task")
    return task


def cancelled():
    """True if the current task was cancelled (False outside a task)."""
    task = getattr(_local, "task", None)
    return task is not None and task.cancel_reason is not None


def check_cancelled():
    """Raises TaskCancelled if the current task was cancelled (no-op outside a task)."""
    task = getattr(_local, "task", None)
    if task is not None:
        task.check_cancelled()


def progress(value, message=None):
    """Reports progress for the current task (no-op outside a task)."""
    task = getattr(_local, "task", None)
    if task is not None:
        task.progress(value, message)


def set_current(task):
    _local.task = task
