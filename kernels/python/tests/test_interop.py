"""The Python client against the .NET conformance kernel (tests/Mesh.TestKernel), when built.

Skipped when `dotnet` or the built test kernel is missing (build it with
`dotnet build tests/Mesh.Conformance.Tests`).
"""

import datetime as dt
import glob
import os
import shutil
import time

import numpy as np
import pytest

import mesh
from conftest import REPO


def _dotnet_kernel():
    if shutil.which("dotnet") is None:
        return None
    hits = sorted(glob.glob(os.path.join(REPO, "tests", "*", "bin", "*", "net*", "testkernel",
                                         "Mesh.TestKernel.dll")), key=os.path.getmtime)
    return hits[-1] if hits else None


DLL = _dotnet_kernel()
pytestmark = pytest.mark.skipif(DLL is None, reason="the .NET test kernel is not built")


@pytest.fixture(scope="module")
def dotnet():
    k = mesh.launch(argv=["dotnet", DLL], kernel_id="dotnet-interop",
                    env={"MESH_MAX_CONCURRENCY": "2"}, startup_timeout=60)
    c = k.client()
    yield c
    c.close()
    assert k.shutdown(grace=0.5, timeout=5) == 0, k.log_tail()


def test_values_cross_the_language_boundary(dotnet):
    when = dt.datetime(2024, 1, 2, 3, 4, 5, 600000, tzinfo=dt.timezone.utc)
    value = {"x": [1, 2.5, "s\u00e9", None, True, b"\x00\xff", -(2**63), 2**64 - 1], "when": when,
             "nested": {"deep": [{"k": 1.5}]}}
    assert dotnet.call("echo", value) == value
    big = np.random.default_rng(2).random(10**6)
    assert dotnet.call("echo", big).tobytes() == big.tobytes()
    m = np.random.default_rng(3).random((30, 7))
    assert np.array_equal(dotnet.call("transpose", m), m.T)
    total = 0.0
    for v in big.tolist():
        total += v
    assert dotnet.call("sum_array", big) == total
    t = mesh.Table({"i": np.arange(3, dtype=np.int64), "s": ["a", None, "c"]})
    assert dotnet.call("table_echo", t) == t
    made = dotnet.call("make_table", 3)
    assert made["name"] == ["row0", "row1", "row2"] and made["value"].tolist() == [0.0, 0.5, 1.0]
    assert dotnet.kernel_answers_calls is True   # calls answered in one message (6.2)


def test_errors_and_lifecycle_cross_the_language_boundary(dotnet):
    with pytest.raises(mesh.RemoteError) as e:
        dotnet.call("fail", "boom")
    assert e.value.type == "System.ArgumentException" and e.value.message == "boom"
    assert e.value.code == 0 and e.value.traceback
    with pytest.raises(mesh.BadArgumentsError, match="'a'"):
        dotnet.call("add", "x", 1)
    with pytest.raises(mesh.UnknownEndpointError):
        dotnet.call("nope")
    h = dotnet.submit("sleep", [30.0])
    time.sleep(0.3)
    assert h.cancel() is True
    with pytest.raises(mesh.TaskCancelledError):
        h.get(5)
    with pytest.raises(mesh.TaskTimeoutError):
        dotnet.submit("sleep", [5.0], timeout=0.2).get(5)
    seen = []
    assert dotnet.submit("progress", [3], on_progress=lambda v, m: seen.append(v)).get(5) == 3
    h = dotnet.submit("log", [["l1", "l2"]])
    h.get(5)
    assert h.record["log"] == ["l1", "l2"]
    hs = [dotnet.submit("add", [i, 1]) for i in range(2000)]
    assert [x.get(30) for x in hs] == [i + 1.0 for i in range(2000)]


def test_python_client_falls_back_for_a_dotnet_kernel_that_ignores_calls():
    k = mesh.launch(argv=["dotnet", DLL], kernel_id="dotnet-base-protocol",
                    env={"MESH_MAX_CONCURRENCY": "2", "MESH_ANSWER_CALLS": "0"},
                    startup_timeout=60)
    c = k.client()
    try:
        assert c.kernel_answers_calls is None
        assert c.call("add", 1, 2) == 3.0
        assert c.kernel_answers_calls is False
        assert [c.call("add", i, b=1) for i in range(20)] == [i + 1.0 for i in range(20)]
        with pytest.raises(mesh.UnknownEndpointError):
            c.call("nope")
        with pytest.raises(mesh.RemoteError) as e:
            c.call("fail", "boom")
        assert e.value.type == "System.ArgumentException" and e.value.message == "boom"
        seen = []
        assert c.submit("progress", [3], on_progress=lambda v, m: seen.append(v)).get(10) == 3
        hs = [c.submit("add", [i, 1]) for i in range(500)]
        assert [x.get(30) for x in hs] == [i + 1.0 for i in range(500)]
        assert c.kernel_answers_calls is False and c.pending() == 0
    finally:
        c.close()
        assert k.shutdown(grace=0.5, timeout=5) == 0, k.log_tail()


def _example_kernel():
    if shutil.which("dotnet") is None:
        return None
    hits = sorted(glob.glob(os.path.join(REPO, "examples", "Mesh.Examples.Kernel", "bin", "*", "net*",
                                         "Mesh.Examples.Kernel.dll")), key=os.path.getmtime)
    return hits[-1] if hits else None


@pytest.mark.skipif(_example_kernel() is None, reason="the .NET example kernel is not built")
def test_python_client_calls_the_dotnet_example_kernel():
    k = mesh.launch(argv=["dotnet", _example_kernel()], kernel_id="dotnet-example", startup_timeout=60)
    c = k.client()
    try:
        flows = [-1000.0, 300.0, 300.0, 300.0, 300.0, 300.0]
        expected = sum(f / 1.05 ** t for t, f in enumerate(flows))
        assert c.call("npv", np.array(flows), 0.05) == pytest.approx(expected, rel=1e-15)
        plant = {"CapitalPerKw": 1100.0, "FixedPerKwYear": 25.0, "VariablePerMwh": 3.5,
                 "CapacityFactor": 0.35, "LifeYears": 25}
        crf = 0.07 * 1.07 ** 25 / (1.07 ** 25 - 1)
        lcoe = (1100.0 * crf + 25.0) / (8.76 * 0.35) + 3.5
        assert c.call("lcoe", plant, rate=0.07) == pytest.approx(lcoe, rel=1e-12)
        curve = c.call("load_duration", np.array([3.0, 9.0, 1.0]))
        assert list(curve["load"]) == [9.0, 3.0, 1.0]
        assert list(curve["rank"]) == [1, 2, 3]
    finally:
        c.close()
        assert k.shutdown(grace=0.5, timeout=5) == 0, k.log_tail()
