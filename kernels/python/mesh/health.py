"""The health port, served on its own thread with its own socket (docs/protocol.md 1, 6.7).

It never waits behind work: the thread only reads counters the kernel keeps up to date.
"""

import sys
import threading

import zmq

from . import transport
from .envelope import EnvelopeError
from .errors import UNKNOWN_MESSAGE_TYPE, code_name, error_map


def reject(env, sock, ids, err):
    """Answers a message that broke section 2.3 with ``error_reply`` when its id is known."""
    if err.msg_id is not None and ids:
        try:
            _, frames = env.pack("error_reply", {"error": error_map(
                code_name(err.code), str(err), err.code)}, parent_id=err.msg_id)
            transport.send(sock, frames, ids)
        except zmq.ZMQError:
            pass


class HealthServer:
    """Answers ``health_request`` on ``sock`` with the content ``stats()`` returns.

    ``on_session(session)`` is called for every authenticated message (it renews the sender's
    proxy lease, protocol section 9.4); it must be quick and never block.
    """

    def __init__(self, sock, env, stats, on_session=None):
        self.sock = sock
        self.env = env
        self.stats = stats
        self.on_session = on_session
        self.rejected = 0
        self._stop = False
        self._thread = threading.Thread(target=self._run, name="mesh-health", daemon=True)

    def start(self):
        self._thread.start()

    def stop(self, timeout=2.0):
        self._stop = True
        if self._thread.is_alive() and self._thread is not threading.current_thread():
            self._thread.join(timeout)

    def _run(self):
        sock = self.sock
        poller = zmq.Poller()
        poller.register(sock, zmq.POLLIN)
        try:
            while not self._stop:
                if not poller.poll(50):
                    continue
                for _ in range(1000):
                    try:
                        ids, frames = transport.recv(sock, zmq.NOBLOCK, routed=True)
                    except zmq.Again:
                        break
                    self._handle(ids, frames)
        except zmq.ZMQError as e:
            if not self._stop:
                print("mesh: health thread stopped: %s" % e, file=sys.__stderr__)
        finally:
            sock.close(0)

    def _handle(self, ids, frames):
        env = self.env
        try:
            msg = env.unpack(frames)
        except EnvelopeError as e:
            self.rejected += 1
            reject(env, self.sock, ids, e)
            return
        if not ids:
            self.rejected += 1
            return
        if self.on_session is not None and type(msg.session) is str:
            self.on_session(msg.session)
        if msg.type == "health_request":
            _, out = env.pack("health_reply", self.stats(), parent_id=msg.id)
        else:
            self.rejected += 1
            _, out = env.pack("error_reply", {"error": error_map(
                "UNKNOWN_MESSAGE_TYPE", "unknown message type %r on the health port" % msg.type,
                UNKNOWN_MESSAGE_TYPE)}, parent_id=msg.id)
        transport.send(self.sock, out, ids)
