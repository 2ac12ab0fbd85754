"""What every Python bench script shares: arguments, the timing loop, results on stdout.

The .NET harness (bench/Mesh.Benchmarks) runs each script as a child process and passes the
iteration counts, so that every case in a run uses the same counts from one place:

    --sizes 1:5000,1024:5000,...   payload size in bytes : timed iterations, for echo cases
    --calls N                      timed iterations for cases without a payload
    --starts N                     kernel starts, for start-to-ready cases
    --warmup N                     untimed calls before the timed ones (smoke runs: 0)

Each result is one line on stdout, which the harness parses:

    RESULT {"case": ..., "payload": bytes or 0, "iterations": n, "p50_us": .., "p99_us": ..,
            "calls_per_s": ..}

Anything else a script prints goes to stderr. A missing peer package makes the script exit
with code 3 and a message naming the Debian package (the harness reports it as a failure:
nothing is skipped silently).
"""

import argparse
import json
import os
import sys
import time

MISSING_PACKAGE_EXIT = 3


def require(module, package):
    """Imports ``module`` or exits naming the Debian ``package`` that provides it."""
    try:
        return __import__(module, fromlist=["_"])
    except ImportError as e:
        print("missing Debian package %s (import %s failed: %s); scripts/install-deps.sh (make test) "
              "and scripts/bench.sh (make bench) install it, "
              "or: apt-get install -y %s" % (package, module, e, package), file=sys.stderr)
        sys.exit(MISSING_PACKAGE_EXIT)


def parse_args(description, extra=None):
    p = argparse.ArgumentParser(description=description)
    p.add_argument("--sizes", default="1:5000,1024:5000,65536:1000,1048576:200,16777216:20",
                   help="SIZE:ITERATIONS,... for payload cases")
    p.add_argument("--calls", type=int, default=5000, help="iterations for small calls")
    p.add_argument("--starts", type=int, default=5, help="kernel starts to time")
    p.add_argument("--warmup", type=int, default=None,
                   help="untimed calls before the timed ones (default: iterations/10 + 5)")
    if extra:
        extra(p)
    a = p.parse_args()
    a.sizes = [tuple(int(x) for x in item.split(":")) for item in a.sizes.split(",") if item]
    global _warmup
    _warmup = a.warmup
    return a


_warmup = None


def warmup_count(n):
    """Untimed calls before the timed ones: the same rule as the .NET harness and the C floor,
    unless --warmup says otherwise (the smoke run uses 0)."""
    return n // 10 + 5 if _warmup is None else _warmup


def stats(samples):
    """(p50, p99) of a list of microsecond samples, with the harness's index rule."""
    s = sorted(samples)
    return s[len(s) // 2], s[min(len(s) - 1, int(len(s) * 0.99))]


def context_switches(pid):
    """Context switches (voluntary and involuntary) of every live thread of ``pid`` so far."""
    total = 0
    base = "/proc/%d/task" % pid
    try:
        tasks = os.listdir(base)
    except OSError:
        return 0
    for t in tasks:
        try:
            with open("%s/%s/status" % (base, t)) as f:
                for line in f:
                    if line.startswith(("voluntary_ctxt_switches:", "nonvoluntary_ctxt_switches:")):
                        total += int(line.split(":", 1)[1])
        except OSError:
            pass  # the thread ended while being read
    return total


def time_calls(fn, n, warmup=None, server_pid=None):
    """Runs ``fn()`` warm-up times untimed, then ``n`` times timed.

    Returns (p50 us, p99 us, calls per second over the timed loop), and with ``server_pid``
    a fourth item: a note with the context switches per call of this process and the server's.
    """
    for _ in range(warmup_count(n) if warmup is None else warmup):
        fn()
    samples = [0.0] * n
    clock = time.perf_counter
    if server_pid is not None:
        mine, theirs = context_switches(os.getpid()), context_switches(server_pid)
    start = clock()
    for i in range(n):
        t0 = clock()
        fn()
        samples[i] = (clock() - t0) * 1e6
    total = clock() - start
    p50, p99 = stats(samples)
    if server_pid is None:
        return p50, p99, n / total
    mine, theirs = context_switches(os.getpid()) - mine, context_switches(server_pid) - theirs
    return p50, p99, n / total, "context switches per call: client %.1f, server %.1f" % (mine / n, theirs / n)


def report(case, payload, iterations, p50, p99, calls_per_s, note=None, **extra):
    row = {"case": case, "payload": payload, "iterations": iterations, "p50_us": round(p50, 3),
           "p99_us": round(p99, 3), "calls_per_s": round(calls_per_s, 1)}
    if note:
        row["note"] = note
    row.update(extra)
    print("RESULT " + json.dumps(row), flush=True)


def log(*args):
    print(*args, file=sys.stderr, flush=True)


def payload(size):
    """The value echoed for a payload size: 1 B as bytes, larger sizes as a float64 array
    (the same values the .NET harness sends)."""
    import numpy as np
    if size < 8:
        return bytes(size)
    return np.arange(size // 8, dtype=np.float64)


def nbytes(value):
    """Bytes in an echoed value, to check that the whole payload came back."""
    return value.nbytes if hasattr(value, "nbytes") else len(value)


def check_echo(sent, back):
    if nbytes(back) != nbytes(sent):
        raise RuntimeError("echo of %d bytes came back as %d" % (nbytes(sent), nbytes(back)))
