"""Connection files (docs/protocol.md section 3): JSON, mode 0600 because they hold the key."""

import json
import os

PROTOCOL = "MESH/1"
DEFAULT_MAX_MESSAGE_BYTES = 2147483647
DEFAULT_HEARTBEAT_MS = 1000


class ConnectionFileError(Exception):
    """A missing or invalid connection file (kernel exit code 2)."""


class ConnectionInfo:
    """The fields of a (client) connection file. Unknown fields are kept in ``extra``."""

    FIELDS = ("protocol", "kernel_id", "key", "signature_scheme", "transport", "ip", "ipc_dir",
              "registration", "parent_pid", "max_message_bytes", "heartbeat_ms",
              "health", "submit", "get", "pid")

    def __init__(self, kernel_id, key, registration=None, transport="tcp", ip="127.0.0.1",
                 ipc_dir=None, parent_pid=None, max_message_bytes=DEFAULT_MAX_MESSAGE_BYTES,
                 heartbeat_ms=DEFAULT_HEARTBEAT_MS, health=None, submit=None, get=None, pid=None,
                 protocol=PROTOCOL, signature_scheme="hmac-sha256", extra=None):
        self.protocol = protocol
        self.kernel_id = kernel_id
        self.key = key
        self.signature_scheme = signature_scheme
        self.transport = transport
        self.ip = ip
        self.ipc_dir = ipc_dir
        self.registration = registration
        self.parent_pid = parent_pid
        self.max_message_bytes = max_message_bytes
        self.heartbeat_ms = heartbeat_ms
        self.health = health
        self.submit = submit
        self.get = get
        self.pid = pid
        self.extra = dict(extra or {})

    def to_dict(self):
        d = {"protocol": self.protocol, "kernel_id": self.kernel_id, "key": self.key,
             "signature_scheme": self.signature_scheme, "transport": self.transport,
             "ip": self.ip, "ipc_dir": self.ipc_dir, "registration": self.registration,
             "parent_pid": self.parent_pid, "max_message_bytes": self.max_message_bytes,
             "heartbeat_ms": self.heartbeat_ms}
        for name in ("health", "submit", "get", "pid"):
            if getattr(self, name) is not None:
                d[name] = getattr(self, name)
        d.update(self.extra)
        return d

    @classmethod
    def from_dict(cls, d):
        if not isinstance(d, dict):
            raise ConnectionFileError("connection file is not a JSON object")
        if d.get("protocol", PROTOCOL) != PROTOCOL:
            raise ConnectionFileError("unsupported protocol %r" % d.get("protocol"))
        if d.get("signature_scheme", "hmac-sha256") != "hmac-sha256":
            raise ConnectionFileError("unsupported signature_scheme %r" % d.get("signature_scheme"))
        for name, types in (("kernel_id", str), ("key", str)):
            if not isinstance(d.get(name), types):
                raise ConnectionFileError("connection file: %r must be a string" % name)
        transport = d.get("transport", "tcp")
        if transport not in ("tcp", "ipc"):
            raise ConnectionFileError("connection file: transport must be tcp or ipc")
        if transport == "ipc" and not isinstance(d.get("ipc_dir"), str):
            raise ConnectionFileError("connection file: ipc transport needs ipc_dir")
        mmb = d.get("max_message_bytes", DEFAULT_MAX_MESSAGE_BYTES)
        hb = d.get("heartbeat_ms", DEFAULT_HEARTBEAT_MS)
        ppid = d.get("parent_pid")
        for name, v in (("max_message_bytes", mmb), ("heartbeat_ms", hb)):
            if not isinstance(v, int) or isinstance(v, bool) or v <= 0:
                raise ConnectionFileError("connection file: %r must be a positive integer" % name)
        if ppid is not None and (not isinstance(ppid, int) or isinstance(ppid, bool)):
            raise ConnectionFileError("connection file: 'parent_pid' must be an integer or null")
        extra = {k: v for k, v in d.items() if k not in cls.FIELDS}
        return cls(kernel_id=d["kernel_id"], key=d["key"], registration=d.get("registration"),
                   transport=transport, ip=d.get("ip", "127.0.0.1"), ipc_dir=d.get("ipc_dir"),
                   parent_pid=ppid, max_message_bytes=mmb, heartbeat_ms=hb,
                   health=d.get("health"), submit=d.get("submit"), get=d.get("get"),
                   pid=d.get("pid"), extra=extra)

    @classmethod
    def load(cls, path):
        try:
            with open(path, "r", encoding="utf-8") as f:
                d = json.load(f)
        except (OSError, ValueError) as e:
            raise ConnectionFileError("cannot read connection file %s: %s" % (path, e)) from None
        return cls.from_dict(d)

    def write(self, path):
        """Writes the file with mode 0600 (replacing an existing file atomically)."""
        tmp = "%s.%d.tmp" % (path, os.getpid())
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            os.fchmod(fd, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                json.dump(self.to_dict(), f, indent=2)
                f.write("\n")
        except BaseException:
            try:
                os.unlink(tmp)
            finally:
                raise
        os.replace(tmp, path)
        return path
