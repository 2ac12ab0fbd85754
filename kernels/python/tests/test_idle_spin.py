"""The kernel's idle spin (``MESH_IDLE_SPIN_US``, docs/protocol.md section 3): the I/O loop keeps
looking for a while after its last activity, then sleeps; timers stay on time meanwhile; a bad
setting is refused at start-up with exit code 6."""

import os
import subprocess
import sys
import time

import pytest
import zmq

import mesh
from conftest import CONFORMANCE_KERNEL, PYTHON_ROOT
from mesh import transport
from mesh.connection import ConnectionInfo
from mesh.envelope import Envelope

_TICK = os.sysconf("SC_CLK_TCK")


def _cpu_seconds(pid):
    """utime + stime of the process (all its threads), from /proc/<pid>/stat."""
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / _TICK


def test_an_idle_kernel_stops_spinning():
    with mesh.launch(CONFORMANCE_KERNEL, env={"MESH_IDLE_SPIN_US": "200"}) as k, \
            k.client() as c:
        for i in range(300):  # inline and worker endpoints: both leave the loop spinning
            assert c.call("echo_inline", i) == i
            assert c.call("add", i, 1) == i + 1
        time.sleep(0.2)
        before = _cpu_seconds(k.pid)
        time.sleep(1.0)
        spent = _cpu_seconds(k.pid) - before
        # a spin that never ended would cost most of a core (~1 s); heartbeats cost ~nothing
        assert spent < 0.1, "idle kernel used %.3f s of CPU in 1 s" % spent


def test_the_spin_runs_after_activity_then_ends_and_timers_stay_on_time():
    # a long spin, so that it is measurable: 0.4 s after each activity
    with mesh.launch(CONFORMANCE_KERNEL, env={"MESH_IDLE_SPIN_US": "400000"}) as k:
        env = Envelope(k.info.key)
        ctx = zmq.Context.instance()
        get = transport.make_socket(ctx, zmq.DEALER)
        get.connect(k.info.get)
        try:
            time.sleep(0.6)  # registration and the manager's health check are over
            t0 = time.monotonic()
            # a get for a task nobody submitted waits its 0.1 s in the kernel, then is answered
            # (a timer, due while the loop spins after receiving the request)
            _, frames = env.pack("get_request", {"task_id": "never-%s" % os.urandom(4).hex(),
                                                 "timeout": 0.1, "keep": False})
            before = _cpu_seconds(k.pid)
            transport.send(get, frames)
            assert get.poll(5000)
            waited = time.monotonic() - t0
            msg = env.unpack(transport.recv(get)[1])
            assert msg.type == "get_reply" and msg.content["done"] is True
            assert 0.09 <= waited < 0.3, "the get waited %.3f s instead of 0.1 s" % waited
            time.sleep(0.15)
            spinning = _cpu_seconds(k.pid) - before
            time.sleep(0.6)  # the spin ends 0.4 s after the last activity
            before = _cpu_seconds(k.pid)
            time.sleep(1.0)
            idle = _cpu_seconds(k.pid) - before
        finally:
            get.close(0)
        assert spinning >= 0.02, "no spin after activity (%.3f s of CPU)" % spinning
        assert idle < 0.1, "the spin did not end (%.3f s of CPU in 1 s)" % idle


def _run_with_setting(tmp_path, value):
    ctx = zmq.Context.instance()
    reg = transport.make_socket(ctx, zmq.ROUTER)
    try:
        info = ConnectionInfo(kernel_id="spin", key="k" * 64, registration=transport.bind(reg))
        path = info.write(str(tmp_path / "c.json"))
        env = dict(os.environ, PYTHONPATH=PYTHON_ROOT, MESH_CONNECTION_FILE=path,
                   MESH_IDLE_SPIN_US=value, MESH_REGISTRATION_TIMEOUT="0.5")
        return subprocess.run([sys.executable, "-m", "mesh", CONFORMANCE_KERNEL], env=env,
                              capture_output=True, text=True, timeout=20)
    finally:
        reg.close(0)


@pytest.mark.parametrize("value", ["abc", "-1", "1.5", "1000001", "20us"])
def test_a_bad_idle_spin_setting_exits_6_naming_it(tmp_path, value):
    r = _run_with_setting(tmp_path, value)
    assert r.returncode == 6, r.stderr
    assert "MESH_IDLE_SPIN_US" in r.stderr and repr(value) in r.stderr


def test_good_idle_spin_settings_start(tmp_path):
    # 0 (off) and the largest value pass the check (the kernel then fails to register: exit 3)
    for value in ("0", "1000000", " 50 "):
        r = _run_with_setting(tmp_path, value)
        assert r.returncode == 3, (value, r.stderr)


def test_a_bad_idle_spin_setting_is_described_by_the_manager():
    with pytest.raises(mesh.KernelStartError) as e:
        mesh.launch(CONFORMANCE_KERNEL, env={"MESH_IDLE_SPIN_US": "lots"}, startup_timeout=20)
    assert e.value.exit_code == 6
    assert "invalid kernel setting" in str(e.value) and "MESH_IDLE_SPIN_US" in str(e.value)
