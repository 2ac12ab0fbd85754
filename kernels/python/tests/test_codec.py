"""Codec round trips on seeded random values, canonical form, and strict decoding."""

import datetime as dt
import random
import struct

import msgpack
import numpy as np
import pytest

import mesh
from mesh import codec
from mesh.errors import ArraySizeError, DecodeError
from notation import same

DTYPES = list(codec.DTYPES)


class Gen:
    """A small seeded generator of Mesh values (hypothesis is not available here)."""

    def __init__(self, seed):
        self.r = random.Random(seed)

    def int(self):
        r = self.r
        bits = r.choice([4, 7, 8, 15, 16, 31, 32, 63, 64])
        if r.random() < 0.5:
            return r.randrange(0, 2**bits)
        return -r.randrange(0, 2**min(bits, 63) + 1)

    def float(self):
        r = self.r
        c = r.random()
        if c < 0.1:
            return r.choice([0.0, -0.0, float("inf"), float("-inf"), float("nan"), 5e-324])
        if c < 0.3:
            return struct.unpack("<d", struct.pack("<Q", r.getrandbits(64)))[0]
        return r.uniform(-1e6, 1e6)

    def str(self):
        r = self.r
        n = r.choice([0, 1, 5, 31, 32, 200, 255, 256, 1000])
        alphabet = "abcXYZ019 \u00e9\u20ac\U0001F30D\n\t\u0000"
        return "".join(r.choices(alphabet, k=n))

    def bytes(self):
        n = self.r.choice([0, 1, 31, 255, 256, 5000])
        return self.r.getrandbits(8 * n).to_bytes(n, "little") if n else b""

    def datetime(self):
        r = self.r
        sec = r.choice([0, 1, 2**32 - 1, 2**32, 2**34, -1, r.randrange(-2**35, 2**35)])
        us = r.choice([0, r.randrange(0, 10**6)])
        return codec.timestamp_to_python(msgpack.Timestamp(sec, us * 1000))

    def ndarray(self):
        r = self.r
        dtype = np.dtype(r.choice(DTYPES))
        shape = r.choice([[], [0], [1], [r.randrange(1, 50)], [r.randrange(1, 8), r.randrange(1, 8)],
                          [r.randrange(100, 400)], [2, 0, 3]])
        n = int(np.prod(shape)) if shape else 1
        nb = n * dtype.itemsize
        raw = np.frombuffer(r.getrandbits(8 * nb).to_bytes(nb, "little") if nb else b"", dtype=dtype)
        if dtype.kind == "b":
            raw = raw.view(np.uint8) % 2 == 1
        return raw.reshape(shape).copy()

    def table(self):
        r = self.r
        n = r.randrange(0, 20)
        cols = {}
        for i in range(r.randrange(0, 4)):
            if r.random() < 0.3:
                cols["s%d" % i] = [r.choice([None, "x", "\u00e9t\u00e9", ""]) for _ in range(n)]
            else:
                dtype = np.dtype(r.choice(DTYPES))
                cols["c%d" % i] = np.arange(n).astype(dtype)
        return mesh.Table(cols)

    def scalar(self):
        r = self.r
        return r.choice([lambda: None, lambda: r.random() < 0.5, self.int, self.float, self.str,
                         self.bytes, self.datetime])()

    def value(self, depth=0):
        r = self.r
        c = r.random()
        if depth > 3 or c < 0.5:
            return self.scalar()
        if c < 0.65:
            return [self.value(depth + 1) for _ in range(r.choice([0, 1, 3, 8, 16, 17]))]
        if c < 0.8:
            d = {}
            for _ in range(r.choice([0, 1, 3, 8, 16, 17])):
                key = self.str() if r.random() < 0.8 else self.int()
                d[key] = self.value(depth + 1)
            return d
        if c < 0.93:
            return self.ndarray()
        return self.table()


@pytest.mark.parametrize("seed", range(40))
def test_random_roundtrip(seed):
    g = Gen(seed)
    for _ in range(25):
        v = g.value()
        content, buffers = codec.encode(v)
        same(codec.decode(content, [bytes(b) for b in buffers]), v)
        # self-contained form: every array inline
        same(codec.decode(codec.packb(v)), v)


@pytest.mark.parametrize("seed", range(10))
def test_plain_values_match_reference_encoder(seed):
    g = Gen(1000 + seed)
    for _ in range(50):
        v = g.value()
        if _has_ext(v):
            continue
        assert codec.packb(v) == msgpack.packb(v, use_bin_type=True)


def _has_ext(v):
    if isinstance(v, (np.ndarray, dt.datetime, mesh.Table)):
        return True
    if isinstance(v, list):
        return any(_has_ext(x) for x in v)
    if isinstance(v, dict):
        return any(_has_ext(x) for x in v.values())
    return False


@pytest.mark.parametrize("seed", range(8))
def test_mutated_bytes_never_crash_the_decoder(seed):
    g = Gen(2000 + seed)
    r = random.Random(seed)
    for _ in range(300):
        content, buffers = codec.encode(g.value())
        data = bytearray(content)
        for _ in range(r.randrange(1, 4)):
            op = r.random()
            if op < 0.4 and data:
                data[r.randrange(len(data))] = r.getrandbits(8)
            elif op < 0.7 and data:
                del data[r.randrange(len(data)):]
            else:
                data[r.randrange(len(data) + 1):0] = bytes(r.getrandbits(8) for _ in range(r.randrange(1, 6)))
        try:
            codec.decode(bytes(data), [bytes(b) for b in buffers])
        except DecodeError:
            pass


def test_large_array_uses_one_buffer_without_copy():
    a = np.arange(10**6, dtype=np.float64)
    content, buffers = codec.encode({"x": a})
    assert len(content) < 64 and len(buffers) == 1 and len(buffers[0]) == a.nbytes
    assert np.shares_memory(np.frombuffer(buffers[0], dtype=np.float64), a)
    back = codec.decode(content, buffers)["x"]
    assert np.shares_memory(back, a)  # decoded as a view on the frame


def test_non_contiguous_and_big_endian_arrays_are_normalised():
    a = np.arange(12, dtype=">i4").reshape(3, 4)[:, ::2]
    back = codec.decode(codec.packb(a))
    assert back.dtype == np.dtype("<i4") and back.tolist() == a.tolist()


def test_unsupported_values_are_refused():
    for v in (np.zeros(2, dtype=np.complex128), object(), np.array(["a"]), {1j: 1}):
        with pytest.raises(TypeError):
            codec.encode(v)


def test_buffer_rules():
    content, buffers = codec.encode([np.zeros(200), np.ones(300)])
    with pytest.raises(DecodeError):
        codec.decode(content, buffers[:1])          # missing buffer
    with pytest.raises(DecodeError):
        codec.decode(content, buffers + [b"x"])     # surplus buffer
    with pytest.raises(ArraySizeError):
        codec.decode(content, [buffers[0], bytes(8)])  # wrong length
    twice = msgpack.packb([msgpack.ExtType(1, msgpack.packb(["float64", [200], 0])),
                           msgpack.ExtType(1, msgpack.packb(["float64", [200], 0]))])
    with pytest.raises(DecodeError):
        codec.decode(twice, buffers[:1])            # referenced twice


def test_depth_limit_is_64():
    ok = b"\x91" * 64 + b"\xc0"
    codec.decode(ok)
    with pytest.raises(DecodeError):
        codec.decode(b"\x91" * 65 + b"\xc0")
    with pytest.raises(DecodeError):
        codec.decode(b"\x81\xc0" * 65 + b"\xc0")


def test_timestamps():
    d = dt.datetime(2024, 2, 29, 12, 0, 1, 250000, tzinfo=dt.timezone.utc)
    assert codec.decode(codec.packb(d)) == d
    naive = dt.datetime(2024, 1, 1)
    assert codec.decode(codec.packb(naive)) == naive.replace(tzinfo=dt.timezone.utc)
    ns = msgpack.Timestamp(5, 7)
    assert codec.decode(codec.packb(ns)) == ns   # sub-microsecond: kept exact


def test_table_validation():
    with pytest.raises(ValueError):
        mesh.Table({"a": [1, 2], "b": [1]})
    with pytest.raises(ValueError):
        mesh.Table({"m": np.zeros((2, 2))})
    with pytest.raises(TypeError):
        mesh.Table({"x": [1, "a"]})
    t = mesh.Table({"i": [1, 2], "s": ["a", None], "f": np.array([0.5, 1.5], dtype=np.float32)})
    assert t.num_rows == 2 and t.names == ["i", "s", "f"]
    assert codec.decode(codec.packb(t)) == t
