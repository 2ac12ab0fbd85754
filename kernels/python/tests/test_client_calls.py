"""The client's call-style submits (docs/protocol.md section 6.2, ``call: true``).

Against the Python kernel, which answers calls: one message each way, errors as before,
``Client.kernel_answers_calls`` becomes True. Against a kernel that ignores ``call`` (a fake
kernel in this file, speaking the envelope on three ROUTER sockets): the client fetches the
result with a ``get_request``, ``kernel_answers_calls`` becomes False, and later tasks go as a
plain submit followed at once by a get.
"""

import collections
import os
import threading
import time

import pytest
import zmq

import mesh
from mesh import errors, transport
from mesh.client import TimeoutError as WaitTimeout
from mesh.envelope import Envelope, EnvelopeError


class _Spy:
    """Wraps a client's Envelope and records the type of every message the client sends."""

    def __init__(self, env):
        self._env = env
        self.sent = collections.Counter()

    def pack(self, msg_type, content, *a, **kw):
        self.sent[msg_type] += 1
        return self._env.pack(msg_type, content, *a, **kw)

    def __getattr__(self, name):
        return getattr(self._env, name)


def _spied(client):
    spy = _Spy(client._env)
    client._env = spy
    return spy


# ------------------------------------------------------------------ a kernel that answers calls


@pytest.fixture
def fresh(conformance_kernel):
    """A new client of the shared conformance kernel (kernel_answers_calls not learned yet)."""
    with conformance_kernel.client() as c:
        yield c


def test_call_answered_in_one_message_and_kernel_answers_calls_becomes_true(fresh):
    c = fresh
    spy = _spied(c)
    assert c.kernel_answers_calls is None
    assert c.call("add", 1.25, b=2) == 3.25
    assert c.kernel_answers_calls is True
    for i in range(20):
        assert c.call("concat", "a", str(i)) == "a%d" % i
    h = c.submit("log", [["one", "two"]])
    assert h.get(10) == 2 and h.accepted is True
    assert h.record["state"] == "COMPLETED" and h.record["log"] == ["one", "two"]
    assert spy.sent["submit_request"] == 22 and spy.sent["get_request"] == 0
    assert c.kernel_answers_calls is True and c.pending() == 0


def test_call_errors_and_rejections_as_before(fresh):
    c = fresh
    spy = _spied(c)
    with pytest.raises(mesh.RemoteError) as e:
        c.call("fail", "it broke")
    assert e.value.type == "ValueError" and e.value.message == "it broke"
    assert e.value.code == errors.APPLICATION_ERROR and e.value.traceback
    with pytest.raises(mesh.UnknownEndpointError) as e:
        c.call("no_such_endpoint", 1)
    assert e.value.code == errors.UNKNOWN_ENDPOINT and "no_such_endpoint" in e.value.message
    h = c.submit("add", [1])
    with pytest.raises(mesh.BadArgumentsError) as e:
        h.get(10)
    assert e.value.code == errors.BAD_ARGUMENTS and "'b'" in e.value.message
    assert h.accepted is False
    with pytest.raises(mesh.TaskTimeoutError):
        c.submit("sleep", [5.0], timeout=0.2).get(10)
    assert spy.sent["get_request"] == 0
    assert c.call("add", 2, 2) == 4.0   # the client is fine after all that
    assert c.kernel_answers_calls is True and c.pending() == 0


def test_wait_timeout_progress_and_cancel_with_calls(fresh):
    c = fresh
    # a wait timeout leaves the task running, as before; its answer still arrives
    h = c.submit("sleep", [0.6])
    t0 = time.monotonic()
    with pytest.raises(WaitTimeout):
        h.get(0.1)
    assert time.monotonic() - t0 < 0.5
    assert h.status()["state"] in ("QUEUED", "STARTED")
    assert h.get(10) == 0.6 and h.record["state"] == "COMPLETED"
    # progress messages reach the callback
    seen = []
    assert c.submit("progress", [4], on_progress=lambda v, m: seen.append(v)).get(10) == 4
    time.sleep(0.05)
    assert seen == [1, 2, 3, 4]
    # cancelling a call: the kernel answers it with the cancellation
    h = c.submit("sleep", [30.0])
    deadline = time.monotonic() + 5
    while h.status()["state"] != "STARTED":
        assert time.monotonic() < deadline
        time.sleep(0.01)
    t0 = time.monotonic()
    assert h.cancel() is True
    with pytest.raises(mesh.TaskCancelledError):
        h.get(5)
    assert time.monotonic() - t0 < 2 and h.record["state"] == "CANCELLED"
    assert c.kernel_answers_calls is True and c.pending() == 0


def test_proxies_work_over_calls(fresh):
    c = fresh
    spy = _spied(c)
    Counter = c.root("Counter")
    with Counter(5) as counter:
        assert counter.add(3) == 8
        assert counter.value.get() == 8
        assert sorted(counter.add_async(1).get(10) for _ in range(3)) == [9, 10, 11]
    Counter.release()
    assert c.flush_releases(10)
    assert c.kernel_answers_calls is True and spy.sent["get_request"] == 0


# ------------------------------------------------------------------ a kernel that ignores calls


class _BaseProtocolKernel:
    """A fake kernel that ignores ``call``: every accepted submit gets ``submit_reply
    {accepted: true}``; results are fetched with ``get_request`` (a get may arrive before its
    submit, so it waits). ``slow`` answers its first get with ``done: false``; ``progress``
    sends progress messages on the submit socket."""

    ENDPOINTS = ("add", "fail", "slow", "progress")

    def __init__(self, key="fake-key"):
        self.key = key
        self.env = Envelope(key)
        self.ctx = zmq.Context()
        self.socks = {}
        self.addresses = {}
        for name in ("health", "submit", "get"):
            s = transport.make_socket(self.ctx, zmq.ROUTER)
            self.addresses[name] = transport.bind(s)
            self.socks[name] = s
        self.submits = []             # submit_request contents, in order
        self.gets = 0
        self.tasks = {}               # task id -> content
        self.parked = {}              # task id -> [(ids, msg_id)] gets waiting for a submit
        self.polled = set()
        self.rejected = {}            # task id -> error of its rejected submit
        self._stop = False
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def client(self, **options):
        a = self.addresses
        return mesh.Client(a["health"], a["submit"], a["get"], self.key, kernel_id="fake",
                           **options)

    def close(self):
        self._stop = True
        self._thread.join(5)
        for s in self.socks.values():
            s.close(0)
        self.ctx.term()

    def _send(self, name, ids, msg_type, content, parent_id):
        _, frames = self.env.pack(msg_type, content, parent_id=parent_id)
        transport.send(self.socks[name], frames, ids)

    def _run(self):
        poller = zmq.Poller()
        for s in self.socks.values():
            poller.register(s, zmq.POLLIN)
        by_sock = {s: n for n, s in self.socks.items()}
        while not self._stop:
            for sock, _ in poller.poll(50):
                ids, frames = transport.recv(sock, routed=True)
                try:
                    msg = self.env.unpack(frames)
                except EnvelopeError:
                    continue
                name = by_sock[sock]
                if name == "health":
                    self._send("health", ids, "health_reply", {"kernel_id": "fake"}, msg.id)
                elif msg.type == "submit_request":
                    self._on_submit(ids, msg)
                elif msg.type == "get_request":
                    self._on_get(ids, msg)

    def _on_submit(self, ids, msg):
        c = msg.content
        self.submits.append(c)
        tid = c["task_id"]
        problem = None
        if c["endpoint"] not in self.ENDPOINTS:
            problem = errors.error_map("UNKNOWN_ENDPOINT", "no endpoint named %r" % c["endpoint"],
                                       errors.UNKNOWN_ENDPOINT)
        elif c["endpoint"] == "add" and len(c["args"]) + len(c["kwargs"]) != 2:
            problem = errors.error_map("BAD_ARGUMENTS", "missing argument 'b'",
                                       errors.BAD_ARGUMENTS)
        if problem is not None:
            self.rejected[tid] = problem
            self._send("submit", ids, "submit_reply", {"task_id": tid, "accepted": False,
                                                       "state": None, "error": problem}, msg.id)
            for gids, gid in self.parked.pop(tid, ()):
                self._send("get", gids, "get_reply",
                           {"task_id": tid, "done": True, "task": None, "error": problem}, gid)
            return
        self.tasks[tid] = c
        self._send("submit", ids, "submit_reply",
                   {"task_id": tid, "accepted": True, "state": "QUEUED"}, msg.id)
        if c["endpoint"] == "progress":
            for i in range(1, c["args"][0] + 1):
                self._send("submit", ids, "progress",
                           {"task_id": tid, "value": i, "message": "step %d" % i}, None)
        for gids, gid in self.parked.pop(tid, ()):
            self._answer(gids, gid, tid)

    def _on_get(self, ids, msg):
        self.gets += 1
        tid = msg.content["task_id"]
        if tid in self.rejected:
            self._send("get", ids, "get_reply", {"task_id": tid, "done": True, "task": None,
                                                 "error": self.rejected[tid]}, msg.id)
            return
        if tid not in self.tasks:
            self.parked.setdefault(tid, []).append((ids, msg.id))
            return
        self._answer(ids, msg.id, tid)

    def _answer(self, ids, parent_id, tid):
        c = self.tasks[tid]
        record = {"task_id": tid, "endpoint": c["endpoint"], "state": "STARTED", "priority": 5,
                  "pending_at": None, "queued_at": None, "started_at": None, "ended_at": None,
                  "retries": 0, "log": []}
        if c["endpoint"] == "slow" and tid not in self.polled:
            self.polled.add(tid)
            self._send("get", ids, "get_reply", {"task_id": tid, "done": False, "task": record},
                       parent_id)
            return
        del self.tasks[tid]
        reply = {"task_id": tid, "done": True, "task": record}
        if c["endpoint"] == "fail":
            record["state"] = "ERROR"
            reply["error"] = errors.error_map("ValueError", c["args"][0], errors.APPLICATION_ERROR,
                                              ["Traceback (most recent call last):", "ValueError"])
        else:
            record["state"] = "COMPLETED"
            reply["result"] = (sum(c["args"]) + sum(c["kwargs"].values())
                               if c["endpoint"] == "add" else c["args"][0])
        self._send("get", ids, "get_reply", reply, parent_id)


@pytest.fixture
def base_kernel():
    k = _BaseProtocolKernel(key=os.urandom(8).hex())
    yield k
    k.close()


def test_calls_fall_back_to_submit_and_get_for_a_kernel_that_ignores_calls(base_kernel):
    with base_kernel.client() as c:
        assert c.kernel_answers_calls is None
        assert c.call("add", 1, 2) == 3
        assert c.kernel_answers_calls is False
        first = base_kernel.submits[0]
        assert first["call"] is True and base_kernel.gets == 1
        # later calls: a plain submit and a get at once
        assert [c.call("add", i, b=1) for i in range(10)] == [i + 1 for i in range(10)]
        assert all("call" not in s for s in base_kernel.submits[1:])
        assert len(base_kernel.submits) == 11 and base_kernel.gets == 11
        # a get_reply with done: false is re-sent, as before
        assert c.call("slow", "late") == "late" and base_kernel.gets == 13
        assert c.kernel_answers_calls is False and c.pending() == 0


def test_fallback_keeps_errors_rejections_and_progress(base_kernel):
    with base_kernel.client() as c:
        # the first task is a rejected call: nothing is learned from a rejection
        with pytest.raises(mesh.UnknownEndpointError):
            c.call("nope")
        assert c.kernel_answers_calls is None and base_kernel.gets == 0
        with pytest.raises(mesh.RemoteError) as e:
            c.call("fail", "boom")
        assert e.value.type == "ValueError" and e.value.message == "boom" and e.value.traceback
        assert c.kernel_answers_calls is False
        with pytest.raises(mesh.BadArgumentsError, match="'b'"):
            c.call("add", 1)
        with pytest.raises(mesh.UnknownEndpointError):
            c.call("nope")
        seen = []
        h = c.submit("progress", [3], on_progress=lambda v, m: seen.append(v))
        assert h.get(10) == 3 and h.accepted is True and h.record["state"] == "COMPLETED"
        time.sleep(0.05)
        assert seen == [1, 2, 3]
        assert c.call("add", 2, 3) == 5 and c.pending() == 0


def test_concurrent_first_calls_all_fall_back(base_kernel):
    with base_kernel.client() as c:
        # sent together before any answer: every one is a call, each is fetched with a get
        handles = [c.submit("add", [i, 1]) for i in range(200)]
        assert [h.get(30) for h in handles] == [i + 1 for i in range(200)]
        assert c.kernel_answers_calls is False
        calls = sum(s.get("call") is True for s in base_kernel.submits)
        assert calls >= 1 and base_kernel.gets == 200
        assert c.call("add", 1, 1) == 2 and "call" not in base_kernel.submits[-1]
        assert c.pending() == 0
