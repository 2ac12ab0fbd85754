"""RPyC round trips on this machine, for comparison with Mesh proxy calls.

Starts an RPyC ThreadedServer in a child process and times, from this process:
  * a service method call      conn.root.add(1.0, 2.0)
  * a netref method call       counter.add(1)   (counter is a remote object held by reference)
Prints p50/p99 in microseconds. Needs Debian's python3-rpyc.
"""
import multiprocessing
import statistics
import sys
import time

import rpyc
from rpyc.utils.server import ThreadedServer


class Counter:
    def __init__(self):
        self.value = 0

    def add(self, n):
        self.value += n
        return self.value


class BenchService(rpyc.Service):
    def exposed_add(self, a, b):
        return a + b

    def exposed_counter(self):
        return Counter()


def serve(port_queue):
    server = ThreadedServer(BenchService, hostname="127.0.0.1", port=0,
                            protocol_config={"allow_public_attrs": True})
    port_queue.put(server.port)
    server.start()


def stats(samples):
    samples.sort()
    return samples[len(samples) // 2], samples[min(len(samples) - 1, int(len(samples) * 0.99))]


def main(n):
    q = multiprocessing.Queue()
    p = multiprocessing.Process(target=serve, args=(q,), daemon=True)
    p.start()
    conn = rpyc.connect("127.0.0.1", q.get(), config={"allow_public_attrs": True})
    counter = conn.root.counter()
    plain, netref = [], []
    for i in range(-n // 10, n):
        t0 = time.perf_counter()
        conn.root.add(1.0, 2.0)
        t1 = time.perf_counter()
        counter.add(1)
        t2 = time.perf_counter()
        if i >= 0:
            plain.append((t1 - t0) * 1e6)
            netref.append((t2 - t1) * 1e6)
    a, b = stats(plain)
    c, d = stats(netref)
    print(f"rpyc {rpyc.__version__}: service call p50 {a:.1f} us p99 {b:.1f} us; netref method call p50 {c:.1f} us p99 {d:.1f} us")
    conn.close()
    p.terminate()


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 5000)
