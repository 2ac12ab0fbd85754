"""A test kernel for the Python-specific sides of the proxy protocol (section 9): plain-data
roots, a function root, members that would hand out interpreter machinery, cancellable and
logging methods."""

import os
import sys

import numpy as np

import mesh

kernel = mesh.Kernel()

kernel.export("data", np.arange(12.0).reshape(3, 4))
kernel.export("table", mesh.Table({"id": np.arange(3, dtype=np.int64), "name": ["a", "b", None]}))
kernel.export("config", {"rate": 0.5, "names": ["x", "y"]})


@kernel.export
class Thing:
    """A bag of members for allow-list probes."""

    label = "thing"

    def __init__(self, n: int = 0):
        self.n = n
        self.rate = 1.0
        self.items = {"n": n}
        self._secret = "hidden"

    # -- results that are interpreter machinery (refused) --------------------------------
    def module(self):
        return os

    def builtin(self):
        return len

    def function(self):
        return lambda: 1

    def method(self):
        return self.me

    def code(self):
        return Thing.me.__code__

    def frame(self):
        return sys._getframe()

    def klass(self):
        return dict

    # -- results that are exported roots (allowed, by reference) -------------------------
    def exported_class(self):
        return Thing

    def exported_function(self):
        return make_things

    # -- by reference / by value ---------------------------------------------------------
    def me(self):
        return self

    def pair(self):
        return [self, 1]          # not plain data: the list comes back by reference

    def numbers(self):
        return (1, 2.5, "three", None, [np.arange(3)], {"k": b"\x00"})

    def gen(self):
        yield self.n

    def set_of(self):
        return {1, 2}

    # -- names -------------------------------------------------------------------------
    def set_rate(self, rate: float):
        self.rate = rate
        return self.rate

    def setRate(self, rate: float):  # noqa: N802 - makes "SetRate" ambiguous on purpose
        return -1.0

    def get_total_count(self) -> int:
        return 42

    def to_string(self) -> str:
        return "Thing(%d)" % self.n

    @property
    def broken(self):
        raise AttributeError("the getter itself failed")

    @property
    def double(self):
        return 2 * self.n

    # -- task behaviour ------------------------------------------------------------------
    def spin(self, limit: float, ctx: mesh.TaskContext):
        """Loops until cancelled (cooperatively, through the injected context)."""
        ctx.sleep(limit)
        return "not cancelled"

    def talk(self, lines: list) -> int:
        for line in lines:
            print(line)
        return len(lines)

    def total(self, values: np.ndarray) -> float:
        return float(np.sum(values))

    def take(self, thing, *, scale: float = 1.0):
        """Takes another Thing (by reference) and returns its n scaled."""
        return thing.n * scale

    def gather(self, things: list, by_name: dict) -> list:
        return [t.n for t in things] + [by_name[k].n for k in sorted(by_name)]


@kernel.export
def make_things(n: int):
    """A list of Things (not plain data: comes back as one reference)."""
    return [Thing(i) for i in range(n)]


@kernel.endpoint("describe")
def describe(obj, others: list = None) -> str:
    """An ordinary endpoint taking references: they arrive as the objects."""
    names = [type(obj).__name__] + [type(o).__name__ for o in (others or [])]
    return ",".join(names)
