"""A test kernel on the default kernel (module-level @mesh.endpoint decorators)."""

import logging
import sys
import time

import numpy as np

import mesh

log = logging.getLogger("misc_kernel")
logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")


@mesh.endpoint("busy")
def busy(seconds: float) -> float:
    """Busy for `seconds` without ever looking at cancellation."""
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        pass
    return seconds


@mesh.endpoint("spin")
def spin(limit: float = 30.0) -> str:
    """Loops until cancelled, checking mesh.current_task()."""
    task = mesh.current_task()
    end = time.monotonic() + limit
    while time.monotonic() < end:
        task.check_cancelled()
        time.sleep(0.005)
    return "not cancelled"


@mesh.endpoint("spin_flag")
def spin_flag(limit: float = 30.0) -> str:
    """Loops until mesh.cancelled() and then returns normally."""
    end = time.monotonic() + limit
    while time.monotonic() < end and not mesh.cancelled():
        time.sleep(0.005)
    return "returned"


@mesh.endpoint("chatter")
def chatter(n: int) -> int:
    """Writes to stdout, stderr and a logger."""
    for i in range(n):
        print("out %d" % i)
    sys.stderr.write("err line\n")
    log.info("logged %d", n)
    print("partial", end="")
    return n


@mesh.endpoint("meta")
def meta(ctx: mesh.TaskContext):
    return {"metadata": ctx.metadata, "priority": ctx.priority, "task_id": ctx.task_id}


@mesh.endpoint("unencodable")
def unencodable():
    return object()


@mesh.endpoint("add_arrays")
def add_arrays(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    return x + y


class AppError(Exception):
    code = 10042


@mesh.endpoint("app_error")
def app_error():
    raise AppError("with an application code")
