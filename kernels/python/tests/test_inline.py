"""Inline endpoints (``@kernel.endpoint(..., inline=True)``): handlers run on the kernel's I/O
thread as their submit is accepted, with the same binding, errors, records, logs, progress and
answers as worker endpoints."""

import datetime as dt
import functools
import os
import signal
import time

import numpy as np
import pytest

import mesh
from conftest import CONFORMANCE_KERNEL, TEST_KERNELS
from mesh import errors
from mesh.endpoint import Endpoint
from test_kernel import _RawPeer, _tid

INLINE_KERNEL = os.path.join(TEST_KERNELS, "inline_kernel.py")


@pytest.fixture(scope="module")
def inline_kernel():
    with mesh.launch(INLINE_KERNEL, kernel_id="py-inline", env={"MESH_MAX_CONCURRENCY": "1"}) as k:
        yield k


@pytest.fixture(scope="module")
def ic(inline_kernel):
    with inline_kernel.client() as c:
        yield c


def _wait_state(handle, state, timeout=5.0):
    deadline = time.monotonic() + timeout
    while handle.status()["state"] != state:
        assert time.monotonic() < deadline, "task %s never reached %s" % (handle.task_id, state)
        time.sleep(0.01)


# ------------------------------------------------------------------ registration


def test_inline_registration_and_coroutines_refused():
    k = mesh.Kernel()

    @k.endpoint("plain", inline=True)
    def plain(x):
        return x

    @k.endpoint(inline=True)
    def bare(x):
        return x

    k.add_endpoint("added", plain, inline=True)
    k.add_endpoint("normal", plain)
    eps = k.endpoints
    assert eps["plain"].inline and eps["bare"].inline and eps["added"].inline
    assert not eps["normal"].inline
    # the kernel_info description does not change
    assert eps["plain"].describe() == dict(eps["normal"].describe(), name="plain")

    async def coro(x):
        return x

    async def agen(x):
        yield x

    class AsyncCallable:
        async def __call__(self, x):
            return x

    for fn in (coro, agen, AsyncCallable(), functools.partial(coro)):
        with pytest.raises(ValueError, match="inline"):
            k.add_endpoint("bad", fn, inline=True)
        with pytest.raises(ValueError, match="inline"):
            k.endpoint("bad", inline=True)(fn)
    assert "bad" not in k.endpoints
    assert not Endpoint("coro", coro).inline  # without inline: registration is unchanged


# ------------------------------------------------------------------ conformance kernel


def test_echo_inline_returns_values_and_is_described_like_echo(client):
    value = {"s": "h\u00e9", "b": b"\x00\xff", "list": [1, [2, None]], "f": 1.5,
             "when": dt.datetime(2024, 5, 6, 7, 8, 9, tzinfo=dt.timezone.utc),
             "arr": np.arange(3000, dtype=np.float64).reshape(30, 100),
             "table": mesh.Table({"x": np.array([1.0, 2.0]), "s": ["a", None]})}
    back = client.call("echo_inline", value)
    assert back.keys() == value.keys()
    for key, v in value.items():
        if isinstance(v, np.ndarray):
            assert back[key].dtype == v.dtype and np.array_equal(back[key], v)
        else:
            assert back[key] == v, key
    eps = {e["name"]: e for e in client.kernel_info()["endpoints"]}
    assert eps["echo_inline"]["params"] == eps["echo"]["params"]
    assert set(eps["echo_inline"]) == set(eps["echo"])


def test_echo_inline_call_style_and_plain_submit(raw):
    tid = _tid("inline-call")
    sid = raw.send_submit(tid, "echo_inline", [[1, "two"]], call=True)
    msg = raw.recv(raw.submit)
    assert msg.type == "get_reply" and msg.parent_id == sid
    c = msg.content
    assert c["task_id"] == tid and c["done"] is True and c["result"] == [1, "two"]
    rec = c["task"]
    assert rec["state"] == "COMPLETED" and rec["endpoint"] == "echo_inline"
    assert rec["queued_at"] <= rec["started_at"] <= rec["ended_at"]
    assert raw.quiet(raw.submit) and raw.quiet(raw.get, 0)
    # after the call's answer the task is forgotten, as for any call
    raw.send(raw.get, "get_request", {"task_id": tid, "timeout": 5.0, "keep": False})
    assert raw.recv(raw.get, 1.0).content["error"]["code"] == errors.UNKNOWN_TASK
    # a plain submit is acknowledged first, then fetched with a get (kept, then forgotten)
    tid = _tid("inline-plain")
    sid = raw.send_submit(tid, "echo_inline", ["v"])
    msg = raw.recv(raw.submit)
    assert msg.type == "submit_reply" and msg.parent_id == sid
    assert msg.content == {"task_id": tid, "accepted": True, "state": "QUEUED"}
    raw.send(raw.get, "get_request", {"task_id": tid, "timeout": 5.0, "keep": True})
    c = raw.recv(raw.get).content
    assert c["done"] is True and c["result"] == "v" and c["task"]["state"] == "COMPLETED"
    raw.send(raw.submit, "status_request", {"task_ids": [tid]})
    assert raw.recv(raw.submit).content["tasks"][0]["state"] == "COMPLETED"


@pytest.fixture
def raw(conformance_kernel):
    peer = _RawPeer(conformance_kernel)
    yield peer
    peer.close()


def test_inline_answers_while_the_only_worker_is_busy():
    with mesh.launch(CONFORMANCE_KERNEL, env={"MESH_MAX_CONCURRENCY": "1"}) as k, k.client() as c:
        blocker = c.submit("sleep", [30.0])
        _wait_state(blocker, "STARTED")
        queued = c.submit("echo", ["after the blocker"])
        t0 = time.monotonic()
        for i in range(20):
            assert c.call("echo_inline", i) == i
        h = c.submit("echo_inline", ["rec"])
        assert h.get(5) == "rec"
        assert time.monotonic() - t0 < 5
        assert h.record["state"] == "COMPLETED"
        # the normal echo is still waiting for the worker
        assert queued.status()["state"] == "QUEUED" and not queued.done()
        health = c.health()
        assert health["queued"] == 1 and health["running"] == 1
        assert blocker.cancel() is True
        assert queued.get(5) == "after the blocker"
        assert queued.record["started_at"] > h.record["ended_at"]
        with pytest.raises(mesh.TaskCancelledError):
            blocker.get(5)


# ------------------------------------------------------------------ the inline test kernel


@pytest.mark.parametrize("args,kwargs,fragment", [
    ((), {}, "missing required argument 'a'"),
    ((1, 2, 3), {}, "surplus"),
    ((1,), {"a": 1}, "both by position and by name"),
    ((1,), {"c": 1}, "no parameter 'c'"),
    (("x", 2), {}, "cannot convert str to float64"),
])
def test_inline_bad_arguments_like_normal_endpoints(ic, args, kwargs, fragment):
    messages = []
    for name in ("add", "add_inline"):
        with pytest.raises(mesh.BadArgumentsError) as e:
            ic.call(name, *args, **kwargs)
        assert e.value.code == errors.BAD_ARGUMENTS and fragment in e.value.message
        messages.append(e.value.message.replace("add_inline", "add"))
    assert messages[0] == messages[1]
    assert ic.call("add_inline", 1.5, b=2) == 3.5


def test_inline_bad_arguments_call_style_rejected_with_a_submit_reply(inline_kernel):
    raw = _RawPeer(inline_kernel)
    try:
        tid = _tid("inline-bad")
        sid = raw.send_submit(tid, "add_inline", [1], call=True)
        msg = raw.recv(raw.submit)
        assert msg.type == "submit_reply" and msg.parent_id == sid
        c = msg.content
        assert c["accepted"] is False and c["state"] is None
        assert c["error"]["code"] == errors.BAD_ARGUMENTS
        assert raw.quiet(raw.submit)
        raw.send(raw.get, "get_request", {"task_id": tid, "timeout": 5.0, "keep": False})
        c = raw.recv(raw.get, 1.0).content
        assert c["task"] is None and c["error"]["code"] == errors.BAD_ARGUMENTS
    finally:
        raw.close()


def test_inline_error_has_type_message_traceback(ic):
    for name in ("boom", "boom_inline"):
        h = ic.submit(name, ["it broke"])
        with pytest.raises(mesh.RemoteError) as e:
            h.get(5)
        err = e.value
        assert err.type == "ValueError" and err.message == "it broke"
        assert err.code == errors.APPLICATION_ERROR
        assert err.traceback[-1] == "ValueError: it broke"
        assert any("inline_kernel.py" in line for line in err.traceback)
        assert not any("mesh/kernel.py" in line for line in err.traceback)
        assert h.record["state"] == "ERROR" and h.record["ended_at"] is not None
    assert ic.call("add_inline", 1, 2) == 3.0  # the kernel carries on


def test_inline_record_log_progress_and_context(ic):
    seen = []
    h = ic.submit("chatter_inline", [3], on_progress=lambda v, m: seen.append((v, m)))
    got = h.get(5)
    assert got == {"thread": "MainThread", "task_id": h.task_id, "same_ctx": True}
    assert ic.call("chatter", 1)["thread"].startswith("mesh-worker-")
    rec = h.record
    assert rec["state"] == "COMPLETED" and rec["endpoint"] == "chatter_inline"
    for key in ("pending_at", "queued_at", "started_at", "ended_at"):
        assert isinstance(rec[key], dt.datetime), key
    assert rec["pending_at"] <= rec["queued_at"] <= rec["started_at"] <= rec["ended_at"]
    assert rec["log"] == ["line 0", "line 1", "line 2", "INFO inline_kernel: logged 3"]
    deadline = time.monotonic() + 2
    while len(seen) < 3 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert seen == [(1, "step 1"), (2, "step 2"), (3, "step 3")]


def test_inline_timeout_is_checked_when_the_handler_returns(ic):
    with pytest.raises(mesh.TaskTimeoutError) as e:
        ic.submit("busy_inline", [0.3], timeout=0.05).get(5)
    assert e.value.code == errors.TASK_TIMEOUT
    assert ic.submit("busy_inline", [0.0], timeout=5.0).get(5) == 0.0


def test_sigterm_while_an_inline_handler_runs_exits_zero():
    k = mesh.launch(INLINE_KERNEL)
    c = k.client()
    try:
        c.submit("busy_inline", [60.0])
        deadline = time.monotonic() + 5
        while c.health()["running"] != 1:  # the health thread answers meanwhile
            assert time.monotonic() < deadline
            time.sleep(0.01)
        t0 = time.monotonic()
        os.kill(k.pid, signal.SIGTERM)
        assert k.wait(5) == 0
        assert time.monotonic() - t0 < 3
    finally:
        c.close()
        k.shutdown()
