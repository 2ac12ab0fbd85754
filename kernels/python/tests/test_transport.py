"""transport.SocketPoller: one poll(2) over ZMQ_FD with pending flags, on real sockets."""

import os
import time

import pytest
import zmq

from mesh import transport


@pytest.fixture
def sockets():
    """A bound ROUTER and a DEALER connected to it, on their own context."""
    ctx = zmq.Context()
    router = transport.make_socket(ctx, zmq.ROUTER)
    dealer = transport.make_socket(ctx, zmq.DEALER)
    dealer.connect(transport.bind(router))
    yield router, dealer
    ctx.destroy(0)


def drain(sock):
    got = []
    while True:
        try:
            got.append(sock.recv_multipart(zmq.NOBLOCK))
        except zmq.Again:
            return got


def settle(poller, sock):
    """Reads whatever is there until the socket's descriptor stays quiet (it also fires for
    libzmq's own commands, such as a new connection being attached, not only for messages)."""
    for _ in range(50):
        drain(sock)
        poller.drained(sock)
        poller.wait(100)
        if poller.pending == [False] * len(poller.pending):
            return
    raise AssertionError("the socket's descriptor never went quiet")


def test_sockets_start_pending_and_wait_does_not_sleep_then(sockets):
    router, dealer = sockets
    poller = transport.SocketPoller([router])
    assert poller.pending == [True]
    t0 = time.monotonic()
    assert not poller.wait(5000)
    assert time.monotonic() - t0 < 1.0  # a pending socket is looked at, not slept on


def test_a_message_arriving_after_a_drain_wakes_the_sleeper(sockets):
    router, dealer = sockets
    poller = transport.SocketPoller([router])
    settle(poller, router)
    assert not poller.wait(0) and poller.pending == [False]  # nothing there: no flag
    dealer.send(b"ping")
    deadline = time.monotonic() + 5
    while not poller.pending[0] and time.monotonic() < deadline:
        poller.wait(100)
    assert poller.pending == [True]
    assert [m[-1] for m in drain(router)] == [b"ping"]


def test_a_message_left_unread_is_not_lost_after_a_send_on_the_socket(sockets):
    # The case mark() exists for: libzmq processes a socket's commands when it sends, which can
    # consume the ZMQ_FD signal of a message that has arrived; a loop that then slept on the
    # descriptor would never see the message. After mark() the poller looks instead.
    router, dealer = sockets
    poller = transport.SocketPoller([router])
    dealer.send(b"hello")
    ident, _ = router.recv_multipart()  # learn the peer's routing id
    poller.drained(router)
    dealer.send(b"second")
    time.sleep(0.2)  # it has arrived
    router.send_multipart([ident, b"reply"])
    poller.mark(router)
    assert poller.pending == [True]
    t0 = time.monotonic()
    poller.wait(5000)
    assert time.monotonic() - t0 < 1.0  # returns at once: the socket is pending
    assert [m[-1] for m in drain(router)] == [b"second"]


def test_plain_descriptors_are_reported_and_do_not_mark_sockets(sockets):
    router, dealer = sockets
    r, w = os.pipe()
    try:
        poller = transport.SocketPoller([router], [r])
        settle(poller, router)
        os.write(w, b"x")
        assert poller.wait(5000) == [r]
        assert poller.pending == [False]
        assert poller.wait(50) == [r]  # level-triggered until read
        os.read(r, 1)
        assert poller.wait(50) == []
    finally:
        os.close(r)
        os.close(w)
