"""Argument binding (docs/protocol.md 6.2) without a kernel process."""

import numpy as np
import numpy.typing as npt
import pytest

import mesh
from mesh.endpoint import BindError, Endpoint


def f(a: float, b: float = 2.0, *, c: str = "x"):
    return a, b, c


def test_positional_then_named():
    ep = Endpoint("f", f)
    args, kwargs = ep.bind([1], {"c": "y"})
    assert f(*args, **kwargs) == (1.0, 2.0, "y")
    args, kwargs = ep.bind([1, 3], {})
    assert f(*args, **kwargs) == (1.0, 3.0, "x")


@pytest.mark.parametrize("args,kwargs,name", [
    ([], {}, "'a'"),                 # missing
    ([1, 2, 3], {}, "surplus"),      # surplus positional
    ([1], {"a": 2}, "'a'"),          # both ways
    ([1], {"zzz": 2}, "'zzz'"),      # unknown name
    (["no"], {}, "'a'"),             # not convertible
    ([1], {"c": 5}, "'c'"),
])
def test_bad_arguments_name_the_parameter(args, kwargs, name):
    with pytest.raises(BindError) as e:
        Endpoint("f", f).bind(args, kwargs)
    assert name in str(e.value)


def test_conversions():
    def g(x: np.ndarray, y: npt.NDArray[np.float32], n: int, t: mesh.Table, o: "float | None" = None):
        return x, y, n, t, o

    ep = Endpoint("g", g)
    args, kwargs = ep.bind([[1, 2], [1, 2], 3.0, {"a": [1]}], {"o": None})
    x, y, n, t, o = g(*args, **kwargs)
    assert isinstance(x, np.ndarray) and y.dtype == np.float32 and n == 3 and type(n) is int
    assert isinstance(t, mesh.Table) and o is None
    with pytest.raises(BindError, match="'n'"):
        ep.bind([[1], [1], 2.5, {}], {})
    with pytest.raises(BindError, match="'x'"):
        ep.bind([["a"], [1], 1, {}], {})


def test_ctx_is_injected_and_hidden():
    def h(x, ctx):
        return x

    ep = Endpoint("h", h)
    assert ep.ctx_name == "ctx"
    assert [p["name"] for p in ep.describe()["params"]] == ["x"]
    with pytest.raises(BindError):
        ep.bind([1], {"ctx": 2})


def test_describe():
    d = Endpoint("f", f).describe()
    assert d["params"] == [{"name": "a", "type": "float64", "required": True},
                           {"name": "b", "type": "float64", "required": False},
                           {"name": "c", "type": "str", "required": False}]


def test_varargs_and_positional_only():
    def v(a, /, b, *rest, **kw):
        return a, b, rest, kw

    ep = Endpoint("v", v)
    args, kwargs = ep.bind([1, 2, 3, 4], {"z": 5})
    assert v(*args, **kwargs) == (1, 2, (3, 4), {"z": 5})
    with pytest.raises(BindError, match="positional-only"):
        Endpoint("w", lambda a, /: a).bind([], {"a": 1})
