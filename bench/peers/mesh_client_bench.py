"""Mesh calls from the Python client (kernels/python `mesh`) to a kernel in any language.

Starts the kernel with ``mesh.launch`` (the Python manager: registration, first health reply)
with MESH_MAX_CONCURRENCY=1, like the .NET harness, and times from this process:
  * ``client.call("echo", value)`` for each --sizes entry (1 B as bytes, larger payloads as
    float64 arrays, which travel as raw buffer frames)
  * with --proxy: a proxy method call ``counter.add(1)`` on the kernel's exported ``Counter``
    (one ``mesh.call_method`` task per call), --calls times
  * with --profile: where a 1 B echo call's time goes, --calls times: the kernel's task record
    timestamps (received, queued, started, ended) against this process's clock before and after
Prints RESULT lines (see benchlib.py).

    /usr/bin/python3 bench/peers/mesh_client_bench.py --label .NET --argv '["dotnet", "Mesh.TestKernel.dll"]'
"""

import datetime
import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import benchlib  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "kernels", "python"))
benchlib.require("zmq", "python3-zmq")
benchlib.require("msgpack", "python3-msgpack")
benchlib.require("numpy", "python3-numpy")
import mesh  # noqa: E402


def options(p):
    p.add_argument("--label", required=True, help="kernel language, for the case name")
    p.add_argument("--argv", required=True, help="the kernel command line, as a JSON list")
    p.add_argument("--proxy", action="store_true", help="also time a proxy method call")
    p.add_argument("--profile", action="store_true", help="also split a small call into segments")


EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)
SEGMENTS = ["caller → kernel has the request", "kernel: received → queued", "kernel: queued → handler starts",
            "kernel: handler starts → outcome recorded", "handler returns → caller resumes", "whole call"]


def micros(dt):
    return (dt - EPOCH) // datetime.timedelta(microseconds=1)


def profile(client, label, n, kernel_pid):
    """Splits n 1 B echo calls into segments with the kernel's own timestamps (same machine,
    same wall clock); one RESULT per segment."""
    samples = [[] for _ in SEGMENTS]
    mine = theirs = 0
    for i in range(-benchlib.warmup_count(n), n):
        if i == 0:
            mine, theirs = benchlib.context_switches(os.getpid()), benchlib.context_switches(kernel_pid)
        t0 = time.time_ns() // 1000
        handle = client.submit("echo", [b"\0"])
        handle.get()
        t1 = time.time_ns() // 1000
        if i < 0:
            continue
        r = handle.record
        pending, queued, started, ended = (micros(r[k]) for k in ("pending_at", "queued_at", "started_at", "ended_at"))
        for k, v in enumerate((pending - t0, queued - pending, started - queued, ended - started, t1 - ended, t1 - t0)):
            samples[k].append(float(v))
    mine, theirs = benchlib.context_switches(os.getpid()) - mine, benchlib.context_switches(kernel_pid) - theirs
    for name, s in zip(SEGMENTS, samples):
        p50, p99 = benchlib.stats(s)
        note = ("context switches per call: client %.1f, kernel %.1f" % (mine / n, theirs / n)
                if name == SEGMENTS[-1] else None)
        benchlib.report("Mesh Python→%s 1 B call: %s" % (label, name), 1, n, p50, p99, 0.0, note, section="profile")

    # The protocol work a call does on either side, without any I/O or thread: encoding and
    # signing its request (a call-style submit, protocol 6.2), then verifying and decoding its
    # answer (the final get_reply); the kernel does the mirror image. What is left of the
    # segments above is waiting: wake-ups and hand-offs.
    env = mesh.envelope.Envelope(os.urandom(32).hex())
    content = {"task_id": "0" * 32, "endpoint": "echo", "args": [b"\0"], "kwargs": {}, "priority": 5,
               "timeout": None, "retries": 0, "metadata": {}, "call": True}
    record = {"task_id": "0" * 32, "endpoint": "echo", "state": "COMPLETED", "priority": 5, "retries": 0, "log": []}
    answer = env.pack("get_reply", {"task_id": "0" * 32, "done": True, "task": record, "result": b"\0"})[1]

    benchlib.report("Python envelope: encode + sign a call's submit_request (in process)", 1, n,
                    *benchlib.time_calls(lambda: env.pack("submit_request", content), n)[:2], 0.0, section="profile")
    benchlib.report("Python envelope: verify + decode a call's answer, the get_reply (in process)", 1, n,
                    *benchlib.time_calls(lambda: env.unpack(answer), n)[:2], 0.0, section="profile")


def main():
    a = benchlib.parse_args(__doc__, options)
    argv = json.loads(a.argv)
    with mesh.launch(argv=argv, kernel_id="bench-py-client", env={"MESH_MAX_CONCURRENCY": "1"}) as k, \
            k.client() as client:
        for size, n in a.sizes:
            value = benchlib.payload(size)

            def call():
                benchlib.check_echo(value, client.call("echo", value))

            benchlib.report("Mesh Python→%s call" % a.label, size, n, *benchlib.time_calls(call, n, server_pid=k.pid),
                            transport=k.info.transport)
        if a.proxy:
            counter = client.root("Counter")(0)
            benchlib.report("Mesh Python→%s proxy call" % a.label, 0, a.calls,
                            *benchlib.time_calls(lambda: counter.add(1), a.calls, server_pid=k.pid),
                            transport=k.info.transport)
            counter.release()
        if a.profile:
            profile(client, a.label, a.calls, k.pid)


if __name__ == "__main__":
    main()
