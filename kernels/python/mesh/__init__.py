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

Remote objects (protocol section 9)::

    @mesh.export                          # on the kernel: reachable by reference
    class Counter: ...

    counter = client.root("Counter")(5)   # a mesh.RemoteObject
    counter.add(2); counter.value.get(); counter.release()
"""

__version__ = "0.1.0"

from .errors import (BadArgumentsError, DecodeError, KernelLostError, KernelShuttingDownError,
                     MeshError, ProtocolError, ProxyError, ProxyForbiddenError,
                     ProxyNotDataError, ProxyNotExportedError, ProxyUnknownMemberError,
                     ProxyUnknownObjectError, RemoteError, TaskCancelled, TaskCancelledError,
                     TaskTimeoutError, UnknownEndpointError, UnknownTaskError)
from .ref import Ref
from .table import Table
from .context import TaskContext, cancelled, check_cancelled, current_task, progress
from .kernel import Kernel
from .client import Client, TaskHandle
from .proxy import RemoteMember, RemoteObject, ref_of
from .launch import KernelProcess, KernelStartError, launch

_default_kernel = None


def default_kernel():
    """The kernel that module-level ``@mesh.endpoint`` decorators register on."""
    global _default_kernel
    if _default_kernel is None:
        _default_kernel = Kernel()
    return _default_kernel


def endpoint(name=None, *, doc=None, inline=False):
    """Registers a function on the default kernel: ``@mesh.endpoint("name")``
    (``inline=True``: see :meth:`Kernel.endpoint`)."""
    if callable(name):
        return default_kernel().endpoint(name, inline=inline)
    return default_kernel().endpoint(name, doc=doc, inline=inline)


def export(*args):
    """Exports a root on the default kernel: ``@mesh.export``, ``@mesh.export("Name")``,
    ``mesh.export("name", obj)`` (see :meth:`Kernel.export`)."""
    return default_kernel().export(*args)


__all__ = [
    "BadArgumentsError", "Client", "DecodeError", "Kernel", "KernelLostError", "KernelProcess",
    "KernelShuttingDownError", "KernelStartError", "MeshError", "ProtocolError", "ProxyError",
    "ProxyForbiddenError", "ProxyNotDataError", "ProxyNotExportedError",
    "ProxyUnknownMemberError", "ProxyUnknownObjectError", "Ref", "RemoteError", "RemoteMember",
    "RemoteObject", "Table", "TaskCancelled", "TaskCancelledError", "TaskContext", "TaskHandle",
    "TaskTimeoutError", "UnknownEndpointError", "UnknownTaskError", "cancelled",
    "check_cancelled", "current_task", "default_kernel", "endpoint", "export", "launch",
    "progress", "ref_of",
]
