"""The JSON value notation of tests/vectors/README.md <-> Python values, and strict equality."""

import math
import struct

import msgpack
import numpy as np

import mesh
from mesh import codec


class F32:
    """A float that must travel as float32 (Python has no float32 scalar msgpack maps)."""

    def __init__(self, value):
        self.value = value


def to_value(v):
    (kind, body), = v.items()
    if kind == "nil":
        return None
    if kind == "bool":
        return body
    if kind == "int":
        return int(body)
    if kind == "f64":
        return struct.unpack(">d", struct.pack(">Q", int(body, 16)))[0]
    if kind == "f32":
        return F32(struct.unpack(">f", struct.pack(">I", int(body, 16)))[0])
    if kind == "str":
        return body
    if kind == "bin":
        return bytes.fromhex(body)
    if kind == "array":
        return [to_value(x) for x in body]
    if kind == "map":
        return {to_value(k): to_value(x) for k, x in body}
    if kind == "ext":
        return msgpack.ExtType(body["type"], bytes.fromhex(body["data"]))
    if kind == "timestamp":
        return codec.timestamp_to_python(msgpack.Timestamp(int(body["sec"]), body["nsec"]))
    if kind == "ndarray":
        dtype = codec.DTYPES[body["dtype"]]
        return np.frombuffer(bytes.fromhex(body["data"]), dtype=dtype).reshape(body["shape"])
    if kind == "table":
        return mesh.Table(zip(body["names"], [to_value(c) for c in body["columns"]]))
    raise ValueError(kind)


def same(a, b, path="value"):
    """Strict equality: types, float bits, ndarray dtype/shape/bytes, map order."""
    if isinstance(a, F32) or isinstance(b, F32):
        a = a.value if isinstance(a, F32) else a
        b = b.value if isinstance(b, F32) else b
    ta, tb = type(a), type(b)
    if isinstance(a, mesh.Table) or isinstance(b, mesh.Table):
        assert ta is tb, "%s: %s vs %s" % (path, ta, tb)
        assert list(a.keys()) == list(b.keys()), path
        for k in a:
            same(a[k], b[k], "%s[%r]" % (path, k))
        return
    if ta is np.ndarray or tb is np.ndarray:
        assert ta is tb, "%s: %s vs %s" % (path, ta, tb)
        assert a.dtype == b.dtype and a.shape == b.shape, "%s: %s%s vs %s%s" % (
            path, a.dtype, a.shape, b.dtype, b.shape)
        assert a.tobytes() == b.tobytes(), path
        return
    assert ta is tb, "%s: %s vs %s" % (path, ta.__name__, tb.__name__)
    if ta is float:
        assert struct.pack(">d", a) == struct.pack(">d", b) or (math.isnan(a) and math.isnan(b)), \
            "%s: %r vs %r" % (path, a, b)
    elif ta is list:
        assert len(a) == len(b), "%s: length %d vs %d" % (path, len(a), len(b))
        for i, (x, y) in enumerate(zip(a, b)):
            same(x, y, "%s[%d]" % (path, i))
    elif ta is dict:
        ka, kb = list(a.keys()), list(b.keys())
        assert len(ka) == len(kb), path
        for x, y in zip(ka, kb):
            same(x, y, path + ".key")
            same(a[x], b[y], "%s[%r]" % (path, x))
    else:
        assert a == b, "%s: %r vs %r" % (path, a, b)
