"""Frames of docs/protocol.md section 2: tag, HMAC-SHA256 signature, header, content, buffers.

:class:`Envelope` holds the key and the sender's session id; ``pack`` builds the frames of an
outgoing message and ``unpack`` applies the receiving rules of section 2.3 to incoming ones.
"""

import hmac
import os
import time

import msgpack

from . import codec
from .errors import (ArraySizeError, BAD_SIGNATURE, DecodeError, MALFORMED_MESSAGE,
                     MESSAGE_TOO_LARGE, ProtocolError, UNSUPPORTED_VERSION)

TAG = b"MESH/1"
TAG_PREFIX = b"MESH/"
_packb = msgpack.packb
_unpackb = msgpack.unpackb
_Timestamp = msgpack.Timestamp
_compare = hmac.compare_digest
_digest = hmac.digest


def new_id():
    """A fresh message/task id: 32 lowercase hex digits (a random UUID's size)."""
    return os.urandom(16).hex()


class Message:
    """A received message. ``content`` is decoded; ``buffers`` are the raw buffer frames;
    ``has_refs`` tells whether the content holds an ext 3 reference (section 9.1)."""

    __slots__ = ("id", "type", "parent_id", "session", "date", "header", "content", "buffers",
                 "has_refs")

    def __init__(self, header, content, buffers, has_refs=False):
        self.header = header
        self.id = header["id"]
        self.type = header["type"]
        pid = header.get("parent_id")
        self.parent_id = pid if type(pid) is str else None
        self.session = header.get("session")
        self.date = header.get("date")
        self.content = content
        self.buffers = buffers
        self.has_refs = has_refs

    def __repr__(self):
        return "Message(type=%r, id=%r, parent_id=%r)" % (self.type, self.id, self.parent_id)


class EnvelopeError(ProtocolError):
    """A received message that breaks section 2.3.

    ``msg_id`` is the request id when it could be read (the receiver then answers an
    ``error_reply``), else None (the receiver drops the message). ``header`` is the decoded header
    when available.
    """

    def __init__(self, message, code, msg_id=None, header=None, content_bytes=None):
        super().__init__(message, code)
        self.msg_id = msg_id
        self.header = header
        self.content_bytes = content_bytes


class Envelope:
    """Signs and verifies messages with one key, for one session."""

    __slots__ = ("key", "session", "max_frame_bytes")

    def __init__(self, key, session=None, max_frame_bytes=None):
        if isinstance(key, str):
            key = key.encode("utf-8")
        self.key = bytes(key)
        self.session = session or new_id()
        self.max_frame_bytes = max_frame_bytes

    # ------------------------------------------------------------------------------- sending

    def sign(self, header, content):
        if not self.key:
            return b""
        return _digest(self.key, header + content, "sha256")

    def header(self, msg_type, parent_id=None, msg_id=None):
        """Packs a header; returns ``(msg_id, header_bytes)``."""
        if msg_id is None:
            msg_id = os.urandom(16).hex()
        ns = time.time_ns()
        h = _packb({"id": msg_id, "type": msg_type, "session": self.session,
                    "date": _Timestamp(ns // 1_000_000_000, ns % 1_000_000_000 // 1000 * 1000),
                    "parent_id": parent_id}, use_bin_type=True)
        return msg_id, h

    def pack(self, msg_type, content, parent_id=None, msg_id=None):
        """Builds the frames of a message; returns ``(msg_id, frames)``.

        Arrays above 1024 bytes in ``content`` become buffer frames (zero-copy views).
        """
        body, buffers = codec.encode(content)
        msg_id, h = self.header(msg_type, parent_id, msg_id)
        frames = [TAG, self.sign(h, body), h, body]
        if buffers:
            frames.extend(buffers)
        return msg_id, frames

    def pack_encoded(self, msg_type, body, buffers=(), parent_id=None):
        """Like :meth:`pack` for a content that is already encoded (shared by several replies)."""
        msg_id, h = self.header(msg_type, parent_id)
        frames = [TAG, self.sign(h, body), h, body]
        if buffers:
            frames.extend(buffers)
        return msg_id, frames

    # ----------------------------------------------------------------------------- receiving

    def unpack(self, frames):
        """Applies the receiving rules of section 2.3 to ``frames`` (after routing identities).

        ``frames`` are bytes-like; frames 0..3 must support ``bytes`` operations. Returns a
        :class:`Message`; raises :class:`EnvelopeError` otherwise.
        """
        n = len(frames)
        if n < 4 or frames[0] != TAG:
            if n >= 4 and bytes(frames[0][:5]) == TAG_PREFIX:
                # Another version: answer only if it is otherwise well formed and signed.
                header = self._verified_header(frames)
                if header is not None:
                    raise EnvelopeError("unsupported protocol version %r" % bytes(frames[0][:16]),
                                        UNSUPPORTED_VERSION, header["id"], header)
            raise EnvelopeError("not a MESH/1 message (%d frames)" % n, MALFORMED_MESSAGE)
        h = frames[2]
        c = frames[3]
        if self.key:
            sig = frames[1]
            if len(sig) != 32 or not _compare(_digest(self.key, h + c, "sha256"), sig):
                raise EnvelopeError("bad signature", BAD_SIGNATURE)
        header = _decode_header(h)
        if header is None:
            raise EnvelopeError("header is not a map with str id and type", MALFORMED_MESSAGE)
        buffers = frames[4:]
        try:
            content, has_refs = codec.decode_with_refs(c, buffers)
        except ArraySizeError as e:
            raise EnvelopeError(str(e), MALFORMED_MESSAGE, header["id"], header, c) from None
        except DecodeError as e:
            raise EnvelopeError("content: %s" % e, MALFORMED_MESSAGE, header["id"], header) from None
        limit = self.max_frame_bytes
        if limit is not None:
            for f in frames:
                if len(f) > limit:
                    raise EnvelopeError("frame of %d bytes above max_message_bytes %d"
                                        % (len(f), limit), MESSAGE_TOO_LARGE, header["id"], header)
        return Message(header, content, buffers, has_refs)

    def _verified_header(self, frames):
        h = frames[2]
        if self.key:
            sig = frames[1]
            if len(sig) != 32 or not _compare(_digest(self.key, h + frames[3], "sha256"), sig):
                return None
        return _decode_header(h)


def _decode_header(h):
    try:
        header = _unpackb(h, raw=False, strict_map_key=False, timestamp=0)
    except Exception:
        return None
    if type(header) is not dict:
        return None
    if type(header.get("id")) is not str or type(header.get("type")) is not str:
        return None
    return header
