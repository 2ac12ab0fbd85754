"""RPyC round trips on this machine, for comparison with Mesh calls and proxy calls.

Starts an RPyC ThreadedServer in a child process and times, from this process:
  * a service call with a payload   echo(data)   for each --sizes entry (echo = conn.root.echo)
    (arrays travel as their raw bytes: RPyC passes bytes by value, but would pass a numpy
    array by reference, one remote call per element access)
  * a netref method call            add(1)       --calls times (add = counter.add)
    (counter is a remote object held by reference, like a Mesh proxy)
Prints RESULT lines (see benchlib.py). Needs Debian's python3-rpyc.

    /usr/bin/python3 bench/peers/rpyc_bench.py [--sizes 1:5000,...] [--calls 5000]
"""

import multiprocessing
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import benchlib  # noqa: E402

rpyc = benchlib.require("rpyc", "python3-rpyc")
np = benchlib.require("numpy", "python3-numpy")
from rpyc.utils.server import ThreadedServer  # noqa: E402


class Counter:
    def __init__(self):
        self.value = 0

    def add(self, n):
        self.value += n
        return self.value


class BenchService(rpyc.Service):
    def exposed_echo(self, value):
        return value

    def exposed_counter(self):
        return Counter()


def serve(port_queue):
    server = ThreadedServer(BenchService, hostname="127.0.0.1", port=0,
                            protocol_config={"allow_public_attrs": True})
    port_queue.put(server.port)
    server.start()


def main():
    a = benchlib.parse_args(__doc__)
    q = multiprocessing.Queue()
    p = multiprocessing.Process(target=serve, args=(q,), daemon=True)
    p.start()
    port = q.get()
    # The server binds in its constructor but listens only once start() runs, after it has
    # reported the port: retry refused connections for a while.
    deadline = time.monotonic() + 20
    while True:
        try:
            conn = rpyc.connect("127.0.0.1", port, config={"allow_public_attrs": True})
            break
        except ConnectionRefusedError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.02)
    try:
        # Attribute access on a netref is itself a round trip; look the methods up once, which
        # is RPyC's fastest way to call (one request per call, like a Mesh call).
        echo = conn.root.echo
        for size, n in a.sizes:
            value = benchlib.payload(size)
            data = value.tobytes() if isinstance(value, np.ndarray) else value

            def call():
                back = echo(data)
                # The caller wants its array back, not bytes.
                if size >= 8:
                    back = np.frombuffer(back, dtype=np.float64)
                benchlib.check_echo(value, back)

            benchlib.report("RPyC call", size, n, *benchlib.time_calls(call, n, server_pid=p.pid))

        counter = conn.root.counter()
        add = counter.add
        benchlib.report("RPyC netref call", 0, a.calls, *benchlib.time_calls(lambda: add(1), a.calls, server_pid=p.pid),
                        version=rpyc.__version__)
    finally:
        conn.close()
        p.terminate()


if __name__ == "__main__":
    main()
