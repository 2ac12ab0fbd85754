"""The shared vectors of tests/vectors, byte-exact in both directions."""

import json
import os

import pytest

from conftest import VECTORS
from mesh import codec
from mesh.envelope import Envelope, TAG
from mesh.errors import DecodeError
from notation import F32, same, to_value


def load(name):
    with open(os.path.join(VECTORS, name), encoding="utf-8") as f:
        return json.load(f)["cases"]


MSGPACK = load("msgpack.json")
VALUES = load("values.json")
ENVELOPE = load("envelope.json")
INVALID = load("invalid.json")


def ids(cases):
    return [c["name"] for c in cases]


@pytest.mark.parametrize("case", MSGPACK, ids=ids(MSGPACK))
def test_msgpack_encode(case):
    value = to_value(case["value"])
    if isinstance(value, F32):
        data = codec.packb(value.value, single_float=True)
    else:
        data = codec.packb(value)
    assert data.hex() == case["hex"]


@pytest.mark.parametrize("case", MSGPACK, ids=ids(MSGPACK))
def test_msgpack_decode(case):
    same(codec.decode(bytes.fromhex(case["hex"])), to_value(case["value"]))


@pytest.mark.parametrize("case", VALUES, ids=ids(VALUES))
def test_values_encode(case):
    content, buffers = codec.encode(to_value(case["value"]))
    assert content.hex() == case["content_hex"]
    assert [bytes(b).hex() for b in buffers] == case["buffers"]


@pytest.mark.parametrize("case", VALUES, ids=ids(VALUES))
def test_values_decode(case):
    buffers = [bytes.fromhex(b) for b in case["buffers"]]
    same(codec.decode(bytes.fromhex(case["content_hex"]), buffers), to_value(case["value"]))


@pytest.mark.parametrize("case", ENVELOPE, ids=ids(ENVELOPE))
def test_envelope_frames(case):
    frames = [bytes.fromhex(f) for f in case["frames"]]
    env = Envelope(case["key"])
    header = to_value(case["header"])
    assert frames[0] == TAG
    assert codec.packb(header) == frames[2]
    content, buffers = codec.encode(to_value(case["content"]))
    assert content == frames[3]
    assert [bytes(b) for b in buffers] == frames[4:]
    assert env.sign(frames[2], frames[3]) == frames[1]
    assert len(frames[1]) == (32 if case["key"] else 0)
    same(codec.decode(frames[2]), header)
    msg = env.unpack(frames)
    assert (msg.id, msg.type, msg.parent_id) == (header["id"], header["type"], header["parent_id"])
    same(msg.content, to_value(case["content"]))


@pytest.mark.parametrize("case", ENVELOPE, ids=ids(ENVELOPE))
def test_envelope_pack_roundtrip(case):
    env = Envelope(case["key"])
    header = to_value(case["header"])
    _, frames = env.pack(header["type"], to_value(case["content"]), parent_id=header["parent_id"])
    assert frames[3].hex() == case["frames"][3]
    msg = env.unpack([bytes(f) for f in frames])
    assert msg.type == header["type"] and msg.parent_id == header["parent_id"]
    same(msg.content, to_value(case["content"]))


@pytest.mark.parametrize("case", INVALID, ids=ids(INVALID))
def test_invalid_rejected(case):
    with pytest.raises(DecodeError):
        codec.decode(bytes.fromhex(case["hex"]))


def test_vector_files_cover_the_format_families():
    first_bytes = {bytes.fromhex(c["hex"])[0] for c in MSGPACK}
    families = {
        0xc0, 0xc2, 0xc3, 0xc4, 0xc5, 0xc6, 0xc7, 0xc8, 0xc9, 0xca, 0xcb, 0xcc, 0xcd, 0xce, 0xcf,
        0xd0, 0xd1, 0xd2, 0xd3, 0xd4, 0xd5, 0xd6, 0xd7, 0xd8, 0xd9, 0xda, 0xdb, 0xdc, 0xdd, 0xde,
        0xdf,
    }
    assert families <= first_bytes, sorted(hex(x) for x in families - first_bytes)
    assert any(b < 0x80 for b in first_bytes) and any(b >= 0xe0 for b in first_bytes)
    assert {0x80, 0x90, 0xa0} <= first_bytes
