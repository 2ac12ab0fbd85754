"""MessagePack values of docs/protocol.md section 4: canonical encoding and strict decoding.

* plain values are packed by python-msgpack's C packer (it writes the smallest encodings, which
  is the canonical form of section 4.1);
* ``numpy.ndarray`` <-> ext 1: the array bytes travel inline (bin, <= 1024 bytes) or as a
  buffer frame (> 1024 bytes), never element by element;
* :class:`mesh.Table` <-> ext 2;
* :class:`mesh.Ref` <-> ext 3 (a remote object reference, section 9.1); objects deriving from
  :class:`mesh.ref.Referent` (client proxies) are written as the reference they hold;
* ext -1 timestamps <-> ``datetime`` in UTC (or ``msgpack.Timestamp`` when the value has
  sub-microsecond nanoseconds or lies outside ``datetime``'s years 1..9999, so nothing is lost).

Decoding checks every length against the bytes remaining, limits nesting to 64 levels, rejects
trailing bytes and validates ext 1/2/3 payloads. Decoded arrays are read-only views on the
received bytes (no copy); call ``.copy()`` to get a writable array.
"""

import datetime as _dt
import math
import threading

import msgpack
import numpy as np

from .errors import ArraySizeError, DecodeError
from .ref import Ref, Referent
from .table import Table

EXT_NDARRAY = 1
EXT_TABLE = 2
EXT_REF = 3  # remote object reference (section 9.1)
INLINE_LIMIT = 1024
MAX_DEPTH = 64

DTYPES = {
    name: np.dtype(name).newbyteorder("<")
    for name in ("bool", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32",
                 "uint64", "float32", "float64")
}
_DTYPE_NAME = {(dt.kind, dt.itemsize): name for name, dt in DTYPES.items()}

_UTC = _dt.timezone.utc
_EPOCH = _dt.datetime(1970, 1, 1, tzinfo=_UTC)
_Timestamp = msgpack.Timestamp
_ExtType = msgpack.ExtType
_packb = msgpack.packb
_unpackb = msgpack.unpackb


# ----------------------------------------------------------------------------------- encoding


def dtype_name(dtype):
    """The protocol name of a numpy dtype (``"float64"``), or None when it has none."""
    dtype = np.dtype(dtype)
    return _DTYPE_NAME.get((dtype.kind, dtype.itemsize))


def _wire_array(a):
    """``a`` as a C-contiguous little-endian array, plus its protocol dtype name."""
    name = _DTYPE_NAME.get((a.dtype.kind, a.dtype.itemsize))
    if name is None:
        raise TypeError("cannot encode numpy dtype %s (supported: %s)" % (a.dtype, ", ".join(DTYPES)))
    if a.dtype.byteorder == ">" or (a.dtype.byteorder == "=" and not _LITTLE):
        a = a.astype(DTYPES[name])
    if not a.flags.c_contiguous:
        a = np.ascontiguousarray(a)
    return a, name


_LITTLE = np.little_endian
_local = threading.local()


def _pack_payload(value):
    """Packs an ext 1/3 payload (plain values only) with this thread's reusable Packer.

    ``msgpack.packb`` inside an encoder's ``default`` hook costs ~15 us: each call allocates a
    fresh Packer buffer while the outer one is alive. Never used for values that need a
    ``default`` hook itself (so it is never re-entered).
    """
    try:
        packer = _local.packer
    except AttributeError:
        packer = _local.packer = msgpack.Packer(use_bin_type=True)
    return packer.pack(value)


def _ndarray_ext(a, buffers):
    a, name = _wire_array(a)
    if buffers is not None and a.nbytes > INLINE_LIMIT:
        ref = len(buffers)
        buffers.append(memoryview(a.reshape(-1)).cast("B"))
    else:
        ref = a.tobytes()
    return _ExtType(EXT_NDARRAY, _pack_payload([name, list(a.shape), ref]))


def _timestamp_of(d):
    if d.tzinfo is None:
        d = d.replace(tzinfo=_UTC)  # naive datetimes are taken to be UTC
    delta = d - _EPOCH
    seconds = delta.days * 86400 + delta.seconds
    return _Timestamp(seconds, delta.microseconds * 1000)


def _ref_ext(ref):
    return _ExtType(EXT_REF, _pack_payload([ref.object_id, ref.type_name, ref.kernel_id]))


def _make_default(buffers):
    def default(obj):
        if isinstance(obj, np.ndarray):
            return _ndarray_ext(obj, buffers)
        if isinstance(obj, Table):
            cols = list(obj.values())
            payload = _packb([list(obj.keys()), cols], use_bin_type=True,
                             strict_types=True, default=default)
            return _ExtType(EXT_TABLE, payload)
        if isinstance(obj, np.generic):
            return obj.item()
        if isinstance(obj, _dt.datetime):
            return _timestamp_of(obj)
        if type(obj) is Ref:
            return _ref_ext(obj)
        if isinstance(obj, Referent):
            return _ref_ext(obj.__mesh_ref__())
        # strict_types=True sends subclasses of the built-in types here (so that a Table is
        # not packed as a plain map); pack them as their base type.
        if isinstance(obj, (tuple, list, set, frozenset)):
            return list(obj)
        if isinstance(obj, dict):
            return dict(obj)
        if isinstance(obj, bool):
            return bool(obj)
        if isinstance(obj, int):
            return int(obj)
        if isinstance(obj, float):
            return float(obj)
        if isinstance(obj, str):
            return str(obj)
        if isinstance(obj, (bytes, bytearray, memoryview)):
            return bytes(obj)
        raise TypeError("cannot encode %s object as a Mesh value" % type(obj).__name__)

    return default


_default_inline = _make_default(None)


def encode(value):
    """Encodes ``value`` as a content frame plus its buffer frames.

    Returns ``(content_bytes, buffers)`` where ``buffers`` is a list of bytes-like objects
    (zero-copy views on the arrays) numbered in the order the encoder met them.
    """
    buffers = []
    content = _packb(value, use_bin_type=True, strict_types=True, default=_make_default(buffers))
    return content, buffers


def packb(value, single_float=False):
    """Encodes ``value`` as one self-contained MessagePack value (every array inline).

    ``single_float=True`` writes Python floats as float32 (used for the float32 vectors).
    """
    return _packb(value, use_bin_type=True, strict_types=True, default=_default_inline,
                  use_single_float=single_float)


# ----------------------------------------------------------------------------------- decoding


class _Refs:
    """The buffer frames of one message and which of them the content referenced."""

    __slots__ = ("buffers", "used")

    def __init__(self, buffers):
        self.buffers = buffers
        self.used = set()


def _decode_ndarray(payload, refs):
    try:
        parts = _unpackb(payload, raw=False, use_list=True, timestamp=0)
    except Exception as e:
        raise DecodeError("ndarray payload: %s" % e) from None
    if type(parts) is not list or len(parts) != 3:
        raise DecodeError("ndarray payload must be [dtype, shape, data]")
    name, shape, data = parts
    dtype = DTYPES.get(name) if type(name) is str else None
    if dtype is None:
        raise DecodeError("ndarray has unknown dtype %r" % (name,))
    if type(shape) is not list:
        raise DecodeError("ndarray shape must be an array of uint")
    for d in shape:
        if type(d) is not int or d < 0:
            raise DecodeError("ndarray shape must be an array of uint, got %r" % (shape,))
    nbytes = math.prod(shape) * dtype.itemsize
    tdata = type(data)
    if tdata is bytes:
        raw = data
    elif tdata is int:
        buffers = refs.buffers if refs is not None else ()
        if not 0 <= data < len(buffers):
            raise DecodeError("ndarray refers to buffer %d, the message has %d buffer frame(s)"
                              % (data, len(buffers)))
        if data in refs.used:
            raise DecodeError("buffer %d is referenced twice" % data)
        refs.used.add(data)
        raw = buffers[data]
    else:
        raise DecodeError("ndarray data must be a buffer index (uint) or bin")
    if len(raw) != nbytes:
        raise ArraySizeError("ndarray %s%s needs %d bytes, data has %d"
                             % (name, shape, nbytes, len(raw)))
    return np.frombuffer(raw, dtype=dtype).reshape(shape)


def _decode_table(payload, refs):
    hook = _make_ext_hook(refs)
    try:
        parts = _unpackb(payload, raw=False, use_list=True, timestamp=0, ext_hook=hook)
    except DecodeError:
        raise
    except Exception as e:
        raise DecodeError("table payload: %s" % e) from None
    if type(parts) is not list or len(parts) != 2:
        raise DecodeError("table payload must be [names, columns]")
    names, cols = parts
    if type(names) is not list or type(cols) is not list:
        raise DecodeError("table names and columns must be arrays")
    if len(names) != len(cols):
        raise DecodeError("table has %d names and %d columns" % (len(names), len(cols)))
    n = None
    table = Table()
    for name, col in zip(names, cols):
        if type(name) is not str:
            raise DecodeError("table column names must be str")
        if name in table:
            raise DecodeError("duplicate table column name %r" % name)
        if isinstance(col, np.ndarray):
            if col.ndim != 1:
                raise DecodeError("table column %r must have shape [n], has %s" % (name, list(col.shape)))
        elif type(col) is list:
            for v in col:
                if v is not None and type(v) is not str:
                    raise DecodeError("string column %r holds a %s" % (name, type(v).__name__))
        else:
            raise DecodeError("table column %r must be an ndarray or an array of str/nil" % name)
        if n is None:
            n = len(col)
        elif len(col) != n:
            raise DecodeError("table column %r has %d rows, expected %d" % (name, len(col), n))
        dict.__setitem__(table, name, col)
    return table


def _decode_ref(payload):
    try:
        parts = _unpackb(payload, raw=False, use_list=True)
    except Exception as e:
        raise DecodeError("reference payload: %s" % e) from None
    if (type(parts) is not list or len(parts) != 3 or type(parts[0]) is not int or parts[0] < 0
            or type(parts[1]) is not str or type(parts[2]) is not str):
        raise DecodeError("reference payload must be [object_id: uint, type_name: str, kernel_id: str]")
    return Ref(parts[0], parts[1], parts[2])


def _make_ext_hook(refs):
    def ext_hook(code, data):
        if code == EXT_NDARRAY:
            return _decode_ndarray(data, refs)
        if code == EXT_TABLE:
            return _decode_table(data, refs)
        if code == EXT_REF:
            return _decode_ref(data)
        return _ExtType(code, data)

    return ext_hook


_hook_no_buffers = _make_ext_hook(None)


def timestamp_to_python(ts):
    """A decoded ext -1 as ``datetime`` (UTC) when that is exact, else the msgpack.Timestamp."""
    ns = ts.nanoseconds
    if ns % 1000:
        return ts
    try:
        return _EPOCH + _dt.timedelta(seconds=ts.seconds, microseconds=ns // 1000)
    except OverflowError:
        return ts


_INTERESTING = frozenset((list, dict, _Timestamp, Ref))


def _walk(obj, depth):
    """Enforces the depth limit and turns timestamps into datetimes, in place; returns True
    when the value holds a :class:`Ref` (so that receivers look for references only then).

    Scalars are skipped at C speed (``set(map(type, ...))``); only containers are visited.
    """
    if depth > MAX_DEPTH:
        raise DecodeError("nesting deeper than %d levels" % MAX_DEPTH)
    found = False
    if type(obj) is list:
        if _INTERESTING.isdisjoint(set(map(type, obj))):
            return False
        for i, x in enumerate(obj):
            t = type(x)
            if t is list or t is dict:
                found = _walk(x, depth + 1) or found
            elif t is _Timestamp:
                obj[i] = timestamp_to_python(x)
            elif t is Ref:
                found = True
        return found
    # dict
    if not _INTERESTING.isdisjoint(set(map(type, obj.values()))):
        for k, x in obj.items():
            t = type(x)
            if t is list or t is dict:
                found = _walk(x, depth + 1) or found
            elif t is _Timestamp:
                obj[k] = timestamp_to_python(x)
            elif t is Ref:
                found = True
    key_types = set(map(type, obj))
    if Ref in key_types:
        found = True
    if _Timestamp in key_types:
        items = [(timestamp_to_python(k) if type(k) is _Timestamp else k, v) for k, v in obj.items()]
        obj.clear()
        obj.update(items)
    return found


def decode(data, buffers=None):
    """Decodes one MessagePack value (a content frame) strictly.

    ``buffers`` are the message's buffer frames; every one must be referenced exactly once.
    Raises :class:`DecodeError` (or its subclass :class:`ArraySizeError`).
    """
    return decode_with_refs(data, buffers)[0]


def decode_with_refs(data, buffers=None):
    """Like :func:`decode`; returns ``(value, has_refs)``, ``has_refs`` telling whether the
    value holds an ext 3 reference anywhere (found while decoding, at no extra cost)."""
    if buffers:
        refs = _Refs(buffers)
        hook = _make_ext_hook(refs)
    else:
        refs = None
        hook = _hook_no_buffers
    try:
        obj = _unpackb(data, raw=False, strict_map_key=False, use_list=True, timestamp=0,
                       ext_hook=hook)
    except DecodeError:
        raise
    except msgpack.StackError:
        raise DecodeError("nesting deeper than %d levels" % MAX_DEPTH) from None
    except msgpack.ExtraData:
        raise DecodeError("trailing bytes after the value") from None
    except Exception as e:  # ValueError, TypeError (unhashable key), UnicodeDecodeError, ...
        raise DecodeError("invalid MessagePack: %s: %s" % (type(e).__name__, e)) from None
    t = type(obj)
    has_refs = False
    if t is list or t is dict:
        has_refs = _walk(obj, 1)
    elif t is _Timestamp:
        obj = timestamp_to_python(obj)
    elif t is Ref:
        has_refs = True
    if buffers and len(refs.used) != len(buffers):
        raise DecodeError("%d buffer frame(s) but the content references %d"
                          % (len(buffers), len(refs.used)))
    return obj, has_refs


def decode_lenient(data):
    """Best-effort decode for diagnostics (reading a ``task_id`` out of a rejected request):
    ext values stay ``msgpack.ExtType``. Returns None when even that fails."""
    try:
        return _unpackb(data, raw=False, strict_map_key=False, timestamp=0)
    except Exception:
        return None
