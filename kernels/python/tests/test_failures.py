"""Kernels that die, fail to start, or are talked to with the wrong key."""

import os
import shutil
import signal
import subprocess
import sys
import time

import pytest
import zmq

import mesh
from conftest import CONFORMANCE_KERNEL, PYTHON_ROOT, TEST_KERNELS
from mesh import transport
from mesh.connection import ConnectionInfo
from mesh.envelope import Envelope


def test_sigkill_mid_task_fails_calls_quickly():
    k = mesh.launch(CONFORMANCE_KERNEL)
    c = k.client()
    try:
        handles = [c.submit("sleep", [30.0]) for _ in range(3)]
        time.sleep(0.2)
        t0 = time.monotonic()
        os.killpg(k.pid, signal.SIGKILL)
        for h in handles:
            with pytest.raises(mesh.KernelLostError) as e:
                h.get(5)
        assert time.monotonic() - t0 < 1.0
        assert "SIGKILL" in str(e.value) and e.value.exit_code == -signal.SIGKILL
        with pytest.raises(mesh.KernelLostError):
            c.call("add", 1, 2)
    finally:
        c.close()
        k.shutdown()


def test_heartbeat_alone_detects_a_dead_kernel():
    k = mesh.launch(CONFORMANCE_KERNEL)
    c = mesh.Client.from_connection_file(k.client_connection_file, heartbeat_ms=200)
    try:
        assert c.call("add", 1, 2) == 3.0
        h = c.submit("sleep", [30.0])
        time.sleep(0.1)
        t0 = time.monotonic()
        os.killpg(k.pid, signal.SIGKILL)
        with pytest.raises(mesh.KernelLostError) as e:
            h.get(10)
        assert time.monotonic() - t0 < 1.5
        assert "health" in str(e.value)
    finally:
        c.close()
        k.shutdown()


def test_import_error_reports_exit_code_5_and_traceback():
    t0 = time.monotonic()
    with pytest.raises(mesh.KernelStartError) as e:
        mesh.launch(os.path.join(TEST_KERNELS, "import_error_kernel.py"), startup_timeout=20)
    assert time.monotonic() - t0 < 10
    err = e.value
    assert err.exit_code == 5
    text = str(err)
    assert "exit code 5" in text and "import error" in text
    assert "deliberate failure while importing the kernel module" in text
    assert any("Traceback" in line for line in err.log_tail)


def test_startup_timeout_kills_a_silent_kernel():
    t0 = time.monotonic()
    with pytest.raises(mesh.KernelStartError) as e:
        mesh.launch(os.path.join(TEST_KERNELS, "silent_kernel.py"), startup_timeout=1.0)
    assert "no register_request" in str(e.value) and time.monotonic() - t0 < 5


def _run_kernel(conn_path, extra_env=None, timeout=20):
    env = dict(os.environ, PYTHONPATH=PYTHON_ROOT, MESH_CONNECTION_FILE=conn_path)
    env.update(extra_env or {})
    return subprocess.run([sys.executable, "-m", "mesh", CONFORMANCE_KERNEL], env=env,
                          capture_output=True, text=True, timeout=timeout)


def test_bad_connection_file_exits_2(tmp_path):
    assert _run_kernel(str(tmp_path / "missing.json")).returncode == 2
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    r = _run_kernel(str(bad))
    assert r.returncode == 2 and "connection file" in r.stderr


def test_unanswered_registration_exits_3(tmp_path):
    ctx = zmq.Context.instance()
    reg = transport.make_socket(ctx, zmq.ROUTER)
    try:
        addr = transport.bind(reg)
        info = ConnectionInfo(kernel_id="lonely", key="k" * 64, registration=addr)
        path = info.write(str(tmp_path / "c.json"))
        r = _run_kernel(path, {"MESH_REGISTRATION_TIMEOUT": "0.5"})
        assert r.returncode == 3 and "register_reply" in r.stderr
    finally:
        reg.close(0)


def test_refused_registration_exits_3(tmp_path):
    with pytest.raises(mesh.KernelStartError) as e:
        mesh.launch(argv=[sys.executable, "-c", "import json,os,sys;"
                          "p=os.environ['MESH_CONNECTION_FILE'];d=json.load(open(p));"
                          "d['kernel_id']='impostor';json.dump(d,open(p,'w'));"
                          "sys.argv=['mesh',%r];import runpy;runpy.run_module('mesh',run_name='__main__')"
                          % CONFORMANCE_KERNEL], startup_timeout=15)
    assert e.value.exit_code == 3


def test_parent_death_exits_4(tmp_path):
    script = (
        "import sys, mesh, os, time\n"
        "k = mesh.launch(%r)\n"
        "print(k.pid, k.workdir, flush=True)\n"
        "os._exit(0)\n" % CONFORMANCE_KERNEL)
    r = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                       env=dict(os.environ, PYTHONPATH=PYTHON_ROOT), timeout=30)
    pid, workdir = r.stdout.split()[:2]
    pid = int(pid)
    shutil.rmtree(workdir, ignore_errors=True)  # its manager died without cleaning up
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        try:
            with open("/proc/%d/stat" % pid) as f:
                if f.read().rsplit(")", 1)[1].split()[0] == "Z":
                    return  # exited, waiting to be reaped by its new parent
        except OSError:
            return  # gone
        time.sleep(0.05)
    os.kill(pid, signal.SIGKILL)
    pytest.fail("kernel %d outlived its parent" % pid)


def test_wrong_key_gets_no_reply_and_is_counted(client, conformance_kernel):
    before = client.health()["rejected"]
    ctx = zmq.Context.instance()
    socks = []
    try:
        for port in ("health", "submit", "get"):
            s = transport.make_socket(ctx, zmq.DEALER)
            s.connect(getattr(conformance_kernel.info, port))
            socks.append(s)
        wrong = Envelope("00" * 32)
        for s, t in zip(socks, ("health_request", "kernel_info_request", "get_request")):
            _, frames = wrong.pack(t, {"task_id": "x", "timeout": 0} if t == "get_request" else {})
            transport.send(s, frames)
        time.sleep(0.3)
        assert not any(s.poll(0) for s in socks)
        after = client.health()["rejected"]
        assert after - before == 3
        # the right key still works on the same sockets
        right = Envelope(conformance_kernel.info.key)
        _, frames = right.pack("health_request", {})
        transport.send(socks[0], frames)
        assert socks[0].poll(2000)
    finally:
        for s in socks:
            s.close(0)
