"""Jupyter kernel round trips and kernel start-to-ready, for comparison with Mesh kernels.

Uses jupyter_client's KernelManager with the stock ``python3`` kernel (ipykernel), over its
default loopback TCP transport, and times from this process:
  * start-to-ready: ``start_kernel()`` until ``wait_for_ready()`` returns (the kernel answered
    ``kernel_info`` on its shell channel), --starts times, each kernel shut down afterwards
  * ``kernel_info`` request -> reply on the shell channel, --calls times
  * a trivial execute (``x = 1``) -> ``execute_reply``, --calls times; the kernel also publishes
    busy/idle status on iopub, which a notebook waits for but this loop does not
Prints RESULT lines (see benchlib.py). Needs Debian's python3-jupyter-client and python3-ipykernel.

    /usr/bin/python3 bench/peers/jupyter_bench.py [--calls 2000] [--starts 5]
"""

import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import benchlib  # noqa: E402

jupyter_client = benchlib.require("jupyter_client", "python3-jupyter-client")
benchlib.require("ipykernel", "python3-ipykernel")
from jupyter_client.manager import KernelManager  # noqa: E402

# ipykernel loads debugpy, which warns about frozen modules on every start; the warning is noise.
os.environ.setdefault("PYDEVD_DISABLE_FILE_VALIDATION", "1")


def start():
    km = KernelManager(kernel_name="python3")
    t0 = time.perf_counter()
    km.start_kernel()
    kc = km.client()
    kc.start_channels()
    kc.wait_for_ready(timeout=60)
    return km, kc, (time.perf_counter() - t0) * 1e6


def stop(km, kc):
    kc.stop_channels()
    km.shutdown_kernel(now=True)


def main():
    a = benchlib.parse_args(__doc__)
    times = []
    for _ in range(a.starts):
        km, kc, us = start()
        times.append(us)
        stop(km, kc)
    # Start times are few: p50 is the median and p99 the slowest start.
    times.sort()
    benchlib.report("Jupyter kernel start-to-ready", 0, a.starts, times[len(times) // 2], times[-1],
                    1e6 / (sum(times) / len(times)))

    km, kc, _ = start()
    try:
        def kernel_info():
            reply = kc.kernel_info(reply=True, timeout=30)
            if reply["content"]["status"] != "ok":
                raise RuntimeError("kernel_info failed: %r" % reply["content"])

        def execute():
            reply = kc.execute("x = 1", reply=True, timeout=30)
            if reply["content"]["status"] != "ok":
                raise RuntimeError("execute failed: %r" % reply["content"])
            # Drain iopub so its messages do not pile up in this process.
            while True:
                try:
                    kc.get_iopub_msg(timeout=0)
                except Exception:
                    break

        benchlib.report("Jupyter kernel_info", 0, a.calls, *benchlib.time_calls(kernel_info, a.calls),
                        version=jupyter_client.__version__)
        benchlib.report("Jupyter execute", 0, a.calls, *benchlib.time_calls(execute, a.calls))
    finally:
        stop(km, kc)


if __name__ == "__main__":
    main()
