"""A caller leading its own call (``Client(inline_wait=...)``): with nothing else in flight,
``call()`` sends and polls for the answer on the caller's thread, then hands the sockets back to
the I/O thread if the answer is late. Whatever else arrives meanwhile is dispatched as the I/O
thread would: other threads' replies, progress, health replies."""

import os
import signal
import threading
import time

import pytest

import mesh
from conftest import CONFORMANCE_KERNEL
from mesh import client as client_module
from test_client_calls import _BaseProtocolKernel


@pytest.fixture
def senders(monkeypatch):
    """Records which thread sent each submit_request and get_request."""
    seen = []
    send = client_module.transport.send

    def spy(sock, frames, *a, **kw):
        seen.append(threading.get_ident())
        return send(sock, frames, *a, **kw)

    monkeypatch.setattr(client_module.transport, "send", spy)
    return seen


def test_a_lone_call_is_sent_by_the_caller_and_answered_on_its_thread(conformance_kernel,
                                                                     senders):
    with conformance_kernel.client(heartbeat_ms=60_000) as c:
        assert c.call("add", 1, 2) == 3.0  # the first heartbeat is over
        del senders[:]
        for i in range(50):
            assert c.call("echo_inline", i) == i
        led = senders.count(threading.get_ident())
        assert led >= 45, "only %d of 50 calls led" % led
        assert c.pending() == 0


def test_with_inline_wait_0_every_call_goes_through_the_io_thread(conformance_kernel, senders):
    with conformance_kernel.client(inline_wait=0) as c:
        for i in range(20):
            assert c.call("echo_inline", i) == i
        assert threading.get_ident() not in senders and c.pending() == 0


@pytest.mark.parametrize("inline_wait", [0, 0.002, 0.5])
def test_concurrent_callers_and_pipelined_tasks_stay_correct(conformance_kernel, inline_wait):
    errors = []

    def caller(c, n):
        try:
            for i in range(150):
                if i % 25 == 0:  # a burst of pipelined tasks among the calls
                    handles = [c.submit("add", [n, j]) for j in range(20)]
                    got = [h.get(30) for h in handles]
                    assert got == [float(n + j) for j in range(20)]
                assert c.call("add", n, b=i) == float(n + i)
                assert c.call("echo_inline", [n, i]) == [n, i]
        except BaseException as e:  # noqa: B902 - reported below
            errors.append(e)

    with conformance_kernel.client(inline_wait=inline_wait) as c:
        threads = [threading.Thread(target=caller, args=(c, n)) for n in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(120)
        assert not errors, errors
        assert c.pending() == 0
        assert c.call("add", 2, 3) == 5.0


def test_a_call_longer_than_the_inline_wait_is_handed_to_the_io_thread(conformance_kernel):
    with conformance_kernel.client(inline_wait=0.002, inline_spin=0.001) as c:
        t0 = time.monotonic()
        assert c.call("sleep", 0.2) == 0.2
        assert 0.2 <= time.monotonic() - t0 < 2
        assert c.pending() == 0
        assert [c.call("add", i, 1) for i in range(10)] == [i + 1.0 for i in range(10)]
        # the answer arriving while the caller waits in poll, after its spin
        assert c.call("sleep", 0.001) == 0.001


def _call_in_thread(c, endpoint, *args):
    """Starts ``c.call(endpoint, *args)`` on a new thread; returns the thread and the list that
    receives the exception the call raises (if any)."""
    failure = []

    def call():
        try:
            c.call(endpoint, *args)
        except BaseException as e:  # noqa: B902 - checked by the caller
            failure.append(e)

    t = threading.Thread(target=call)
    t.start()
    return t, failure


def _leads(c, thread, timeout=5.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if c._owner == thread.ident:
            return True
        time.sleep(0.005)
    return False


def test_progress_and_other_replies_are_dispatched_by_a_leading_caller(conformance_kernel):
    with conformance_kernel.client(inline_wait=10.0) as c:
        assert c.call("add", 1, 2) == 3.0  # the first heartbeat is over
        result = []
        t = threading.Thread(target=lambda: result.append(c.call("sleep", 1.0)))
        t.start()
        try:
            assert _leads(c, t), "the caller did not lead"
            seen = []
            h = c.submit("progress", [5], on_progress=lambda v, m: seen.append((v, m)))
            assert h.get(5) == 5
            assert [v for v, _ in seen] == [1, 2, 3, 4, 5] and seen[0][1] == "step 1 of 5"
            assert c.status([h.task_id])[0] is None  # other request kinds too
            assert c.health()["status"] == "ok"
            assert c._owner == t.ident  # all of it read by the leading caller
        finally:
            t.join(10)
        assert result == [1.0] and c.pending() == 0


def test_heartbeats_detect_a_dead_kernel_while_a_caller_leads():
    k = mesh.launch(CONFORMANCE_KERNEL)
    # not the manager's client: only missed health replies can tell it the kernel died
    c = mesh.Client.from_connection_file(k.client_connection_file, heartbeat_ms=200,
                                         inline_wait=30.0)
    try:
        assert c.call("add", 1, 2) == 3
        t, failure = _call_in_thread(c, "sleep", 20.0)
        assert _leads(c, t)
        time.sleep(0.3)  # a few heartbeats answered while it leads
        assert c.lost is None
        t0 = time.monotonic()
        os.killpg(k.pid, signal.SIGKILL)
        t.join(10)
        assert not t.is_alive()
        assert time.monotonic() - t0 < 1.5
        assert len(failure) == 1 and isinstance(failure[0], mesh.KernelLostError)
        assert "health" in str(failure[0])
        with pytest.raises(mesh.KernelLostError):
            c.call("add", 1, 2)
    finally:
        c.close()
        k.shutdown()


def test_close_while_a_caller_leads_fails_its_call(conformance_kernel):
    c = conformance_kernel.client(inline_wait=30.0)
    assert c.call("add", 1, 2) == 3.0
    t, failure = _call_in_thread(c, "sleep", 3.0)
    assert _leads(c, t)
    t0 = time.monotonic()
    c.close()
    t.join(5)
    assert time.monotonic() - t0 < 2 and not t.is_alive()
    assert len(failure) == 1 and isinstance(failure[0], mesh.MeshError)


@pytest.mark.parametrize("inline_wait", [0, 0.002])
def test_a_kernel_that_ignores_calls_with_concurrent_leading_callers(inline_wait):
    k = _BaseProtocolKernel(key=os.urandom(8).hex())
    try:
        with k.client(inline_wait=inline_wait) as c:
            errors = []

            def caller(n):
                try:
                    for i in range(40):
                        assert c.call("add", n, i) == n + i
                except BaseException as e:  # noqa: B902 - reported below
                    errors.append(e)

            threads = [threading.Thread(target=caller, args=(n,)) for n in range(3)]
            for t in threads:
                t.start()
            for t in threads:
                t.join(60)
            assert not errors, errors
            assert c.kernel_answers_calls is False and c.pending() == 0
            assert c.call("slow", "late") == "late"
            seen = []
            h = c.submit("progress", [3], on_progress=lambda v, m: seen.append(v))
            assert h.get(10) == 3
            time.sleep(0.05)
            assert seen == [1, 2, 3]
    finally:
        k.close()
