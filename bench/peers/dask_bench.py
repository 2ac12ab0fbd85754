"""Dask distributed round trips, for comparison with Mesh calls and proxy calls.

Starts a small LocalCluster (one worker process with one thread, scheduler in this process,
as LocalCluster does; loopback TCP, no dashboard) and times, from a Client in this process:
  * ``client.submit(echo, value, pure=False).result()`` for each --sizes entry (the value
    travels to the worker in the task and back as the result; float64 arrays above 1 B)
  * an actor method call ``counter.add(1).result()`` on ``client.submit(Counter,
    actor=True)``, --calls times (a stateful remote object, like a Mesh proxy; actor calls go
    straight to the worker, not through the scheduler)
Prints RESULT lines (see benchlib.py). Needs Debian's python3-distributed.

    /usr/bin/python3 bench/peers/dask_bench.py [--sizes 1:500,...] [--calls 500]
"""

import logging
import os
import sys
import warnings

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import benchlib  # noqa: E402

distributed = benchlib.require("distributed", "python3-distributed")
np = benchlib.require("numpy", "python3-numpy")


def echo(value):
    return value


class Counter:
    def __init__(self):
        self.value = 0

    def add(self, n):
        self.value += n
        return self.value


def main():
    a = benchlib.parse_args(__doc__)
    # Dask warns about every large argument in a task graph; the warning is the point of the
    # 16 MiB case (that is how a caller passes data), so it is silenced, not avoided.
    warnings.simplefilter("ignore")
    logging.getLogger("distributed").setLevel(logging.ERROR)
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=True,
                                  host="127.0.0.1", dashboard_address=None,
                                  silence_logs=logging.ERROR) as cluster, \
            distributed.Client(cluster) as client:
        for size, n in a.sizes:
            value = benchlib.payload(size)

            def call():
                back = client.submit(echo, value, pure=False).result()
                benchlib.check_echo(value, back)

            benchlib.report("Dask submit().result()", size, n, *benchlib.time_calls(call, n),
                            version=distributed.__version__)

        counter = client.submit(Counter, actor=True).result()
        benchlib.report("Dask actor call", 0, a.calls,
                        *benchlib.time_calls(lambda: counter.add(1).result(), a.calls))


if __name__ == "__main__":
    main()
