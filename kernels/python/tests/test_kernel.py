"""The conformance endpoints and the task lifecycle against real kernel processes."""

import datetime as dt
import os
import threading
import time

import numpy as np
import pytest

import mesh
from conftest import CONFORMANCE_KERNEL, TEST_KERNELS
from mesh import errors


# ------------------------------------------------------------------ conformance endpoints


def sequential_sum(a):
    total = 0.0
    for v in a.reshape(-1).tolist():
        total += v
    return total


def test_kernel_info(client, conformance_kernel):
    info = client.kernel_info()
    assert info["kernel_id"] == "py-conformance" and info["protocol_version"] == 1
    assert info["language"] == "python" and info["max_concurrency"] == 4
    assert info["pid"] == conformance_kernel.pid
    names = {e["name"] for e in info["endpoints"]}
    assert names == {"echo", "echo_inline", "add", "concat", "sum_array", "scale", "transpose",
                     "make_table", "table_echo", "fail", "sleep", "progress", "log", "order", "pid",
                     # the proxy protocol's reserved endpoints (section 9.3)
                     "mesh.root", "mesh.call", "mesh.call_method", "mesh.get_attr",
                     "mesh.set_attr", "mesh.get_item", "mesh.set_item", "mesh.deref",
                     "mesh.release", "mesh.objects"}
    add = next(e for e in info["endpoints"] if e["name"] == "add")
    assert add["params"] == [{"name": "a", "type": "float64", "required": True},
                             {"name": "b", "type": "float64", "required": True}]
    assert conformance_kernel.kernel_info["kernel_id"] == "py-conformance"


def test_echo_values(client):
    when = dt.datetime(2024, 5, 6, 7, 8, 9, 123000, tzinfo=dt.timezone.utc)
    value = {"nil": None, "t": True, "i": -(2**63), "u": 2**64 - 1, "f": 1.5, "s": "h\u00e9",
             "b": b"\x00\xff", "list": [1, [2, [3]]], "map": {"k": {"n": 1}}, "when": when,
             "arr": np.arange(6, dtype=np.int16).reshape(2, 3),
             "table": mesh.Table({"x": np.array([1.0, 2.0]), "s": ["a", None]}),
             3: "int key"}
    back = client.call("echo", value)
    assert back.keys() == value.keys()
    for k, v in value.items():
        if isinstance(v, np.ndarray):
            assert back[k].dtype == v.dtype and np.array_equal(back[k], v)
        else:
            assert back[k] == v, k


def test_add_concat_named_and_positional(client):
    assert client.call("add", 1.25, 2) == 3.25
    assert client.call("add", a=1, b=2) == 3.0
    assert client.call("add", 1, b=2) == 3.0
    assert client.call("concat", "a") == "a-"
    assert client.call("concat", "a", "b") == "ab"
    assert client.call("concat", b="y", a="x") == "xy"


def test_arrays(client):
    a = np.random.default_rng(1).random((7, 5))
    assert client.call("sum_array", a) == sequential_sum(a)
    assert np.array_equal(client.call("scale", a, 3.0), a * 3.0)
    t = client.call("transpose", a)
    assert t.shape == (5, 7) and np.array_equal(t, a.T)
    assert client.call("sum_array", np.zeros(0)) == 0.0
    assert client.call("sum_array", np.float64(2.5) * np.ones(())) == 2.5


def test_ten_million_element_array_round_trip_exact(client):
    a = np.random.default_rng(7).standard_normal(10**7)
    t0 = time.monotonic()
    back = client.call("echo", a)
    elapsed = time.monotonic() - t0
    assert back.dtype == np.float64 and back.shape == a.shape
    assert back.tobytes() == a.tobytes()
    assert client.call("sum_array", a) == sequential_sum(a)
    assert elapsed < 10, elapsed


def test_large_2d_array_round_trip_exact(client):
    m = np.random.default_rng(3).random((1000, 1500))
    back = client.call("transpose", m)
    assert back.shape == (1500, 1000) and np.array_equal(back, m.T)
    scaled = client.call("scale", m, -0.5)
    assert scaled.tobytes() == (m * -0.5).tobytes()


def test_tables(client):
    t = client.call("make_table", 4)
    assert isinstance(t, mesh.Table) and t.names == ["id", "value", "name"]
    assert t["id"].dtype == np.int64 and t["id"].tolist() == [0, 1, 2, 3]
    assert t["value"].tolist() == [0.0, 0.5, 1.0, 1.5]
    assert t["name"] == ["row0", "row1", "row2", "row3"]
    big = mesh.Table({"x": np.arange(5000, dtype=np.float64), "flag": np.arange(5000) % 2 == 0,
                      "s": ["s%d" % i if i % 3 else None for i in range(5000)]})
    assert client.call("table_echo", big) == big
    assert client.call("make_table", 0).num_rows == 0


def test_fail_carries_type_message_traceback(client):
    with pytest.raises(mesh.RemoteError) as e:
        client.call("fail", "it broke")
    err = e.value
    assert err.type == "ValueError" and err.message == "it broke" and err.code == 0
    assert err.traceback and err.traceback[-1] == "ValueError: it broke"
    assert any("mesh_conformance_kernel.py" in line for line in err.traceback)
    assert "Remote traceback" in str(err)


def test_progress_messages(client):
    seen = []
    h = client.submit("progress", [5], on_progress=lambda v, m: seen.append((v, m)))
    assert h.get(10) == 5
    time.sleep(0.05)
    assert [v for v, _ in seen] == [1, 2, 3, 4, 5]
    assert seen[0][1] == "step 1 of 5"


def test_log_is_captured_per_task(client):
    h = client.submit("log", [["first", "second"]])
    assert h.get(10) == 2
    assert h.record["log"] == ["first", "second"]
    assert h.record["state"] == "COMPLETED"
    for key in ("pending_at", "queued_at", "started_at", "ended_at"):
        assert isinstance(h.record[key], dt.datetime)
    assert h.record["queued_at"] <= h.record["started_at"] <= h.record["ended_at"]


def test_log_keeps_last_1000_lines_with_marker(client):
    h = client.submit("log", [["line %d" % i for i in range(1500)]])
    assert h.get(10) == 1500
    log = h.record["log"]
    assert len(log) == 1000 and "dropped" in log[0] and log[-1] == "line 1499"


def test_pid(client, conformance_kernel):
    assert client.call("pid") == conformance_kernel.pid


def test_unknown_endpoint(client):
    with pytest.raises(mesh.UnknownEndpointError) as e:
        client.call("no_such_endpoint", 1)
    assert e.value.code == errors.UNKNOWN_ENDPOINT and "no_such_endpoint" in e.value.message


@pytest.mark.parametrize("args,kwargs,fragment", [
    ((), {}, "'a'"),
    ((1, 2, 3), {}, "surplus"),
    ((1,), {"a": 1}, "'a'"),
    ((1,), {"c": 1}, "'c'"),
    (("x", 2), {}, "'a'"),
])
def test_bad_arguments(client, args, kwargs, fragment):
    with pytest.raises(mesh.BadArgumentsError) as e:
        client.call("add", *args, **kwargs)
    assert e.value.code == errors.BAD_ARGUMENTS and fragment in e.value.message


def test_bad_ndarray_size_is_bad_arguments(client, conformance_kernel):
    import msgpack
    from mesh import transport
    from mesh.envelope import Envelope
    import zmq
    env = Envelope(conformance_kernel.info.key)
    bad = msgpack.ExtType(1, msgpack.packb(["float64", [4], b"\x00" * 8], use_bin_type=True))
    ctx = zmq.Context.instance()
    s = transport.make_socket(ctx, zmq.DEALER)
    s.connect(conformance_kernel.info.submit)
    try:
        content = msgpack.packb({"task_id": "badsize", "endpoint": "sum_array", "args": [bad],
                                 "kwargs": {}, "priority": 5, "timeout": None, "retries": 0,
                                 "metadata": {}}, use_bin_type=True)
        _, frames = env.pack_encoded("submit_request", content)
        transport.send(s, frames)
        assert s.poll(5000)
        msg = env.unpack(transport.recv(s)[1])
        assert msg.type == "submit_reply" and msg.content["accepted"] is False
        assert msg.content["error"]["code"] == errors.BAD_ARGUMENTS
    finally:
        s.close(0)


def test_many_concurrent_calls_from_threads(client):
    results = {}
    errors_seen = []

    def worker(t):
        try:
            handles = [(i, client.submit("echo", [[t, i, "x" * (i % 7)]])) for i in range(250)]
            for i, h in handles:
                results[(t, i)] = h.get(60)
        except Exception as e:  # pragma: no cover - reported below
            errors_seen.append(e)

    threads = [threading.Thread(target=worker, args=(t,)) for t in range(8)]
    t0 = time.monotonic()
    for th in threads:
        th.start()
    for th in threads:
        th.join(120)
    assert not errors_seen, errors_seen[:3]
    assert len(results) == 2000
    for (t, i), v in results.items():
        assert v == [t, i, "x" * (i % 7)]
    assert time.monotonic() - t0 < 60
    assert client.pending() == 0


def test_status_get_for_unseen_id_and_keep(client, conformance_kernel):
    h = client.submit("sleep", [0.3])
    rec = h.status()
    assert rec["task_id"] == h.task_id and rec["state"] in ("QUEUED", "STARTED")
    assert client.status(["nope"]) == [None]
    assert h.get(10) == 0.3
    # after the fetch the task is forgotten
    assert client.status([h.task_id]) == [None]


def test_get_waits_for_a_task_submitted_later(conformance_kernel):
    from mesh import transport
    from mesh.envelope import Envelope
    import zmq
    env = Envelope(conformance_kernel.info.key)
    ctx = zmq.Context.instance()
    g = transport.make_socket(ctx, zmq.DEALER)
    s = transport.make_socket(ctx, zmq.DEALER)
    g.connect(conformance_kernel.info.get)
    s.connect(conformance_kernel.info.submit)
    try:
        tid = "later-" + os.urandom(4).hex()
        _, frames = env.pack("get_request", {"task_id": tid, "timeout": 10.0, "keep": True})
        transport.send(g, frames)
        time.sleep(0.3)
        assert not g.poll(0)
        _, frames = env.pack("submit_request", {"task_id": tid, "endpoint": "add", "args": [1, 2],
                                                "kwargs": {}, "priority": 5, "timeout": None,
                                                "retries": 0, "metadata": {}})
        transport.send(s, frames)
        assert g.poll(5000)
        reply = env.unpack(transport.recv(g)[1]).content
        assert reply["done"] is True and reply["result"] == 3.0
        # keep: a second get still finds it, then it is forgotten
        _, frames = env.pack("get_request", {"task_id": tid, "timeout": 0, "keep": False})
        transport.send(g, frames)
        assert g.poll(5000)
        assert env.unpack(transport.recv(g)[1]).content["result"] == 3.0
        _, frames = env.pack("get_request", {"task_id": tid, "timeout": 0.2, "keep": False})
        transport.send(g, frames)
        assert g.poll(5000)
        reply = env.unpack(transport.recv(g)[1]).content
        assert reply["error"]["code"] == errors.UNKNOWN_TASK and reply["task"] is None
    finally:
        g.close(0)
        s.close(0)


def test_cancel_running_and_queued():
    with mesh.launch(CONFORMANCE_KERNEL, env={"MESH_MAX_CONCURRENCY": "1"}) as k, k.client() as c:
        running = c.submit("sleep", [30.0])
        queued = c.submit("sleep", [30.0])
        deadline = time.monotonic() + 5
        while running.status()["state"] != "STARTED":
            assert time.monotonic() < deadline
            time.sleep(0.01)
        assert queued.status()["state"] == "QUEUED"
        assert queued.cancel() is True
        with pytest.raises(mesh.TaskCancelledError) as e:
            queued.get(5)
        assert e.value.code == errors.TASK_CANCELLED
        t0 = time.monotonic()
        assert running.cancel() is True
        with pytest.raises(mesh.TaskCancelledError):
            running.get(5)
        assert time.monotonic() - t0 < 2
        assert running.record["state"] == "CANCELLED"
        assert c.cancel(running.task_id)["cancelled"] is False  # final (or forgotten)
        assert c.call("add", 1, 1) == 2.0


def test_priority_order_with_concurrency_one():
    with mesh.launch(CONFORMANCE_KERNEL, env={"MESH_MAX_CONCURRENCY": "1"}) as k, k.client() as c:
        blocker = c.submit("sleep", [0.5])
        time.sleep(0.1)
        plan = [(1, "a"), (5, "b"), (10, "c"), (5, "d"), (1, "e"), (10, "f"), (7, "g")]
        handles = [c.submit("order", [tag], priority=p) for p, tag in plan]
        blocker.get(10)
        got = sorted((h.get(10)[1], h.get(10)[0]) for h in handles)
        assert [tag for _, tag in got] == ["c", "f", "g", "b", "d", "a", "e"]


def test_timeout_and_interrupt():
    with mesh.launch(os.path.join(TEST_KERNELS, "misc_kernel.py"),
                     env={"MESH_MAX_CONCURRENCY": "2"}) as k, k.client() as c:
        t0 = time.monotonic()
        with pytest.raises(mesh.TaskTimeoutError) as e:
            c.submit("spin", timeout=0.3).get(10)
        assert e.value.code == errors.TASK_TIMEOUT
        assert 0.25 < time.monotonic() - t0 < 3
        # a handler that ignores cancellation still times out on time
        t0 = time.monotonic()
        with pytest.raises(mesh.TaskTimeoutError):
            c.submit("busy", [1.5], timeout=0.2).get(10)
        assert time.monotonic() - t0 < 1.2
        # interrupt cancels running tasks; a handler that returns normally is still CANCELLED
        h1 = c.submit("spin_flag")
        time.sleep(0.2)
        assert c.interrupt() >= 1
        with pytest.raises(mesh.TaskCancelledError):
            h1.get(5)


def test_misc_kernel_features():
    with mesh.launch(os.path.join(TEST_KERNELS, "misc_kernel.py")) as k, k.client() as c:
        h = c.submit("chatter", [3])
        assert h.get(10) == 3
        log = h.record["log"]
        assert log[:3] == ["out 0", "out 1", "out 2"]
        assert "err line" in log and "INFO misc_kernel: logged 3" in log and log[-1] == "partial"
        m = c.submit("meta", metadata={"who": "test"}, priority=8).get(10)
        assert m["metadata"] == {"who": "test"} and m["priority"] == 8
        with pytest.raises(mesh.RemoteError) as e:
            c.call("unencodable")
        assert "cannot be encoded" in e.value.message
        with pytest.raises(mesh.RemoteError) as e:
            c.call("app_error")
        assert e.value.code == 10042 and e.value.type.endswith("AppError")
        assert np.array_equal(c.call("add_arrays", [1, 2], np.array([3, 4])), [4, 6])


def test_shutdown_request_drains_and_exits_zero():
    k = mesh.launch(CONFORMANCE_KERNEL)
    c = k.client()
    try:
        h = c.submit("sleep", [0.3])
        time.sleep(0.05)
        reply = c.shutdown(grace=5.0)
        assert reply["accepted"] is True
        assert c.health()["status"] == "shutting_down"
        with pytest.raises(mesh.KernelShuttingDownError):
            c.call("add", 1, 2)
        assert h.get(5) == 0.3      # the running task drains
        assert k.wait(5) == 0
    finally:
        c.close()
        k.shutdown()


def test_sigterm_exits_promptly():
    import signal
    k = mesh.launch(CONFORMANCE_KERNEL)
    c = k.client()
    try:
        c.submit("sleep", [30.0])
        time.sleep(0.1)
        t0 = time.monotonic()
        os.kill(k.pid, signal.SIGTERM)
        assert k.wait(3) is not None
        assert time.monotonic() - t0 < 1.5
    finally:
        c.close()
        k.shutdown()


def test_launcher_connection_files(conformance_kernel):
    import stat
    for path in (conformance_kernel.connection_file, conformance_kernel.client_connection_file):
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    with mesh.Client.from_connection_file(conformance_kernel.client_connection_file) as c:
        assert c.call("add", 2, 3) == 5.0
        assert c.health()["kernel_id"] == "py-conformance"


def test_ipc_is_the_default_transport_and_tcp_still_works():
    with mesh.launch(CONFORMANCE_KERNEL) as k, k.client() as c:
        assert k.info.submit.startswith("ipc://" + k.workdir + "/")
        assert c.call("concat", "i", "pc") == "ipc"
    with mesh.launch(CONFORMANCE_KERNEL, transport_name="tcp") as k, k.client() as c:
        assert k.info.submit.startswith("tcp://127.0.0.1:")
        assert c.call("concat", "t", "cp") == "tcp"


def test_a_work_folder_too_long_for_socket_names_gets_a_short_ipc_folder(tmp_path):
    workdir = tmp_path / ("w" * 100)
    workdir.mkdir()
    k = mesh.launch(CONFORMANCE_KERNEL, workdir=str(workdir), kernel_id="k" * 80)
    try:
        ipc_dir = k.info.ipc_dir
        assert ipc_dir != str(workdir) and len(ipc_dir) <= 40
        assert k.info.health.startswith("ipc://" + ipc_dir + "/")
        with k.client() as c:
            assert c.call("add", 2, 3) == 5.0
    finally:
        k.shutdown(grace=0.5, timeout=3.0)
    assert not os.path.exists(ipc_dir)
    assert workdir.exists()  # the caller's folder is the caller's


def test_an_unknown_transport_is_refused_by_name():
    with pytest.raises(ValueError, match="unknown transport 'udp'"):
        mesh.launch(CONFORMANCE_KERNEL, transport_name="udp")


# ------------------------------------------------------------------ call-style submit (6.2)


class _RawPeer:
    """Raw DEALER sockets on a kernel's submit and get ports (envelopes, no client logic)."""

    def __init__(self, kernel):
        from mesh import transport
        from mesh.envelope import Envelope
        import zmq
        self._transport = transport
        self.env = Envelope(kernel.info.key)
        ctx = zmq.Context.instance()
        self.submit = transport.make_socket(ctx, zmq.DEALER)
        self.get = transport.make_socket(ctx, zmq.DEALER)
        self.submit.connect(kernel.info.submit)
        self.get.connect(kernel.info.get)

    def send(self, sock, msg_type, content):
        """Sends a request; returns its message id."""
        msg_id, frames = self.env.pack(msg_type, content)
        self._transport.send(sock, frames)
        return msg_id

    def send_submit(self, task_id, endpoint, args, **extra):
        content = {"task_id": task_id, "endpoint": endpoint, "args": args, "kwargs": {},
                   "priority": 5, "timeout": None, "retries": 0, "metadata": {}}
        content.update(extra)
        return self.send(self.submit, "submit_request", content)

    def recv(self, sock, timeout=5.0):
        assert sock.poll(int(timeout * 1000)), "no message within %g s" % timeout
        return self.env.unpack(self._transport.recv(sock)[1])

    def quiet(self, sock, ms=200):
        """True when nothing arrives on ``sock`` within ``ms``."""
        return not sock.poll(ms)

    def close(self):
        self.submit.close(0)
        self.get.close(0)


@pytest.fixture
def raw(conformance_kernel):
    peer = _RawPeer(conformance_kernel)
    yield peer
    peer.close()


def _tid(prefix):
    return "%s-%s" % (prefix, os.urandom(6).hex())


def test_call_is_answered_once_by_a_get_reply_on_the_submit_port(raw):
    tid = _tid("call")
    sid = raw.send_submit(tid, "add", [1, 2], call=True)
    msg = raw.recv(raw.submit)
    assert msg.type == "get_reply" and msg.parent_id == sid
    c = msg.content
    assert c["task_id"] == tid and c["done"] is True and c["result"] == 3.0
    assert "error" not in c
    assert c["task"]["task_id"] == tid and c["task"]["state"] == "COMPLETED"
    assert c["task"]["ended_at"] is not None
    # no submit_reply (nor anything else) follows, on either port
    assert raw.quiet(raw.submit) and raw.quiet(raw.get, 0)


def test_call_to_an_unknown_endpoint_is_rejected_with_a_submit_reply(raw):
    tid = _tid("call-unknown")
    sid = raw.send_submit(tid, "no_such_endpoint", [], call=True)
    msg = raw.recv(raw.submit)
    assert msg.type == "submit_reply" and msg.parent_id == sid
    c = msg.content
    assert c["task_id"] == tid and c["accepted"] is False and c["state"] is None
    assert c["error"]["code"] == errors.UNKNOWN_ENDPOINT
    assert raw.quiet(raw.submit)
    # the rejection is remembered: a get is answered with it at once
    raw.send(raw.get, "get_request", {"task_id": tid, "timeout": 10.0, "keep": False})
    c = raw.recv(raw.get, 1.0).content
    assert c["done"] is True and c["task"] is None
    assert c["error"]["code"] == errors.UNKNOWN_ENDPOINT


def test_call_with_bad_arguments_is_rejected_with_a_submit_reply(raw):
    sid = raw.send_submit(_tid("call-bad"), "add", [1], call=True)
    msg = raw.recv(raw.submit)
    assert msg.type == "submit_reply" and msg.parent_id == sid
    assert msg.content["accepted"] is False
    assert msg.content["error"]["code"] == errors.BAD_ARGUMENTS
    assert raw.quiet(raw.submit)


def test_call_of_a_failing_handler_gets_the_error(raw):
    tid = _tid("call-fail")
    sid = raw.send_submit(tid, "fail", ["boom 42"], call=True)
    msg = raw.recv(raw.submit)
    assert msg.type == "get_reply" and msg.parent_id == sid
    c = msg.content
    assert c["done"] is True and c["task"]["state"] == "ERROR" and "result" not in c
    assert c["error"]["code"] == errors.APPLICATION_ERROR and "boom 42" in c["error"]["message"]
    assert raw.quiet(raw.submit)


def test_after_the_call_answer_the_task_is_forgotten(raw):
    tid = _tid("call-forgotten")
    raw.send_submit(tid, "add", [2, 3], call=True)
    assert raw.recv(raw.submit).content["result"] == 5.0
    t0 = time.monotonic()
    raw.send(raw.get, "get_request", {"task_id": tid, "timeout": 10.0, "keep": False})
    c = raw.recv(raw.get, 2.0).content
    assert time.monotonic() - t0 < 1.0   # answered at once, not after the timeout
    assert c["task_id"] == tid and c["done"] is True and c["task"] is None
    assert c["error"]["code"] == errors.UNKNOWN_TASK
    raw.send(raw.submit, "status_request", {"task_ids": [tid]})
    assert raw.recv(raw.submit).content["tasks"] == [None]


def test_call_outlives_expiring_gets_and_shares_the_end_with_them(raw):
    tid = _tid("call-gets")
    sid = raw.send_submit(tid, "sleep", [0.6], call=True)
    # a short get expires with done: false; the call is not touched by that sweep
    short = raw.send(raw.get, "get_request", {"task_id": tid, "timeout": 0.1, "keep": False})
    msg = raw.recv(raw.get)
    assert msg.parent_id == short and msg.content["done"] is False
    assert msg.content["task"]["state"] in ("QUEUED", "STARTED")
    assert raw.quiet(raw.submit)
    # a long get waits with the call; both are answered when the task ends
    long_ = raw.send(raw.get, "get_request", {"task_id": tid, "timeout": 10.0, "keep": False})
    got = raw.recv(raw.get)
    assert got.parent_id == long_ and got.content["done"] is True and got.content["result"] == 0.6
    call = raw.recv(raw.submit)
    assert call.type == "get_reply" and call.parent_id == sid
    assert call.content["result"] == 0.6 and call.content["task"]["state"] == "COMPLETED"
    assert raw.quiet(raw.submit) and raw.quiet(raw.get, 0)


def test_a_call_answered_beside_a_keep_get_still_forgets_the_task(raw):
    # protocol 6.3, as in the .NET and C kernels: any final get_reply without keep forgets the task
    tid = _tid("call-keep")
    sid = raw.send_submit(tid, "sleep", [0.3], call=True)
    kept = raw.send(raw.get, "get_request", {"task_id": tid, "timeout": 10.0, "keep": True})
    got = raw.recv(raw.get)
    assert got.parent_id == kept and got.content["done"] is True
    call = raw.recv(raw.submit)
    assert call.type == "get_reply" and call.parent_id == sid and call.content["done"] is True
    raw.send(raw.get, "get_request", {"task_id": tid, "timeout": 10.0, "keep": False})
    late = raw.recv(raw.get).content
    assert late["done"] is True and late["task"] is None
    assert late["error"]["code"] == errors.UNKNOWN_TASK


def test_plain_submit_without_call_is_unchanged(raw):
    for extra in ({}, {"call": False}):
        tid = _tid("plain")
        sid = raw.send_submit(tid, "add", [4, 5], **extra)
        msg = raw.recv(raw.submit)
        assert msg.type == "submit_reply" and msg.parent_id == sid
        assert msg.content == {"task_id": tid, "accepted": True, "state": "QUEUED"}
        raw.send(raw.get, "get_request", {"task_id": tid, "timeout": 10.0, "keep": False})
        c = raw.recv(raw.get).content
        assert c["done"] is True and c["result"] == 9.0
        assert raw.quiet(raw.submit, 100)


def _wait_started(raw, running, queued):
    """Waits until ``running`` runs on a one-worker kernel (``queued`` then stays queued)."""
    deadline = time.monotonic() + 5
    while True:
        raw.send(raw.submit, "status_request", {"task_ids": [running, queued]})
        msg = raw.recv(raw.submit)
        assert msg.type == "status_reply"
        states = [t["state"] for t in msg.content["tasks"]]
        if states[0] == "STARTED":
            assert states[1] == "QUEUED"
            return
        assert time.monotonic() < deadline
        time.sleep(0.01)


def test_call_cancelled_while_running_or_queued():
    with mesh.launch(CONFORMANCE_KERNEL, env={"MESH_MAX_CONCURRENCY": "1"}) as k:
        raw = _RawPeer(k)
        try:
            running, queued = _tid("call-running"), _tid("call-queued")
            sid_running = raw.send_submit(running, "sleep", [30.0], call=True)
            sid_queued = raw.send_submit(queued, "sleep", [30.0], call=True)
            _wait_started(raw, running, queued)

            def cancel(tid):
                cid = raw.send(raw.submit, "cancel_request", {"task_id": tid})
                got = {}
                while len(got) < 2:  # the cancel_reply and the call's answer, in either order
                    m = raw.recv(raw.submit)
                    got[m.type] = m
                assert got["cancel_reply"].parent_id == cid
                assert got["cancel_reply"].content["cancelled"] is True
                return got["get_reply"]

            answer = cancel(queued)
            assert answer.parent_id == sid_queued
            c = answer.content
            assert c["task_id"] == queued and c["done"] is True
            assert c["task"]["state"] == "CANCELLED" and c["error"]["code"] == errors.TASK_CANCELLED
            t0 = time.monotonic()
            answer = cancel(running)
            assert time.monotonic() - t0 < 2
            assert answer.parent_id == sid_running
            c = answer.content
            assert c["task"]["state"] == "CANCELLED" and c["error"]["code"] == errors.TASK_CANCELLED
            assert raw.quiet(raw.submit)
        finally:
            raw.close()


def test_calls_are_answered_when_the_kernel_shuts_down():
    k = mesh.launch(CONFORMANCE_KERNEL, env={"MESH_MAX_CONCURRENCY": "1"})
    raw = _RawPeer(k)
    try:
        running, queued = _tid("call-drains"), _tid("call-dropped")
        sid_running = raw.send_submit(running, "sleep", [0.5], call=True)
        sid_queued = raw.send_submit(queued, "sleep", [30.0], call=True)
        _wait_started(raw, running, queued)
        raw.send(raw.submit, "shutdown_request", {"grace": 5.0})
        got = {}
        while len(got) < 3:
            m = raw.recv(raw.submit)
            got[m.parent_id] = m
        assert sum(m.type == "shutdown_reply" for m in got.values()) == 1
        c = got[sid_queued].content
        assert got[sid_queued].type == "get_reply" and c["task"]["state"] == "CANCELLED"
        assert c["error"]["code"] == errors.TASK_CANCELLED
        c = got[sid_running].content
        assert got[sid_running].type == "get_reply" and c["task"]["state"] == "COMPLETED"
        assert c["result"] == 0.5
        assert k.wait(5) == 0
    finally:
        raw.close()
        k.shutdown()
