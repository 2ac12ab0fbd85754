"""A hand-written minimal RPC over pyzmq + msgpack: what a Python programmer would write in an
afternoon instead of using Mesh.

Server: a REP socket in a child process; a request is msgpack ``[method, args]``, the reply is
msgpack of the result. Client: a REQ socket in this process. Arrays travel as msgpack ``bin``
(their raw float64 bytes) and are rebuilt with ``np.frombuffer`` on each side, which is the
least a real RPC must do to give the caller an array back. No signing, no task records, no
worker threads: this is the cost of the bare pattern.

    /usr/bin/python3 bench/peers/pyzmq_msgpack.py [--sizes 1:5000,...]
"""

import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import benchlib  # noqa: E402

zmq = benchlib.require("zmq", "python3-zmq")
msgpack = benchlib.require("msgpack", "python3-msgpack")
np = benchlib.require("numpy", "python3-numpy")


def to_wire(value):
    # An array becomes [length, raw bytes]; the memoryview is packed without an extra copy.
    if isinstance(value, np.ndarray):
        return [value.shape[0], memoryview(value).cast("B")]
    return value


def from_wire(value):
    if isinstance(value, list) and len(value) == 2 and isinstance(value[1], bytes):
        return np.frombuffer(value[1], dtype=np.float64)
    return value


def serve(endpoint):
    methods = {"echo": lambda v: v}
    sock = zmq.Context().socket(zmq.REP)
    sock.connect(endpoint)
    while True:
        method, args = msgpack.unpackb(sock.recv(copy=False).buffer)
        if method == "stop":
            sock.send(b"")
            return
        result = methods[method](*[from_wire(x) for x in args])
        data = msgpack.packb(to_wire(result))
        sock.send(data, copy=len(data) < 1024)


def main():
    if len(sys.argv) == 3 and sys.argv[1] == "--server":
        serve(sys.argv[2])
        return
    a = benchlib.parse_args(__doc__)
    sock = zmq.Context().socket(zmq.REQ)
    sock.setsockopt(zmq.LINGER, 0)
    sock.bind("tcp://127.0.0.1:*")
    endpoint = sock.getsockopt_string(zmq.LAST_ENDPOINT)
    server = subprocess.Popen([sys.executable, os.path.abspath(__file__), "--server", endpoint])
    try:
        for size, n in a.sizes:
            value = benchlib.payload(size)

            def call():
                # Encoded and decoded on every call, as a real client would.
                data = msgpack.packb(["echo", [to_wire(value)]])
                sock.send(data, copy=len(data) < 1024)
                back = from_wire(msgpack.unpackb(sock.recv(copy=False).buffer))
                benchlib.check_echo(value, back)

            benchlib.report("pyzmq+msgpack echo", size, n, *benchlib.time_calls(call, n, server_pid=server.pid))
        sock.send(msgpack.packb(["stop", []]))
        sock.recv()
    finally:
        server.wait(10)


if __name__ == "__main__":
    main()
