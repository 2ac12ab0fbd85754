"""A test kernel for inline endpoints (``inline=True``): each handler registered twice, as a
normal (worker) endpoint and as an inline one, so the tests can compare the two."""

import logging
import threading
import time

import mesh

kernel = mesh.Kernel()
log = logging.getLogger("inline_kernel")
logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")


def add(a: float, b: float) -> float:
    """a + b."""
    return a + b


def boom(message: str):
    """Raises ValueError(message)."""
    raise ValueError(message)


def chatter(n: int, ctx: mesh.TaskContext) -> dict:
    """Prints n lines and logs one, reports progress 1..n; returns where it ran."""
    for i in range(n):
        print("line %d" % i)
        ctx.progress(i + 1, "step %d" % (i + 1))
    log.info("logged %d", n)
    return {"thread": threading.current_thread().name, "task_id": mesh.current_task().task_id,
            "same_ctx": mesh.current_task() is ctx}


def busy(seconds: float) -> float:
    """Busy for ``seconds`` (an inline handler should never do this; tests use it on purpose)."""
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        pass
    return seconds


for _name, _fn in (("add", add), ("boom", boom), ("chatter", chatter), ("busy", busy)):
    kernel.add_endpoint(_name, _fn)
    kernel.add_endpoint(_name + "_inline", _fn, inline=True)


@kernel.endpoint("sleep")
def sleep(seconds: float, ctx: mesh.TaskContext) -> float:
    """Waits cooperatively on a worker."""
    ctx.sleep(seconds)
    return seconds
