"""The Python conformance kernel (docs/conformance.md).

    python -m mesh mesh_conformance_kernel.py

``max_concurrency`` comes from ``MESH_MAX_CONCURRENCY`` (default: the CPU count). ``echo_inline``
is ``echo`` registered inline (run on the kernel's I/O thread, no worker hand-off). Besides the
endpoints it exports the proxy conformance objects (``Counter``, ``Policy``, ``Records``,
``Calculator``, ``store``; protocol section 9).
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


@kernel.endpoint("echo_inline", inline=True)
def echo_inline(value):
    """Returns value unchanged, on the kernel's I/O thread (an inline endpoint: no worker)."""
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


# ------------------------------------------------------------------ proxy conformance objects


@kernel.export
class Counter:
    """Counter(start=0): add(n), value (get/set), snapshot(), fail(message), machinery()."""

    def __init__(self, start: int = 0):
        self.value = start
        self._lock = threading.Lock()  # several workers may call add() at once

    def add(self, n: int) -> int:
        """Adds n; returns the new value."""
        with self._lock:
            self.value += n
            return self.value

    def snapshot(self) -> dict:
        """{value} (plain data: returned by value)."""
        return {"value": self.value}

    def fail(self, message: str):
        """Raises ValueError(message)."""
        raise ValueError(message)

    def machinery(self):
        """The object's own class (the allow-list refuses to hand it out)."""
        return type(self)


@kernel.export
class Policy:
    """Policy(rate): attribute rate (get/set)."""

    def __init__(self, rate: float):
        self.rate = rate


@kernel.export
class Records:
    """Records(values): total() (sum, one by one), attribute values (the array, by value)."""

    def __init__(self, values: np.ndarray):
        self.values = np.array(values, dtype=np.float64)  # own, writable copy

    def total(self) -> float:
        """The sum of values, added one by one from the first to the last."""
        x = self.values.reshape(-1)
        return float(np.add.accumulate(x)[-1]) if x.size else 0.0


@kernel.export
class Calculator:
    """Calculator(policy, records): run() = policy.rate * records.total(); attribute policy."""

    def __init__(self, policy: Policy, records: Records):
        if not isinstance(policy, Policy) or not isinstance(records, Records):
            raise TypeError("Calculator(policy: Policy, records: Records), got %s and %s"
                            % (type(policy).__name__, type(records).__name__))
        self.policy = policy
        self.records = records

    def run(self) -> float:
        """policy.rate * records.total()."""
        return self.policy.rate * self.records.total()


# A plain dict: item access (an unknown key raises KeyError), and mesh.deref copies it while it
# holds only plain data.
store = kernel.export("store", {})
