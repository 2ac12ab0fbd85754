"""Error codes of docs/protocol.md sections 4.6 and 9.5 and the exceptions that carry them.

On the wire an error is the map ``{type, message, traceback, code}``; in Python it is a
:class:`RemoteError` (or one of its subclasses, chosen by ``code``).
"""

APPLICATION_ERROR = 0
BAD_SIGNATURE = 1001
UNSUPPORTED_VERSION = 1002
MALFORMED_MESSAGE = 1003
MESSAGE_TOO_LARGE = 1004
UNKNOWN_MESSAGE_TYPE = 1005
UNKNOWN_ENDPOINT = 1101
BAD_ARGUMENTS = 1102
UNKNOWN_TASK = 1103
TASK_CANCELLED = 1104
TASK_TIMEOUT = 1105
KERNEL_SHUTTING_DOWN = 1106
QUEUE_FULL = 1107
DUPLICATE_TASK = 1108
KERNEL_LOST = 1109
INTERNAL_ERROR = 1110
PROXY_UNKNOWN_OBJECT = 1201
PROXY_FORBIDDEN = 1202
PROXY_NOT_DATA = 1203
PROXY_UNKNOWN_MEMBER = 1204
PROXY_NOT_EXPORTED = 1205

CODE_NAMES = {
    APPLICATION_ERROR: "APPLICATION_ERROR",
    BAD_SIGNATURE: "BAD_SIGNATURE",
    UNSUPPORTED_VERSION: "UNSUPPORTED_VERSION",
    MALFORMED_MESSAGE: "MALFORMED_MESSAGE",
    MESSAGE_TOO_LARGE: "MESSAGE_TOO_LARGE",
    UNKNOWN_MESSAGE_TYPE: "UNKNOWN_MESSAGE_TYPE",
    UNKNOWN_ENDPOINT: "UNKNOWN_ENDPOINT",
    BAD_ARGUMENTS: "BAD_ARGUMENTS",
    UNKNOWN_TASK: "UNKNOWN_TASK",
    TASK_CANCELLED: "TASK_CANCELLED",
    TASK_TIMEOUT: "TASK_TIMEOUT",
    KERNEL_SHUTTING_DOWN: "KERNEL_SHUTTING_DOWN",
    QUEUE_FULL: "QUEUE_FULL",
    DUPLICATE_TASK: "DUPLICATE_TASK",
    KERNEL_LOST: "KERNEL_LOST",
    INTERNAL_ERROR: "INTERNAL_ERROR",
    PROXY_UNKNOWN_OBJECT: "PROXY_UNKNOWN_OBJECT",
    PROXY_FORBIDDEN: "PROXY_FORBIDDEN",
    PROXY_NOT_DATA: "PROXY_NOT_DATA",
    PROXY_UNKNOWN_MEMBER: "PROXY_UNKNOWN_MEMBER",
    PROXY_NOT_EXPORTED: "PROXY_NOT_EXPORTED",
}


def code_name(code):
    """The protocol name of ``code`` (``"BAD_ARGUMENTS"``), or ``str(code)`` if it has none."""
    name = CODE_NAMES.get(code)
    if name is not None:
        return name
    if 1200 <= code <= 1299:
        return "PROXY_ERROR_%d" % code
    return str(code)


def error_map(type_, message, code, traceback=()):
    """The wire form of an error (section 4.6)."""
    return {"type": type_, "message": message, "traceback": list(traceback), "code": code}


class MeshError(Exception):
    """Base class of every exception this package raises. ``code`` is a section 4.6 code."""

    code = INTERNAL_ERROR


class RemoteError(MeshError):
    """An error reported by a kernel: the remote exception's type, message, traceback and code."""

    def __init__(self, type_, message, traceback=(), code=APPLICATION_ERROR):
        super().__init__(message)
        self.type = type_
        self.message = message
        self.traceback = list(traceback)
        self.code = code

    @classmethod
    def from_map(cls, err):
        """Builds the most specific subclass for a wire error map (tolerant of missing keys)."""
        if not isinstance(err, dict):
            return ProtocolError("error is not a map: %r" % (err,))
        code = err.get("code")
        if not isinstance(code, int) or isinstance(code, bool):
            code = INTERNAL_ERROR
        tb = err.get("traceback")
        tb = [str(x) for x in tb] if isinstance(tb, list) else []
        sub = _BY_CODE.get(code)
        if sub is None:
            sub = ProxyError if 1200 <= code <= 1299 else RemoteError
        return sub(str(err.get("type", "")), str(err.get("message", "")), tb, code)

    def to_map(self):
        return error_map(self.type, self.message, self.code, self.traceback)

    def __str__(self):
        head = "%s: %s" % (self.type, self.message) if self.type else self.message
        if self.code:
            head = "[%s] %s" % (code_name(self.code), head)
        if self.traceback:
            return head + "\n\nRemote traceback (innermost last):\n" + "\n".join(self.traceback)
        return head

    def __reduce__(self):
        return (type(self), (self.type, self.message, self.traceback, self.code))


class BadArgumentsError(RemoteError):
    """``BAD_ARGUMENTS``: missing, surplus or mistyped arguments; the message names the parameter."""


class UnknownEndpointError(RemoteError):
    """``UNKNOWN_ENDPOINT``."""


class UnknownTaskError(RemoteError):
    """``UNKNOWN_TASK``."""


class TaskCancelledError(RemoteError):
    """``TASK_CANCELLED``: the task was cancelled while queued or running."""


class TaskTimeoutError(RemoteError):
    """``TASK_TIMEOUT``: the task ran longer than its timeout."""


class KernelShuttingDownError(RemoteError):
    """``KERNEL_SHUTTING_DOWN``."""


class ProxyError(RemoteError):
    """A refused proxy operation (codes 1200-1299, protocol section 9.5)."""


class ProxyUnknownObjectError(ProxyError):
    """``PROXY_UNKNOWN_OBJECT``: no object with that id (released, expired, never existed)."""


class ProxyForbiddenError(ProxyError):
    """``PROXY_FORBIDDEN``: outside the allow-list (private names, machinery)."""


class ProxyNotDataError(ProxyError):
    """``PROXY_NOT_DATA``: ``deref`` of an object that is not plain data."""


class ProxyUnknownMemberError(ProxyError):
    """``PROXY_UNKNOWN_MEMBER``: no public member of that name."""


class ProxyNotExportedError(ProxyError):
    """``PROXY_NOT_EXPORTED``: ``root`` of a name the kernel does not export."""


_BY_CODE = {
    PROXY_UNKNOWN_OBJECT: ProxyUnknownObjectError,
    PROXY_FORBIDDEN: ProxyForbiddenError,
    PROXY_NOT_DATA: ProxyNotDataError,
    PROXY_UNKNOWN_MEMBER: ProxyUnknownMemberError,
    PROXY_NOT_EXPORTED: ProxyNotExportedError,
    BAD_ARGUMENTS: BadArgumentsError,
    UNKNOWN_ENDPOINT: UnknownEndpointError,
    UNKNOWN_TASK: UnknownTaskError,
    TASK_CANCELLED: TaskCancelledError,
    TASK_TIMEOUT: TaskTimeoutError,
    KERNEL_SHUTTING_DOWN: KernelShuttingDownError,
}


class KernelProcessError(MeshError):
    """An error about a kernel process: carries its exit code and the last lines of its log."""

    tail_heading = "Kernel log tail"

    def __init__(self, message, exit_code=None, log_tail=()):
        super().__init__(message)
        self.message = message
        self.exit_code = exit_code
        self.log_tail = list(log_tail)

    def __str__(self):
        if self.log_tail:
            return "%s\n\n%s:\n%s" % (self.message, self.tail_heading, "\n".join(self.log_tail))
        return self.message


class KernelLostError(KernelProcessError):
    """``KERNEL_LOST`` (client side): the kernel died or stopped answering health."""

    code = KERNEL_LOST


class ProtocolError(MeshError):
    """Bytes or messages that break docs/protocol.md (undecodable, wrong frames, bad sizes)."""

    def __init__(self, message, code=MALFORMED_MESSAGE):
        super().__init__(message)
        self.code = code


class DecodeError(ProtocolError):
    """MessagePack that must be rejected: truncated, oversized lengths, too deep, bad ext 1/2."""


class ArraySizeError(DecodeError):
    """An ndarray whose byte length differs from product(shape) * itemsize (section 4.2)."""


class TaskCancelled(Exception):
    """Raised inside a handler by ``check_cancelled()`` (and cancellable waits) once the task
    has been cancelled, interrupted or timed out. Let it propagate; the kernel records the task
    as ``CANCELLED`` (or ``ERROR``/``TASK_TIMEOUT``)."""
