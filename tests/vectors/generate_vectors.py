#!/usr/bin/python3
"""Generate the shared Mesh wire-format vectors (see README.md in this folder).

Plain MessagePack bytes come from Debian's python3-msgpack (``packb(v, use_bin_type=True)``),
the reference encoder named in docs/protocol.md section 4.1. The ext 1 (ndarray) and ext 2
(table) layouts and the envelope frames are built here directly from the protocol text, without
importing the ``mesh`` package, so that the vectors stay an independent reference.

Everything is deterministic: run it twice and the files are identical.

    /usr/bin/python3 tests/vectors/generate_vectors.py
"""

import hashlib
import hmac
import json
import math
import os
import struct

import msgpack

HERE = os.path.dirname(os.path.abspath(__file__))

# --------------------------------------------------------------------------------------------
# Notation builders: each returns the JSON notation of README.md.


def nil():
    return {"nil": None}


def boolean(b):
    return {"bool": bool(b)}


def integer(i):
    return {"int": str(int(i))}


def f64(x):
    return {"f64": "0x%016x" % struct.unpack(">Q", struct.pack(">d", x))[0]}


def f64_bits(bits):
    return {"f64": "0x%016x" % bits}


def f32_bits(bits):
    return {"f32": "0x%08x" % bits}


def string(s):
    return {"str": s}


def binary(b):
    return {"bin": bytes(b).hex()}


def array(items):
    return {"array": list(items)}


def mapping(entries):
    return {"map": [[k, v] for k, v in entries]}


def ext(type_, data):
    return {"ext": {"type": type_, "data": bytes(data).hex()}}


def timestamp(sec, nsec):
    return {"timestamp": {"sec": str(sec), "nsec": nsec}}


def ndarray(dtype, shape, data, buffer=None):
    body = {"dtype": dtype, "shape": list(shape), "data": bytes(data).hex()}
    if buffer is not None:
        body["buffer"] = buffer
    return {"ndarray": body}


def table(names, columns):
    return {"table": {"names": list(names), "columns": list(columns)}}


# --------------------------------------------------------------------------------------------
# Notation -> reference encoding.

INLINE_LIMIT = 1024
ITEMSIZE = {
    "bool": 1, "int8": 1, "int16": 2, "int32": 4, "int64": 8,
    "uint8": 1, "uint16": 2, "uint32": 4, "uint64": 8, "float32": 4, "float64": 8,
}


class _Buffers:
    """Collects buffer frames in the order the encoder meets them (depth first)."""

    def __init__(self):
        self.frames = []


def to_python(v, bufs=None):
    """Turns notation into objects python-msgpack packs to the canonical bytes.

    ndarray and table values become msgpack.ExtType with the protocol's payload; their buffer
    frames are appended to ``bufs`` in encounter order and must carry the same index as the
    notation says.
    """
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
        raise ValueError("f32 is only allowed as a top-level value (see f32_case)")
    if kind == "str":
        return body
    if kind == "bin":
        return bytes.fromhex(body)
    if kind == "array":
        return [to_python(x, bufs) for x in body]
    if kind == "map":
        out = {}
        for k, x in body:
            key = to_python(k, bufs)
            if key in out:
                raise ValueError("duplicate key in map notation")
            out[key] = to_python(x, bufs)
        return out
    if kind == "ext":
        return msgpack.ExtType(body["type"], bytes.fromhex(body["data"]))
    if kind == "timestamp":
        return msgpack.Timestamp(int(body["sec"]), body["nsec"])
    if kind == "ndarray":
        data = bytes.fromhex(body["data"])
        count = math.prod(body["shape"])
        assert len(data) == count * ITEMSIZE[body["dtype"]], body
        if "buffer" in body:
            assert len(data) > INLINE_LIMIT
            assert bufs is not None and body["buffer"] == len(bufs.frames), "buffer order"
            bufs.frames.append(data)
            ref = body["buffer"]
        else:
            assert len(data) <= INLINE_LIMIT
            ref = data
        payload = msgpack.packb([body["dtype"], list(body["shape"]), ref], use_bin_type=True)
        return msgpack.ExtType(1, payload)
    if kind == "table":
        cols = [to_python(c, bufs) for c in body["columns"]]
        payload = msgpack.packb([list(body["names"]), cols], use_bin_type=True)
        return msgpack.ExtType(2, payload)
    raise ValueError("unknown notation " + kind)


def pack(v, bufs=None):
    return msgpack.packb(to_python(v, bufs), use_bin_type=True)


# --------------------------------------------------------------------------------------------
# msgpack.json


def msgpack_cases():
    cases = []

    def add(name, value):
        cases.append({"name": name, "value": value, "hex": pack(value).hex()})

    def add_f32(name, bits):
        x = struct.unpack(">f", struct.pack(">I", bits))[0]
        raw = msgpack.packb(x, use_single_float=True)
        assert raw == b"\xca" + struct.pack(">I", bits), (name, raw.hex())
        cases.append({"name": name, "value": f32_bits(bits), "hex": raw.hex()})

    add("nil", nil())
    add("true", boolean(True))
    add("false", boolean(False))

    for name, i in [
        ("positive fixint 0", 0), ("positive fixint 1", 1), ("positive fixint max 127", 127),
        ("uint8 min 128", 128), ("uint8 max 255", 255),
        ("uint16 min 256", 256), ("uint16 max 65535", 65535),
        ("uint32 min 65536", 65536), ("uint32 max 4294967295", 2**32 - 1),
        ("uint64 min 4294967296", 2**32), ("uint64 int64 max", 2**63 - 1),
        ("uint64 above int64 max", 2**63), ("uint64 max", 2**64 - 1),
        ("negative fixint -1", -1), ("negative fixint min -32", -32),
        ("int8 max -33", -33), ("int8 min -128", -128),
        ("int16 max -129", -129), ("int16 min -32768", -32768),
        ("int32 max -32769", -32769), ("int32 min", -2**31),
        ("int64 max -2147483649", -2**31 - 1), ("int64 min", -2**63),
    ]:
        add(name, integer(i))

    for name, bits in [
        ("float64 0.0", 0x0000000000000000), ("float64 -0.0", 0x8000000000000000),
        ("float64 1.5", 0x3FF8000000000000), ("float64 -1.5", 0xBFF8000000000000),
        ("float64 0.1", 0x3FB999999999999A), ("float64 pi", 0x400921FB54442D18),
        ("float64 1.0 (integral value stays float)", 0x3FF0000000000000),
        ("float64 max", 0x7FEFFFFFFFFFFFFF), ("float64 min normal", 0x0010000000000000),
        ("float64 min subnormal", 0x0000000000000001),
        ("float64 +inf", 0x7FF0000000000000), ("float64 -inf", 0xFFF0000000000000),
        ("float64 NaN", 0x7FF8000000000000),
    ]:
        add(name, f64_bits(bits))

    for name, bits in [
        ("float32 1.5", 0x3FC00000), ("float32 -0.0", 0x80000000), ("float32 0.1", 0x3DCCCCCD),
        ("float32 max", 0x7F7FFFFF), ("float32 min subnormal", 0x00000001),
        ("float32 +inf", 0x7F800000), ("float32 -inf", 0xFF800000), ("float32 NaN", 0x7FC00000),
    ]:
        add_f32(name, bits)

    def ascii_of(n):
        return "".join(chr(ord("a") + i % 26) for i in range(n))

    add("fixstr empty", string(""))
    add("fixstr 1", string("a"))
    add("fixstr max 31 bytes", string(ascii_of(31)))
    add("str8 min 32 bytes", string(ascii_of(32)))
    add("str8 max 255 bytes", string(ascii_of(255)))
    add("str16 min 256 bytes", string(ascii_of(256)))
    add("str16 max 65535 bytes", string(ascii_of(65535)))
    add("str32 min 65536 bytes", string(ascii_of(65536)))
    add("fixstr utf-8 multibyte", string("h\u00e9llo w\u00f6rld \u20ac \U0001F30D"))
    add("fixstr 31 bytes of 2-byte characters", string("\u00e9" * 15 + "a"))
    add("str8 32 bytes of 2-byte characters", string("\u00e9" * 16))
    add("str with NUL and control characters", string("a\u0000b\n\t\u007f"))

    def bytes_of(n):
        return bytes(i % 256 for i in range(n))

    add("bin8 empty", binary(b""))
    add("bin8 1", binary(b"\x00"))
    add("bin8 max 255", binary(bytes_of(255)))
    add("bin16 min 256", binary(bytes_of(256)))
    add("bin16 max 65535", binary(bytes_of(65535)))
    add("bin32 min 65536", binary(bytes_of(65536)))

    add("fixarray empty", array([]))
    add("fixarray 3", array([integer(1), integer(2), integer(3)]))
    add("fixarray max 15", array([integer(i) for i in range(15)]))
    add("array16 min 16", array([integer(i) for i in range(16)]))
    add("array16 300", array([integer(i % 7) for i in range(300)]))
    add("array32 min 65536", array([nil()] * 65536))
    add("array mixed types", array([nil(), boolean(True), integer(-1), f64(2.5), string("s"),
                                    binary(b"\x01"), array([]), mapping([])]))

    add("fixmap empty", mapping([]))
    add("fixmap 1", mapping([(string("a"), integer(1))]))
    add("fixmap max 15", mapping([(string("k%02d" % i), integer(i)) for i in range(15)]))
    add("map16 min 16", mapping([(string("k%02d" % i), integer(i)) for i in range(16)]))
    add("map32 min 65536", mapping([(string("%x" % i), nil()) for i in range(65536)]))
    add("map keys in wire order (not sorted)",
        mapping([(string("zeta"), integer(1)), (string("alpha"), integer(2)),
                 (string("mid"), integer(3))]))
    add("map int keys", mapping([(integer(1), string("one")), (integer(-1), string("minus one")),
                                 (integer(300), string("three hundred")),
                                 (integer(2**40), string("big"))]))
    add("map nil key", mapping([(nil(), integer(0))]))
    add("map bool key", mapping([(boolean(False), string("no"))]))
    add("map float64 key", mapping([(f64(1.5), string("x"))]))
    add("map bin key", mapping([(binary(b"\x00\xff"), string("raw"))]))
    add("map mixed keys", mapping([(string("s"), integer(1)), (integer(2), integer(2)),
                                   (nil(), integer(3))]))

    add("fixext1", ext(5, b"\x01"))
    add("fixext2", ext(5, b"\x01\x02"))
    add("fixext4", ext(5, bytes(range(4))))
    add("fixext8", ext(5, bytes(range(8))))
    add("fixext16", ext(5, bytes(range(16))))
    add("ext8 empty", ext(5, b""))
    add("ext8 3", ext(5, b"abc"))
    add("ext8 17", ext(5, bytes(range(17))))
    add("ext8 max 255", ext(5, bytes_of(255)))
    add("ext16 min 256", ext(5, bytes_of(256)))
    add("ext32 min 65536", ext(5, bytes_of(65536)))
    add("ext type 0", ext(0, b"\x07"))
    add("ext type 127", ext(127, b"\x07"))

    add("timestamp32 epoch", timestamp(0, 0))
    add("timestamp32 1", timestamp(1, 0))
    add("timestamp32 max seconds", timestamp(2**32 - 1, 0))
    add("timestamp64 1 s 1 ns", timestamp(1, 1))
    add("timestamp64 2^32 s", timestamp(2**32, 0))
    add("timestamp64 microseconds", timestamp(1700000000, 123456000))
    add("timestamp64 max", timestamp(2**34 - 1, 999999999))
    add("timestamp96 2^34 s", timestamp(2**34, 0))
    add("timestamp96 -1 s", timestamp(-1, 0))
    add("timestamp96 before epoch with ns", timestamp(-62135596800, 500))
    add("timestamp96 int64 min", timestamp(-2**63, 0))
    add("timestamp96 int64 max", timestamp(2**63 - 1, 999999999))

    add("nested map and arrays", mapping([
        (string("name"), string("solver-1")),
        (string("values"), array([integer(1), f64(2.5), array([string("x"), nil()])])),
        (string("options"), mapping([(string("tol"), f64(1e-9)), (string("verbose"), boolean(False)),
                                     (string("when"), timestamp(1700000000, 0))])),
        (string("raw"), binary(b"\xde\xad\xbe\xef")),
    ]))
    add("array of maps", array([mapping([(string("i"), integer(i))]) for i in range(3)]))

    deep = nil()
    for _ in range(64):
        deep = array([deep])
    add("depth 64 nested arrays (deepest allowed)", deep)
    deep = integer(1)
    for i in range(64):
        deep = mapping([(string("d"), deep)]) if i % 2 else array([deep])
    add("depth 64 alternating maps and arrays", deep)
    return cases


# --------------------------------------------------------------------------------------------
# values.json


def le_bytes(dtype, values):
    fmt = {"bool": "?", "int8": "b", "int16": "h", "int32": "i", "int64": "q", "uint8": "B",
           "uint16": "H", "uint32": "I", "uint64": "Q", "float32": "f", "float64": "d"}[dtype]
    return struct.pack("<%d%s" % (len(values), fmt), *values)


SAMPLES = {
    "bool": [True, False, True],
    "int8": [-128, 0, 127],
    "int16": [-32768, 1, 32767],
    "int32": [-2**31, 2, 2**31 - 1],
    "int64": [-2**63, 3, 2**63 - 1],
    "uint8": [0, 1, 255],
    "uint16": [0, 2, 65535],
    "uint32": [0, 3, 2**32 - 1],
    "uint64": [0, 4, 2**64 - 1],
    "float32": [1.5, -0.0, float("inf")],
    "float64": [1.5, float("nan"), -float("inf")],
}


def sample(dtype, n):
    if dtype == "bool":
        return [i % 3 == 0 for i in range(n)]
    if dtype.startswith("float"):
        return [i * 0.25 - 3.0 for i in range(n)]
    bits = ITEMSIZE[dtype] * 8
    if dtype.startswith("uint"):
        return [(i * 2654435761) % (2**bits) for i in range(n)]
    return [((i * 2654435761) % (2**bits)) - 2**(bits - 1) for i in range(n)]


def values_cases():
    cases = []

    def add(name, value):
        bufs = _Buffers()
        content = pack(value, bufs)
        cases.append({"name": name, "value": value, "content_hex": content.hex(),
                      "buffers": [b.hex() for b in bufs.frames]})

    def arr(dtype, shape, values, buffer=None):
        return ndarray(dtype, shape, le_bytes(dtype, values), buffer)

    for dtype in ITEMSIZE:
        add("ndarray %s shape [3] inline" % dtype, arr(dtype, [3], SAMPLES[dtype]))
    for dtype in ITEMSIZE:
        add("ndarray %s scalar shape []" % dtype, arr(dtype, [], SAMPLES[dtype][2:3]))
    for dtype in ITEMSIZE:
        add("ndarray %s empty shape [0]" % dtype, arr(dtype, [0], []))
    for dtype in ITEMSIZE:
        add("ndarray %s shape [2, 3] inline" % dtype, arr(dtype, [2, 3], sample(dtype, 6)))
    for dtype in ITEMSIZE:
        n = INLINE_LIMIT // ITEMSIZE[dtype] + 1
        add("ndarray %s shape [%d] buffer (%d bytes)" % (dtype, n, n * ITEMSIZE[dtype]),
            arr(dtype, [n], sample(dtype, n), buffer=0))

    add("ndarray float64 1024 bytes stays inline", arr("float64", [128], sample("float64", 128)))
    add("ndarray float64 1032 bytes goes to a buffer",
        arr("float64", [129], sample("float64", 129), buffer=0))
    add("ndarray float64 shape [2, 65] buffer row-major",
        arr("float64", [2, 65], sample("float64", 130), buffer=0))
    add("ndarray float64 shape [0, 3]", arr("float64", [0, 3], []))
    add("ndarray float64 shape [1, 1, 2]", arr("float64", [1, 1, 2], [1.0, 2.0]))
    add("two buffers numbered in encoding order", mapping([
        (string("a"), arr("float64", [200], sample("float64", 200), buffer=0)),
        (string("small"), arr("int32", [2], [1, 2])),
        (string("list"), array([arr("uint8", [1100], sample("uint8", 1100), buffer=1)])),
    ]))

    add("table numeric columns", table(["id", "value"], [
        arr("int64", [3], [0, 1, 2]), arr("float64", [3], [0.0, 0.5, 1.0])]))
    add("table bool column", table(["flag"], [arr("bool", [4], [True, False, False, True])]))
    add("table string column with nil", table(["name"], [
        array([string("row0"), nil(), string("r\u00f6w2")])]))
    add("table mixed columns (make_table 3)", table(["id", "value", "name"], [
        arr("int64", [3], [0, 1, 2]), arr("float64", [3], [0.0, 0.5, 1.0]),
        array([string("row0"), string("row1"), string("row2")])]))
    add("table zero rows", table(["id", "name"], [arr("int64", [0], []), array([])]))
    add("table no columns", table([], []))
    add("table column in a buffer", table(["x", "y"], [
        arr("float64", [200], sample("float64", 200), buffer=0), arr("uint8", [200], sample("uint8", 200))]))
    add("table inside a map", mapping([
        (string("t"), table(["k"], [arr("int32", [2], [7, 8])])),
        (string("n"), integer(2))]))
    return cases


# --------------------------------------------------------------------------------------------
# envelope.json

TAG = b"MESH/1"
KEY = "7f3a9c2e5b1d4f6a8c0e2b4d6f8a1c3e5b7d9f0a2c4e6b8d1f3a5c7e9b0d2f4a"
SESSION_CLIENT = "c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1"
SESSION_KERNEL = "a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0"


def header(msg_id, msg_type, session, sec, nsec, parent_id=None):
    return mapping([
        (string("id"), string(msg_id)),
        (string("type"), string(msg_type)),
        (string("session"), string(session)),
        (string("date"), timestamp(sec, nsec)),
        (string("parent_id"), nil() if parent_id is None else string(parent_id)),
    ])


def envelope_cases():
    cases = []

    def add(name, key, hdr, content):
        bufs = _Buffers()
        h = pack(hdr)
        c = pack(content, bufs)
        sig = hmac.new(key.encode("utf-8"), h + c, hashlib.sha256).digest() if key else b""
        frames = [TAG, sig, h, c] + bufs.frames
        cases.append({"name": name, "key": key, "header": hdr, "content": content,
                      "frames": [f.hex() for f in frames]})

    submit_id = "00000000000000000000000000000001"
    add("kernel_info_request empty content", KEY,
        header("00000000000000000000000000000000", "kernel_info_request", SESSION_CLIENT,
               1700000000, 0), mapping([]))
    add("submit_request", KEY,
        header(submit_id, "submit_request", SESSION_CLIENT, 1700000000, 123456000),
        mapping([
            (string("task_id"), string("11111111111111111111111111111111")),
            (string("endpoint"), string("concat")),
            (string("args"), array([string("a")])),
            (string("kwargs"), mapping([(string("b"), string("b"))])),
            (string("priority"), integer(5)),
            (string("timeout"), nil()),
            (string("retries"), integer(0)),
            (string("metadata"), mapping([])),
        ]))
    add("submit_reply with parent_id", KEY,
        header("00000000000000000000000000000002", "submit_reply", SESSION_KERNEL,
               1700000000, 223456000, parent_id=submit_id),
        mapping([
            (string("task_id"), string("11111111111111111111111111111111")),
            (string("accepted"), boolean(True)),
            (string("state"), string("QUEUED")),
        ]))
    task = mapping([
        (string("task_id"), string("22222222222222222222222222222222")),
        (string("endpoint"), string("scale")),
        (string("state"), string("COMPLETED")),
        (string("priority"), integer(5)),
        (string("pending_at"), timestamp(1700000001, 0)),
        (string("queued_at"), timestamp(1700000001, 1000)),
        (string("started_at"), timestamp(1700000001, 2000)),
        (string("ended_at"), timestamp(1700000002, 0)),
        (string("retries"), integer(0)),
        (string("log"), array([string("scaling 200 values")])),
    ])
    add("get_reply with an ndarray result in buffer frame 4", KEY,
        header("00000000000000000000000000000003", "get_reply", SESSION_KERNEL,
               1700000002, 0, parent_id="00000000000000000000000000000004"),
        mapping([
            (string("task_id"), string("22222222222222222222222222222222")),
            (string("done"), boolean(True)),
            (string("task"), task),
            (string("result"), ndarray("float64", [200], le_bytes("float64", sample("float64", 200)),
                                       buffer=0)),
        ]))
    add("error_reply", KEY,
        header("00000000000000000000000000000005", "error_reply", SESSION_KERNEL,
               1700000003, 0, parent_id="00000000000000000000000000000006"),
        mapping([(string("error"), mapping([
            (string("type"), string("MALFORMED_MESSAGE")),
            (string("message"), string("content is not valid MessagePack")),
            (string("traceback"), array([])),
            (string("code"), integer(1003)),
        ]))]))
    add("health_request with empty key (empty signature frame)", "",
        header("00000000000000000000000000000007", "health_request", SESSION_CLIENT,
               1700000004, 0), mapping([]))
    add("health_reply", KEY,
        header("00000000000000000000000000000008", "health_reply", SESSION_KERNEL,
               1700000004, 500000000, parent_id="00000000000000000000000000000007"),
        mapping([
            (string("status"), string("ok")), (string("kernel_id"), string("solver-1")),
            (string("pid"), integer(4242)), (string("uptime"), f64(12.5)),
            (string("queued"), integer(0)), (string("running"), integer(1)),
            (string("completed"), integer(7)), (string("rejected"), integer(0)),
        ]))
    add("non-ASCII key", "cl\u00e9-\u20ac",
        header("00000000000000000000000000000009", "kernel_info_request", SESSION_CLIENT,
               1700000005, 0), mapping([]))
    return cases


# --------------------------------------------------------------------------------------------
# invalid.json


def invalid_cases():
    cases = []

    def add(name, data, reason):
        cases.append({"name": name, "hex": bytes(data).hex(), "reason": reason})

    def ext1(payload):
        return msgpack.packb(msgpack.ExtType(1, msgpack.packb(payload, use_bin_type=True)))

    def ext2(payload):
        return msgpack.packb(msgpack.ExtType(2, payload))

    add("empty input", b"", "no value")
    add("reserved byte 0xc1", b"\xc1", "never used format byte")
    add("truncated uint16", b"\xcd\x01", "needs 2 bytes, has 1")
    add("truncated uint64", b"\xcf\x00\x00\x00", "needs 8 bytes, has 3")
    add("truncated int32", b"\xd2\xff", "needs 4 bytes, has 1")
    add("truncated float64", b"\xcb\x3f\xf8\x00", "needs 8 bytes, has 3")
    add("truncated float32", b"\xca\x3f", "needs 4 bytes, has 1")
    add("truncated fixstr", b"\xa5abc", "fixstr of 5, 3 bytes follow")
    add("truncated str8 header", b"\xd9", "length byte missing")
    add("truncated str16 data", b"\xda\x01\x00" + b"a" * 10, "claims 256, has 10")
    add("truncated bin8", b"\xc4\x04\x00\x01", "claims 4, has 2")
    add("truncated fixarray", b"\x93\x01\x02", "3 elements, 2 present")
    add("truncated fixmap value", b"\x81\xa1a", "map entry without its value")
    add("truncated fixext4", b"\xd6\x05\x00\x01", "needs type and 4 bytes")
    add("truncated ext8", b"\xc7\x10\x05" + b"\x00" * 4, "claims 16, has 4")
    add("truncated nested", b"\x92\x91\x92\x01", "inner array incomplete")
    add("str32 claims 4 GiB", b"\xdb\xff\xff\xff\xff" + b"abcde", "length beyond the data")
    add("bin32 claims 4 GiB", b"\xc6\xff\xff\xff\xff" + b"\x00" * 5, "length beyond the data")
    add("array32 claims 4 G elements", b"\xdd\xff\xff\xff\xff\x01\x02", "count beyond the data")
    add("map32 claims 4 G entries", b"\xdf\xff\xff\xff\xff\x01\x02", "count beyond the data")
    add("ext32 claims 4 GiB", b"\xc9\xff\xff\xff\xff\x05\x00", "length beyond the data")
    add("array16 claims more than present", b"\xdc\x00\x10\x01\x02", "16 elements, 2 present")
    add("trailing byte after nil", b"\xc0\xc0", "trailing bytes")
    add("trailing bytes after map", b"\x80\x01\x02", "trailing bytes")
    add("two top-level values", msgpack.packb("a") + msgpack.packb("b"), "trailing bytes")
    deep = b"\x91" * 65 + b"\xc0"
    add("depth 65 nested arrays", deep, "nesting depth above 64")
    add("depth 65 nested maps", b"\x81\xa1d" * 65 + b"\xc0", "nesting depth above 64")
    add("depth 1000 nested arrays", b"\x91" * 1000 + b"\xc0", "nesting depth above 64")
    add("str invalid UTF-8", b"\xa2\xff\xfe", "str must be UTF-8")
    add("str truncated UTF-8 sequence", b"\xa2\xc3\x28", "str must be UTF-8")
    add("timestamp ext -1 with 3-byte payload", b"\xc7\x03\xff\x00\x00\x01", "bad timestamp length")
    add("timestamp64 nanoseconds above 999999999",
        b"\xd7\xff" + struct.pack(">Q", (1000000000 << 34) | 1), "nanoseconds out of range")
    add("timestamp96 nanoseconds above 999999999",
        b"\xc7\x0c\xff" + struct.pack(">Iq", 1000000000, 0), "nanoseconds out of range")

    add("ndarray inline data shorter than shape*itemsize",
        ext1(["float64", [3], b"\x00" * 16]), "byte length 16 != 3*8")
    add("ndarray inline data longer than shape*itemsize",
        ext1(["int32", [2, 2], b"\x00" * 20]), "byte length 20 != 4*4")
    add("ndarray scalar with no data", ext1(["int64", [], b""]), "byte length 0 != 1*8")
    add("ndarray unknown dtype complex128", ext1(["complex128", [1], b"\x00" * 16]),
        "unknown dtype")
    add("ndarray unknown dtype float16", ext1(["float16", [1], b"\x00" * 2]), "unknown dtype")
    add("ndarray big-endian dtype name", ext1([">f8", [1], b"\x00" * 8]), "unknown dtype")
    add("ndarray negative dimension", ext1(["uint8", [-1], b""]), "shape must be uint")
    add("ndarray huge shape", ext1(["float64", [2**32, 2**32], b""]),
        "product(shape) far beyond the data")
    add("ndarray payload with two elements", ext1(["float64", [1]]), "payload must be [dtype, shape, data]")
    add("ndarray payload not an array", msgpack.packb(msgpack.ExtType(1, b"\xc0")),
        "payload must be an array")
    add("ndarray data is a str", ext1(["uint8", [1], "a"]), "data must be uint or bin")
    add("ndarray payload with trailing bytes",
        msgpack.packb(msgpack.ExtType(1, msgpack.packb(["uint8", [1], b"\x01"], use_bin_type=True)
                                      + b"\xc0")), "trailing bytes in payload")
    add("ndarray buffer index without buffer frames", ext1(["float64", [200], 0]),
        "buffer 0 does not exist (decoded with no buffer frames)")

    col3 = msgpack.ExtType(1, msgpack.packb(["int64", [3], b"\x00" * 24], use_bin_type=True))
    col2 = msgpack.ExtType(1, msgpack.packb(["int64", [2], b"\x00" * 16], use_bin_type=True))
    add("table with unequal column lengths",
        ext2(msgpack.packb([["a", "b"], [col3, col2]], use_bin_type=True)), "columns of length 3 and 2")
    add("table string column of different length",
        ext2(msgpack.packb([["a", "s"], [col3, ["x"]]], use_bin_type=True)), "columns of length 3 and 1")
    add("table names and columns counts differ",
        ext2(msgpack.packb([["a", "b"], [col3]], use_bin_type=True)), "2 names, 1 column")
    add("table duplicate names",
        ext2(msgpack.packb([["a", "a"], [col3, col3]], use_bin_type=True)), "duplicate column names")
    add("table 2-D column",
        ext2(msgpack.packb([["m"], [msgpack.ExtType(1, msgpack.packb(
            ["int64", [1, 3], b"\x00" * 24], use_bin_type=True))]], use_bin_type=True)),
        "columns must have shape [n]")
    add("table string column with an int",
        ext2(msgpack.packb([["s"], [["x", 1]]], use_bin_type=True)), "string columns hold str or nil")
    add("table name not a str",
        ext2(msgpack.packb([[1], [col3]], use_bin_type=True)), "names must be str")
    return cases


# --------------------------------------------------------------------------------------------


def write(name, cases):
    path = os.path.join(HERE, name)
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        f.write('{"cases": [\n')
        for i, case in enumerate(cases):
            f.write(json.dumps(case, ensure_ascii=False, separators=(",", ":")))
            f.write(",\n" if i + 1 < len(cases) else "\n")
        f.write("]}\n")
    names = [c["name"] for c in cases]
    assert len(names) == len(set(names)), "case names must be unique in " + name
    print("%s: %d cases" % (name, len(cases)))


def main():
    write("msgpack.json", msgpack_cases())
    write("values.json", values_cases())
    write("envelope.json", envelope_cases())
    write("invalid.json", invalid_cases())


if __name__ == "__main__":
    main()
