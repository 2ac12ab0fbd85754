"""Blast a live kernel with >= 100 000 random and mutated messages; it must stay up."""

import random
import struct
import time

import msgpack
import zmq

import mesh
from conftest import CONFORMANCE_KERNEL
from mesh import transport
from mesh.envelope import Envelope, TAG

N_MESSAGES = 100_000
TYPES = ["submit_request", "get_request", "status_request", "cancel_request",
         "kernel_info_request", "health_request", "no_such_type", ""]


def make_pool(key, seed=1234, size=4000):
    """Distinct hostile messages; returns [(port, frames, must_be_rejected)]."""
    r = random.Random(seed)
    env = Envelope(key)
    wrong = Envelope("ff" * 32)

    def rbytes(n):
        return r.getrandbits(8 * n).to_bytes(n, "little") if n else b""

    def signed(header, content, tag=TAG, extra=()):
        return [tag, env.sign(header, content), header, content, *extra]

    def valid_submit():
        content = {"task_id": rbytes(8).hex(), "endpoint": r.choice(["echo", "add", "concat", "nope"]),
                   "args": r.choice([[], [1], [1, 2], ["a", "b"], [[1] * 5], [None] * 4]),
                   "kwargs": r.choice([{}, {"a": 1}, {"b": "x"}, {"zz": 2}]),
                   "priority": r.choice([1, 5, 10, 0, 11]), "timeout": r.choice([None, 1.0, -1]),
                   "retries": 0, "metadata": {}}
        return env.pack("submit_request", content)[1]

    pool = []
    for i in range(size):
        kind = i % 12
        port = r.choice(["submit", "get", "health"])
        if kind == 0:    # random frame count of random bytes
            frames = [rbytes(r.randrange(0, 40)) for _ in range(r.randrange(1, 8))]
            pool.append((port, frames, True))
        elif kind == 1:  # good structure, bad signature
            _, frames = env.pack(r.choice(TYPES), {"task_id": "x"})
            frames[1] = rbytes(32)
            pool.append((port, frames, True))
        elif kind == 2:  # signed with the wrong key
            _, frames = wrong.pack(r.choice(TYPES), {})
            pool.append((port, frames, True))
        elif kind == 3:  # right key, truncated content
            _, h = env.header(r.choice(TYPES))
            c = msgpack.packb({"task_id": "t", "args": list(range(50))})
            c = c[:r.randrange(0, len(c))]
            pool.append((port, signed(h, c), True))
        elif kind == 4:  # right key, huge length prefixes
            _, h = env.header(r.choice(TYPES))
            prefix = r.choice([b"\xdb", b"\xc6", b"\xdd", b"\xdf", b"\xc9"])
            c = prefix + struct.pack(">I", r.choice([2**32 - 1, 2**31, 10**9])) + rbytes(r.randrange(0, 10))
            pool.append((port, signed(h, c), True))
        elif kind == 5:  # right key, garbage content
            _, h = env.header(r.choice(TYPES))
            pool.append((port, signed(h, rbytes(r.randrange(1, 64))), True))
        elif kind == 6:  # right key, garbage header
            h = rbytes(r.randrange(0, 30))
            pool.append((port, signed(h, b"\x80"), True))
        elif kind == 7:  # wrong or other-version tag
            _, frames = env.pack("health_request", {})
            frames[0] = r.choice([b"MESH/2", b"MESH/", b"MESX/1", b"", rbytes(6)])
            pool.append((port, frames, True))
        elif kind == 8:  # buffer count / size mismatch
            _, frames = env.pack("submit_request", {"task_id": rbytes(4).hex(), "endpoint": "echo",
                                                    "args": [__import__("numpy").zeros(300)],
                                                    "kwargs": {}})
            frames = [bytes(f) for f in frames]
            frames = r.choice([frames[:4], frames + [b"x"], frames[:4] + [frames[4][:100]]])
            pool.append(("submit", frames, True))
        elif kind == 9:  # valid-ish submits with random argument trouble (answered, not rejected)
            pool.append(("submit", valid_submit(), False))
        elif kind == 10:  # deep nesting, signed
            _, h = env.header("submit_request")
            c = b"\x91" * r.randrange(65, 200) + b"\xc0"
            pool.append((port, signed(h, c), True))
        else:            # random valid msgpack of the wrong shape, signed
            val = r.choice([None, 1, "s", [1, 2], {"task_id": 5}, {"task_ids": "x"}, {"grace": "z"}])
            _, frames = env.pack(r.choice(TYPES[:5]), val)
            pool.append((port, frames, False))
    return pool


def test_fuzz_kernel_survives_100k_hostile_messages():
    k = mesh.launch(CONFORMANCE_KERNEL, env={"MESH_MAX_CONCURRENCY": "2"})
    c = k.client()
    ctx = zmq.Context.instance()
    socks = {}
    try:
        before = c.health()["rejected"]
        pool = make_pool(k.info.key)
        for name in ("submit", "get", "health"):
            s = transport.make_socket(ctx, zmq.DEALER)
            s.connect(getattr(k.info, name))
            socks[name] = s
        time.sleep(0.1)
        r = random.Random(99)
        must_reject = 0
        t0 = time.monotonic()
        for i in range(N_MESSAGES):
            port, frames, rejected = pool[r.randrange(len(pool))]
            socks[port].send_multipart(frames, copy=False)
            must_reject += rejected
            if i % 5000 == 0:
                # health keeps answering while the kernel is being flooded
                for s in socks.values():
                    while s.poll(0):
                        s.recv_multipart()
        blast = time.monotonic() - t0
        h = c.health(timeout=5)
        assert h["status"] == "ok"
        # wait until the kernel has worked through the backlog
        deadline = time.monotonic() + 90
        last = -1
        while time.monotonic() < deadline:
            for s in socks.values():
                while s.poll(0):
                    s.recv_multipart()
            rejected = c.health()["rejected"] - before
            if rejected >= must_reject and rejected == last:
                break
            last = rejected
            time.sleep(0.3)
        assert rejected >= must_reject, (rejected, must_reject)
        assert k.returncode is None, k.log_tail()
        assert c.call("add", 1, 2) == 3.0
        assert c.call("echo", {"still": ["alive"]}) == {"still": ["alive"]}
        print("blasted %d messages in %.1f s; kernel rejected %d (>= %d required)"
              % (N_MESSAGES, blast, rejected, must_reject))
    finally:
        for s in socks.values():
            s.close(0)
        c.close()
        code = k.shutdown(grace=0.5, timeout=5)
    assert code == 0, k.log_tail()
    assert not [l for l in k.log_tail(200) if "Traceback" in l], k.log_tail(200)
