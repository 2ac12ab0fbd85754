"""Frames, signing and the receiving rules of docs/protocol.md section 2."""

import hashlib
import hmac

import numpy as np
import pytest

from mesh import errors
from mesh.envelope import Envelope, EnvelopeError, TAG

KEY = "ab" * 32


def test_signature_is_hmac_sha256_over_header_and_content():
    env = Envelope(KEY)
    _, frames = env.pack("health_request", {})
    assert frames[0] == TAG
    expected = hmac.new(KEY.encode(), frames[2] + frames[3], hashlib.sha256).digest()
    assert frames[1] == expected and len(frames[1]) == 32
    msg = env.unpack(frames)
    assert msg.type == "health_request" and msg.content == {} and len(msg.id) == 32


def test_wrong_key_and_tampering_are_bad_signatures():
    _, frames = Envelope(KEY).pack("health_request", {})
    with pytest.raises(EnvelopeError) as e:
        Envelope("cd" * 32).unpack(frames)
    assert e.value.code == errors.BAD_SIGNATURE and e.value.msg_id is None
    tampered = list(frames)
    tampered[3] = b"\x81\xa1a\x01"
    with pytest.raises(EnvelopeError) as e:
        Envelope(KEY).unpack(tampered)
    assert e.value.code == errors.BAD_SIGNATURE
    short = list(frames)
    short[1] = b""
    with pytest.raises(EnvelopeError):
        Envelope(KEY).unpack(short)


def test_empty_key_sends_and_accepts_empty_signature():
    env = Envelope("")
    _, frames = env.pack("health_request", {})
    assert frames[1] == b""
    assert env.unpack(frames).type == "health_request"


def test_frame_count_and_tag():
    env = Envelope(KEY)
    _, frames = env.pack("health_request", {})
    with pytest.raises(EnvelopeError) as e:
        env.unpack(frames[:3])
    assert e.value.msg_id is None
    other = [b"MESH/2"] + frames[1:]
    with pytest.raises(EnvelopeError) as e:
        env.unpack(other)
    assert e.value.code == errors.UNSUPPORTED_VERSION and e.value.msg_id is not None
    with pytest.raises(EnvelopeError) as e:
        env.unpack([b"HTTP/1"] + frames[1:])
    assert e.value.code == errors.MALFORMED_MESSAGE and e.value.msg_id is None


def test_malformed_header_is_dropped_and_bad_content_is_answered():
    env = Envelope(KEY)
    bad_header = b"\x92\x01\x02"
    with pytest.raises(EnvelopeError) as e:
        env.unpack([TAG, env.sign(bad_header, b"\x80"), bad_header, b"\x80"])
    assert e.value.msg_id is None
    _, h = env.header("submit_request")
    with pytest.raises(EnvelopeError) as e:
        env.unpack([TAG, env.sign(h, b"\xdb\xff\xff\xff\xff"), h, b"\xdb\xff\xff\xff\xff"])
    assert e.value.code == errors.MALFORMED_MESSAGE and e.value.msg_id is not None


def test_buffers_follow_content_and_are_checked():
    env = Envelope(KEY)
    a = np.arange(1000.0)
    _, frames = env.pack("get_reply", {"result": a})
    assert len(frames) == 5 and len(frames[4]) == 8000
    frames = [bytes(f) for f in frames]
    assert np.array_equal(env.unpack(frames).content["result"], a)
    with pytest.raises(EnvelopeError):
        env.unpack(frames[:4])
    with pytest.raises(EnvelopeError):
        env.unpack(frames + [b"extra"])
    with pytest.raises(EnvelopeError):
        env.unpack(frames[:4] + [frames[4][:-8]])


def test_max_frame_bytes():
    env = Envelope(KEY, max_frame_bytes=100)
    _, frames = env.pack("x", {"blob": b"x" * 200})
    with pytest.raises(EnvelopeError) as e:
        env.unpack(frames)
    assert e.value.code == errors.MESSAGE_TOO_LARGE and e.value.msg_id is not None
