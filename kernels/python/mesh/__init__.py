"""Mesh for Python: kernels and clients of the Mesh wire protocol (docs/protocol.md).

Kernel side::

    import mesh

    @mesh.endpoint("add")
    def add(a: float, b: float) -> float:
        return a + b

    # python -m mesh this_file.py   (started by a manager, e.g. mesh.launch)

Client side::

    with mesh.launch("this_file.py") as kernel, kernel.client() as client:
        client.call("add", 1, 2)          # 3.0
"""

__version__ = "0.1.0"

from .errors import (BadArgumentsError, DecodeError, KernelLostError, KernelShuttingDownError,
                     MeshError, ProtocolError, RemoteError, TaskCancelled, TaskCancelledError,
                     TaskTimeoutError, UnknownEndpointError, UnknownTaskError)
from .table import Table
from .context import TaskContext, cancelled, check_cancelled, current_task, progress
from .kernel import Kernel
from .client import Client, TaskHandle
from .launch import KernelProcess, KernelStartError, launch

_default_kernel = None


def default_kernel():
    """The kernel that module-level ``@mesh.endpoint`` decorators register on."""
    global _default_kernel
    if _default_kernel is None:
        _default_kernel = Kernel()
    return _default_kernel


def endpoint(name=None, *, doc=None):
    """Registers a function on the default kernel: ``@mesh.endpoint("name")``."""
    if callable(name):
        return default_kernel().endpoint(name)
    return default_kernel().endpoint(name, doc=doc)


__all__ = [
    "BadArgumentsError", "Client", "DecodeError", "Kernel", "KernelLostError", "KernelProcess",
    "KernelShuttingDownError", "KernelStartError", "MeshError", "ProtocolError", "RemoteError",
    "Table", "TaskCancelled", "TaskCancelledError", "TaskContext", "TaskHandle",
    "TaskTimeoutError", "UnknownEndpointError", "UnknownTaskError", "cancelled",
    "check_cancelled", "current_task", "default_kernel", "endpoint", "launch", "progress",
]
