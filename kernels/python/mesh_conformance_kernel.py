"""The Python conformance kernel (docs/conformance.md).

    python -m mesh mesh_conformance_kernel.py

``max_concurrency`` comes from ``MESH_MAX_CONCURRENCY`` (default: the CPU count).
"""

import os
import threading

import numpy as np

import mesh

kernel = mesh.Kernel()

_order_lock = threading.Lock()
_order_count = 0


@kernel.endpoint("echo")
def echo(value):
    """Returns value unchanged."""
    return value


@kernel.endpoint("add")
def add(a: float, b: float) -> float:
    """a + b as float64."""
    return a + b


@kernel.endpoint("concat")
def concat(a: str, b: str = "-") -> str:
    """a + b (tests named arguments and defaults)."""
    return a + b


@kernel.endpoint("sum_array")
def sum_array(x: np.ndarray) -> float:
    """Sum of all elements of a float64 array, added one by one in row-major order."""
    x = np.asarray(x, dtype=np.float64).reshape(-1)
    # np.sum adds pairwise; the conformance result is the plain left-to-right sum, which
    # add.accumulate computes (sequentially) without a Python loop.
    return float(np.add.accumulate(x)[-1]) if x.size else 0.0


@kernel.endpoint("scale")
def scale(x: np.ndarray, factor: float) -> np.ndarray:
    """Each element times factor, same shape."""
    return np.asarray(x, dtype=np.float64) * factor


@kernel.endpoint("transpose")
def transpose(m: np.ndarray) -> np.ndarray:
    """The transpose of a 2-D float64 array (row-major)."""
    m = np.asarray(m, dtype=np.float64)
    if m.ndim != 2:
        raise ValueError("transpose needs a 2-D array, got %d-D" % m.ndim)
    return np.ascontiguousarray(m.T)


@kernel.endpoint("make_table")
def make_table(n: int) -> mesh.Table:
    """Columns id (int64 0..n-1), value (float64 id * 0.5), name (str "row{id}")."""
    ids = np.arange(n, dtype=np.int64)
    return mesh.Table({"id": ids, "value": ids * 0.5, "name": ["row%d" % i for i in range(n)]})


@kernel.endpoint("table_echo")
def table_echo(t: mesh.Table) -> mesh.Table:
    """Returns t unchanged."""
    return t


@kernel.endpoint("fail")
def fail(message: str):
    """Raises ValueError(message)."""
    raise ValueError(message)


@kernel.endpoint("sleep")
def sleep(seconds: float, ctx: mesh.TaskContext) -> float:
    """Waits cooperatively (cancellable); returns seconds."""
    ctx.sleep(seconds)
    return seconds


@kernel.endpoint("progress")
def progress(steps: int, ctx: mesh.TaskContext) -> int:
    """Reports progress 1..steps; returns steps."""
    for i in range(1, steps + 1):
        ctx.progress(i, "step %d of %d" % (i, steps))
    return steps


@kernel.endpoint("log")
def log(lines: list) -> int:
    """Writes each line to the task log (stdout); returns the count."""
    for line in lines:
        print(line)
    return len(lines)


@kernel.endpoint("order")
def order(tag):
    """[tag, n] where n counts calls to order since kernel start (0-based)."""
    global _order_count
    with _order_lock:
        n = _order_count
        _order_count += 1
    return [tag, n]


@kernel.endpoint("pid")
def pid() -> int:
    """The kernel's process id."""
    return os.getpid()
