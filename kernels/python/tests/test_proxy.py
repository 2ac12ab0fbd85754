"""Remote objects (docs/protocol.md section 9) against real kernel processes: the proxy
conformance objects of docs/conformance.md, the allow-list, references as arguments, release,
leases, and the ogmacro Model used remotely."""

import gc
import os
import re
import signal
import subprocess
import sys
import time

import msgpack
import numpy as np
import pytest

import mesh
from conftest import CONFORMANCE_KERNEL, PYTHON_ROOT, REPO, TEST_KERNELS
from mesh import codec, errors
from mesh.objects import ObjectTable, OperationError, is_plain

PROXY_KERNEL = os.path.join(TEST_KERNELS, "proxy_kernel.py")


def refused(code, fn, *args, **kwargs):
    """Runs fn, expects a RemoteError with ``code``; returns it."""
    with pytest.raises(mesh.RemoteError) as info:
        fn(*args, **kwargs)
    assert info.value.code == code, str(info.value)
    return info.value


def op(client, endpoint, **content):
    """A raw ``mesh.*`` call whose references come back as proxies owned by ``client``."""
    return client.submit(endpoint, (), content, proxies=True).get(30)


def quiet_count(client):
    """The kernel's object count once this client's dropped proxies are given back: collected and
    flushed until two counts 20 ms apart agree (a proxy held for a moment longer elsewhere, e.g.
    by a result not yet handed to its caller, is only dropped, and released, after it)."""
    previous = None
    for _ in range(100):
        gc.collect()
        assert client.flush_releases()
        counts = client.objects()
        if previous is not None and counts["objects"] == previous["objects"]:
            return counts
        previous = counts
        time.sleep(0.02)
    return counts


def settle(client, expected, timeout=10.0):
    """Flushes releases, then waits until ``mesh.objects`` reports ``expected`` objects."""
    assert client.flush_releases(timeout)
    deadline = time.monotonic() + timeout
    while True:
        counts = client.objects()
        if counts["objects"] == expected or time.monotonic() > deadline:
            return counts
        time.sleep(0.02)


@pytest.fixture(scope="module")
def kernel():
    k = mesh.launch(CONFORMANCE_KERNEL, kernel_id="py-proxy", env={"MESH_MAX_CONCURRENCY": "4"})
    yield k
    assert k.shutdown(grace=0.5, timeout=5.0) == 0, k.log_tail()


@pytest.fixture(scope="module")
def client(kernel):
    with kernel.client() as c:
        yield c


@pytest.fixture(scope="module")
def things():
    k = mesh.launch(PROXY_KERNEL, kernel_id="py-things", env={"MESH_MAX_CONCURRENCY": "2"})
    with k.client() as c:
        yield c
    assert k.shutdown(grace=0.5, timeout=5.0) == 0, k.log_tail()


# ------------------------------------------------------------------------------ ext 3


def test_ref_ext3_canonical_bytes_and_round_trip():
    ref = mesh.Ref(7, "Counter", "k1")
    payload = msgpack.packb([7, "Counter", "k1"], use_bin_type=True)
    assert codec.packb(ref) == msgpack.packb(msgpack.ExtType(3, payload), use_bin_type=True)
    assert codec.packb(ref).hex() == "c70d039307a7436f756e746572a26b31"
    big = mesh.Ref(2**64 - 1, "", "")
    for value in (ref, big, [1, {"r": ref}], {"a": [big, ref]}):
        content, buffers = codec.encode(value)
        assert buffers == []
        back, has_refs = codec.decode_with_refs(content)
        assert back == value and has_refs
    assert codec.decode_with_refs(codec.encode({"a": [1, 2.5, "x"]})[0]) == ({"a": [1, 2.5, "x"]}, False)
    assert {mesh.Ref(1, "a", "k"): 1}[mesh.Ref(1, "a", "k")] == 1
    with pytest.raises(AttributeError):
        ref.object_id = 3


@pytest.mark.parametrize("payload", [
    [1, "T"], [1, "T", "k", 4], [-1, "T", "k"], [1.0, "T", "k"], [1, 2, "k"], [1, "T", None],
    {"id": 1}, "x",
])
def test_ref_ext3_bad_payloads_are_rejected(payload):
    data = msgpack.packb(msgpack.ExtType(3, msgpack.packb(payload, use_bin_type=True)),
                         use_bin_type=True)
    with pytest.raises(errors.DecodeError):
        codec.decode(data)


def test_ref_rejects_bad_fields():
    for bad in (-1, 2**64, 1.5, True):
        with pytest.raises(ValueError):
            mesh.Ref(bad, "T", "k")
    with pytest.raises(TypeError):
        mesh.Ref(1, None, "k")


def test_error_codes_match_the_protocol_document():
    with open(os.path.join(REPO, "docs", "protocol.md"), encoding="utf-8") as f:
        documented = {int(code): name for code, name in
                      re.findall(r"^\| *(\d+) *\| *`([A-Z_]+)`", f.read(), re.M)}
    assert {1201, 1202, 1203, 1204, 1205} <= set(documented)
    assert documented == errors.CODE_NAMES
    for code in range(1201, 1206):
        assert errors.RemoteError.from_map({"code": code}).__class__.__name__ == (
            "Proxy" + "".join(w.title() for w in documented[code].split("_")[1:]) + "Error")


# ------------------------------------------------------------------------------ kernel side, in process


def test_object_table_counts_sessions_and_never_reuses_ids():
    table = ObjectTable("k", {"x": object()}, lease=5.0)
    a, b = object(), object()
    r1 = table.register(a, "s1")
    assert r1 == mesh.Ref(1, "object", "k")
    assert table.register(a, "s1").object_id == 1        # the same object keeps its id
    assert table.register(a, "s2").object_id == 1
    assert table.register(b, "s2").object_id == 2
    assert table.counts() == {"objects": 2, "sessions": 2}
    table.release("s1", [1, 99, 1, 1])                   # unknown and surplus ids are ignored
    assert table.counts() == {"objects": 2, "sessions": 1}
    table.release("s2", [1])
    assert table.counts() == {"objects": 1, "sessions": 1}
    with pytest.raises(OperationError) as e:
        table.lookup(r1)
    assert e.value.code == errors.PROXY_UNKNOWN_OBJECT and "released" in e.value.message
    assert table.register(a, "s1").object_id == 3        # back in the table: a new id
    with pytest.raises(OperationError) as e:
        table.lookup(mesh.Ref(3, "object", "other-kernel"))
    assert e.value.code == errors.PROXY_UNKNOWN_OBJECT and "other-kernel" in e.value.message


def test_object_table_lease_sweep():
    table = ObjectTable("k", {}, lease=5.0)
    table.touch("old", now=100.0)
    table.touch("new", now=104.0)
    table.register(object(), "old")
    table.register(object(), "new")
    table.last_seen["old"] = 100.0
    table.last_seen["new"] = 104.0
    assert table.sweep(now=105.5) == 1
    assert table.counts() == {"objects": 1, "sessions": 1}
    table.touch("new", now=109.0)                        # renewed: survives
    assert table.sweep(now=112.0) == 0
    assert table.sweep(now=114.5) == 1
    assert table.counts() == {"objects": 0, "sessions": 0}


def test_object_table_resolves_nested_references():
    table = ObjectTable("k", {})
    a, b = object(), object()
    ra, rb = table.register(a, "s"), table.register(b, "s")
    value = [1, ra, {"x": [rb, {"y": ra}]}, {ra: "key"}]
    out = table.resolve(value)
    assert out[1] is a and out[2]["x"][0] is b and out[2]["x"][1]["y"] is a
    assert list(out[3]) == [a]


def test_is_plain():
    for v in (None, True, 3, 2.5, "s", b"b", np.arange(3), np.float64(1.5), np.int32(2),
              mesh.Table({"a": np.arange(2)}), [1, [2, {"a": np.zeros(2)}]], (1, "x"),
              {"k": {"n": None}}, {1: "int key"}):
        assert is_plain(v), v
    for v in (object(), {1, 2}, [1, object()], {"k": [object()]}, np.array([1j]),
              np.array(["s"], dtype=object), len, bytearray(b"x")):
        assert not is_plain(v), v
    deep = []
    for _ in range(70):
        deep = [deep, object]
    assert not is_plain(deep)


def test_export_forms_and_reserved_names():
    k = mesh.Kernel()

    @k.export
    class A:
        pass

    @k.export("Bee")
    def b():
        pass

    assert k.export("c", 5) == 5
    assert k.export("nothing", None) is None
    assert k.exports == {"A": A, "Bee": b, "c": 5, "nothing": None}
    with pytest.raises(ValueError):
        k.export(5)                                     # no name to take
    with pytest.raises(ValueError):
        k.add_endpoint("mesh.root", lambda name: name)


# ------------------------------------------------------------------------------ conformance objects


def test_counter(client):
    Counter = client.root("Counter")
    with Counter(5) as c:
        assert isinstance(c, mesh.RemoteObject)
        assert c.add(3) == 8
        assert c.Add(n=2) == 10                        # ignoring case
        assert c.value.get() == 10
        c.value = 42
        assert c.Value.get() == 42
        snap = c.snapshot()
        assert snap == {"value": 42} and type(snap) is dict     # plain data: by value
        assert Counter().value.get() == 0
    Counter.release()


def test_remote_exception_keeps_its_traceback(client):
    c = client.root("Counter")()
    e = refused(0, c.fail, "no good")
    assert e.type == "ValueError" and e.message == "no good"
    assert any("in fail" in line for line in e.traceback)
    assert any("raise ValueError(message)" in line for line in e.traceback)
    assert not any("mesh/objects.py" in line for line in e.traceback)
    assert "Remote traceback" in str(e)


def test_calculator_with_references_by_position_and_by_name(client):
    Policy, Records, Calculator = (client.root(n) for n in ("Policy", "Records", "Calculator"))
    values = np.random.default_rng(3).random(1000)
    total = 0.0
    for v in values.tolist():
        total += v
    pol, rec = Policy(0.25), Records(values)
    calcs = [Calculator(policy=pol, records=rec), Calculator(pol, records=rec),
             Calculator(records=rec, policy=pol), Calculator(pol, rec)]
    for calc in calcs:
        assert calc.run() == 0.25 * total
    back = rec.values.get()
    assert isinstance(back, np.ndarray) and np.array_equal(back, values)   # array by value
    assert rec.total() == total
    # calc.policy is the same Policy object, handed out by reference (same id)
    same = calcs[0].policy.get()
    assert isinstance(same, mesh.RemoteObject)
    assert mesh.ref_of(same).object_id == mesh.ref_of(pol).object_id
    calcs[1].policy.rate = 0.5                          # chained set_attr
    assert pol.rate.get() == 0.5 and calcs[0].run() == 0.5 * total
    pol.rate = 2
    assert calcs[0].policy.rate.get() == 2
    # references mixed with values, by position and by name, on the raw endpoint
    calc = op(client, "mesh.call", target=Calculator, args=[pol], kwargs={"records": rec})
    assert calc.run() == 2 * total
    refused(errors.BAD_ARGUMENTS, Calculator, pol)      # missing argument: named
    e = refused(0, Calculator, rec, pol)                # wrong types: the constructor raises
    assert e.type == "TypeError"


def test_store_items(client):
    store = client.root("store")
    store["x"] = 1.5
    store["arr"] = np.arange(2000.0)                    # a buffer frame
    store["table"] = mesh.Table({"a": np.arange(3), "s": ["p", None, "q"]})
    copy = store.deref()                                # plain data so far: a copy
    assert copy["x"] == 1.5 and np.array_equal(copy["arr"], np.arange(2000.0))
    assert store["x"] == 1.5
    assert np.array_equal(store["arr"], np.arange(2000.0))
    t = store["table"]
    assert isinstance(t, mesh.Table) and t["s"] == ["p", None, "q"]
    e = refused(0, store.__getitem__, "missing")
    assert e.type == "KeyError"
    # references inside a stored value become the objects; reading them back gives proxies
    pol = client.root("Policy")(0.75)
    store["nested"] = [pol, {"p": pol}]
    nested = store["nested"]                            # not plain data: a reference
    assert isinstance(nested, mesh.RemoteObject)
    first = nested[0]
    assert mesh.ref_of(first).object_id == mesh.ref_of(pol).object_id
    assert nested[1]["p"].rate.get() == 0.75
    refused(errors.PROXY_NOT_DATA, store.deref)


def test_deref_values(things):
    data = things.root("data")
    arr = data.deref()
    assert arr.shape == (3, 4) and np.array_equal(arr, np.arange(12.0).reshape(3, 4))
    table = things.root("table").deref()
    assert isinstance(table, mesh.Table) and list(table) == ["id", "name"]
    assert table["name"] == ["a", "b", None] and table["id"].dtype == np.int64
    assert things.root("config").deref() == {"rate": 0.5, "names": ["x", "y"]}
    refused(errors.PROXY_NOT_DATA, things.root("Thing")().deref)
    pair = things.root("Thing")(3).pair()               # [self, 1]: a list by reference
    assert isinstance(pair, mesh.RemoteObject)
    refused(errors.PROXY_NOT_DATA, pair.deref)
    assert pair[1] == 1 and pair[0].n.get() == 3


def test_release_and_use_after_release(client):
    Counter = client.root("Counter")
    before = quiet_count(client)["objects"]
    c = Counter(1)
    ref = mesh.ref_of(c)
    assert settle(client, before + 1)["objects"] == before + 1
    c.release()
    c.release()                                         # idempotent
    e = refused(errors.PROXY_UNKNOWN_OBJECT, c.add, 1)  # refused locally, no round trip
    assert "released" in str(e) and "Counter #%d" % ref.object_id in str(e)
    assert isinstance(e, mesh.ProxyUnknownObjectError)
    assert settle(client, before)["objects"] == before
    # ids may come as a typed array too (a .NET ulong[] is an ext 1 uint64 ndarray)
    raw = [client.call("mesh.call", mesh.ref_of(Counter), [i]) for i in (3, 4)]   # unmanaged
    assert settle(client, before + 2)["objects"] == before + 2
    ids = np.array([r.object_id for r in raw], dtype=np.uint64)
    assert client.call("mesh.release", ids) is None
    assert settle(client, before)["objects"] == before
    # the kernel refuses the stale reference too, with a message that says why
    e = refused(errors.PROXY_UNKNOWN_OBJECT, client.call, "mesh.call_method", ref, "add", [1])
    assert "no object %d" % ref.object_id in e.message and "released" in e.message
    refused(errors.PROXY_UNKNOWN_OBJECT, client.call, "mesh.get_attr", mesh.Ref(10**9, "X", "py-proxy"), "value")
    # dropping the last Python reference releases too (the finalizer only queues the id)
    c2 = Counter(2)
    assert settle(client, before + 1)["objects"] == before + 1
    del c2
    gc.collect()
    assert settle(client, before)["objects"] == before
    Counter.release()


def test_same_object_handed_out_twice_is_counted_twice(client):
    calc_parts = client.root("Policy"), client.root("Records"), client.root("Calculator")
    pol = calc_parts[0](1.0)
    calc = calc_parts[2](pol, calc_parts[1](np.ones(3)))
    again = [calc.policy.get() for _ in range(3)]
    ids = {mesh.ref_of(p).object_id for p in again}
    assert ids == {mesh.ref_of(pol).object_id}
    pol.release()
    del again[:2]
    assert again[0].rate.get() == 1.0                   # one count left: still alive


def test_raw_references_and_sessions(kernel, client):
    with kernel.client() as other:
        before = quiet_count(client)
        c = other.root("Counter")(1)
        raw = other.call("mesh.call", mesh.ref_of(other.root("Counter")))   # unmanaged Ref
        assert isinstance(raw, mesh.Ref) and raw.type_name == "Counter" and raw.kernel_id == "py-proxy"
        assert client.objects()["sessions"] == before["sessions"] + 1
        # any session may use a live reference; counts stay with the session that got it
        assert client.call("mesh.call_method", raw, "add", [5]) == 5
        adopted = other.proxy(raw)
        assert adopted.value.get() == 5 and c.value.get() == 1
    # closing a client gives back everything its proxies held, without waiting for the lease
    counts = settle(client, before["objects"])
    assert counts == before


def test_async_calls(client):
    c = client.root("Counter")(0)
    handles = [c.add_async(1) for _ in range(50)] + [c.member("add").submit(1)]
    assert sorted(h.get() for h in handles) == list(range(1, 52))
    assert c.AddAsync(1).get() == 52
    h = client.submit("mesh.call", kwargs={"target": client.root("Counter"), "args": [7]},
                      proxies=True)
    assert h.get().value.get() == 7


def test_kernel_info_lists_the_reserved_endpoints(client):
    eps = {e["name"]: e for e in client.kernel_info()["endpoints"]}
    assert [p["name"] for p in eps["mesh.call_method"]["params"]] == ["target", "name", "args", "kwargs"]
    assert eps["mesh.call_method"]["params"][0]["type"] == "ref"
    assert [p["name"] for p in eps["mesh.release"]["params"]] == ["ids"]
    assert eps["mesh.objects"]["params"] == []


# ------------------------------------------------------------------------------ allow-list


def test_forbidden_probes_of_the_conformance_suite(client):
    counter = op(client, "mesh.call", target=client.root("Counter"))
    policy = op(client, "mesh.call", target=client.root("Policy"), args=[0.1])
    refused(errors.PROXY_NOT_EXPORTED, client.call, "mesh.root", "os")
    refused(errors.PROXY_NOT_EXPORTED, client.call, "mesh.root", "System.IO.File")
    refused(errors.PROXY_FORBIDDEN, op, client, "mesh.get_attr", target=counter, name="__class__")
    refused(errors.PROXY_FORBIDDEN, op, client, "mesh.get_attr", target=counter, name="__dict__")
    refused(errors.PROXY_FORBIDDEN, op, client, "mesh.call_method", target=counter, name="__reduce__")
    refused(errors.PROXY_FORBIDDEN, op, client, "mesh.call_method", target=counter, name="GetType")
    refused(errors.PROXY_FORBIDDEN, op, client, "mesh.get_attr", target=policy, name="__init__")
    e = refused(errors.PROXY_FORBIDDEN, op, client, "mesh.call_method", target=counter,
                name="machinery")                       # its own (exported) class
    assert "class Counter" in e.message
    refused(errors.PROXY_UNKNOWN_MEMBER, op, client, "mesh.call_method", target=counter,
            name="no_such_method")
    # more: methods are not attribute values, nor assignable; attributes are not methods
    refused(errors.PROXY_FORBIDDEN, op, client, "mesh.get_attr", target=counter, name="add")
    refused(errors.PROXY_FORBIDDEN, op, client, "mesh.set_attr", target=counter, name="add", value=1)
    refused(errors.PROXY_UNKNOWN_MEMBER, op, client, "mesh.call_method", target=counter, name="value")
    refused(errors.PROXY_UNKNOWN_MEMBER, op, client, "mesh.set_attr", target=counter, name="nope", value=1)
    refused(errors.PROXY_FORBIDDEN, op, client, "mesh.set_attr", target=counter, name="_x", value=1)
    refused(errors.PROXY_UNKNOWN_MEMBER, op, client, "mesh.get_item", target=counter, key="value")
    refused(errors.PROXY_FORBIDDEN, op, client, "mesh.call", target=counter)   # not callable
    # target must be a reference; other arguments are checked like an endpoint's
    refused(errors.BAD_ARGUMENTS, client.call, "mesh.get_attr", 5, "value")
    refused(errors.BAD_ARGUMENTS, client.call, "mesh.get_attr", counter, 5)
    refused(errors.BAD_ARGUMENTS, client.call, "mesh.release", ["x"])
    refused(errors.BAD_ARGUMENTS, client.call, "mesh.release", np.zeros((1, 1), dtype=np.uint64))
    refused(errors.BAD_ARGUMENTS, client.call, "mesh.release", np.array([-1]))
    e = refused(errors.BAD_ARGUMENTS, counter.add, 1, 2)
    assert "Counter.add" in e.message
    e = refused(errors.BAD_ARGUMENTS, counter.add, "one")
    assert "'n'" in e.message
    # the class object: nothing of Python's type machinery
    Counter = client.root("Counter")
    refused(errors.PROXY_FORBIDDEN, op, client, "mesh.call_method", target=Counter, name="mro")
    refused(errors.PROXY_FORBIDDEN, op, client, "mesh.get_attr", target=Counter, name="add")
    refused(errors.PROXY_FORBIDDEN, op, client, "mesh.get_attr", target=Counter, name="__subclasses__")


def test_python_machinery_is_never_handed_out(things):
    t = things.root("Thing")(1)
    for name, what in (("module", "module os"), ("builtin", "a builtin_function_or_method object"),
                       ("function", "a function object"), ("method", "a method object"),
                       ("code", "a code object"), ("frame", "a frame object"),
                       ("klass", "class dict")):
        e = refused(errors.PROXY_FORBIDDEN, getattr(t, name))
        assert what in e.message, e.message
    gen = t.gen()                                       # a generator: by reference...
    assert isinstance(gen, mesh.RemoteObject)
    refused(errors.PROXY_FORBIDDEN, gen.gi_frame.get)   # ...but never its frame or code
    refused(errors.PROXY_FORBIDDEN, gen.gi_code.get)
    refused(errors.PROXY_FORBIDDEN, op, things, "mesh.get_attr", target=t, name="_secret")
    with pytest.raises(AttributeError):
        t._secret                                       # not even sent: private on both sides
    # an exported function is fine as a result; a class never is (mesh.root reaches it)
    e = refused(errors.PROXY_FORBIDDEN, t.exported_class)
    assert "class Thing" in e.message and "mesh.root" in e.message
    make_things = t.exported_function()
    lst = make_things(3)
    assert isinstance(lst, mesh.RemoteObject) and lst[2].n.get() == 2
    assert isinstance(t.set_of(), mesh.RemoteObject)   # a set is not plain data
    assert t.numbers()[:4] == [1, 2.5, "three", None]   # a tuple of plain data is


def test_member_names(things):
    t = things.root("Thing")(2)
    assert t.GetTotalCount() == 42 and t.gettotalcount() == 42 and t.get_total_count() == 42
    assert t.Double.get() == 4 and t.LABEL.get() == "thing"
    assert t.set_rate(3) == 3.0 and t.setRate(3) == -1.0           # exact names first
    e = refused(errors.PROXY_UNKNOWN_MEMBER, t.SetRate, 3)           # then ambiguous
    assert "ambiguous" in e.message
    e = refused(0, t.broken.get)                        # the getter's own AttributeError
    assert e.type == "AttributeError" and "getter itself" in e.message
    t.Rate = 9                                          # set_attr matches like get_attr
    assert t.rate.get() == 9
    # .NET's System.Object members are refused, unless the object has such a member itself
    refused(errors.PROXY_FORBIDDEN, t.GetHashCode)
    refused(errors.PROXY_FORBIDDEN, t.Equals, t)
    assert t.ToString() == "Thing(2)"


def test_references_as_arguments_everywhere(things):
    Thing = things.root("Thing")
    a, b, c = Thing(1), Thing(2), Thing(3)
    assert a.take(b) == 2 and a.take(thing=c, scale=2) == 6 and a.take(b, scale=0.5) == 1.0
    assert a.gather([a, b], {"z": c, "y": a}) == [1, 2, 1, 3]
    assert a.gather(things=[c], by_name={"k": b}) == [3, 2]
    # ordinary endpoints take references too
    assert things.call("describe", a, others=[b, Thing]) == "Thing,Thing,type"
    assert things.call("describe", obj=things.root("data")) == "ndarray"


def test_proxy_operations_are_tasks(things):
    t = things.root("Thing")()
    h = t.talk_async(["first line", "second line"])
    assert h.get() == 2
    assert h.record["log"] == ["first line", "second line"] and h.record["endpoint"] == "mesh.call_method"
    h = t.spin_async(30.0)
    time.sleep(0.1)
    assert h.cancel()
    with pytest.raises(mesh.TaskCancelledError):
        h.get(5)
    h = things.submit("mesh.call_method", kwargs={"target": t, "name": "spin", "args": [30.0]},
                      timeout=0.2, priority=9)
    with pytest.raises(mesh.TaskTimeoutError):
        h.get(5)
    assert t.total(np.arange(5000.0)) == float(np.arange(5000.0).sum())


# ------------------------------------------------------------------------------ scale, leases


def test_100k_proxies_created_and_released():
    k = mesh.launch(CONFORMANCE_KERNEL, kernel_id="py-proxy-100k", env={"MESH_MAX_CONCURRENCY": "1"})
    try:
        with k.client() as c:
            Counter = c.root("Counter")
            t0 = time.monotonic()
            handles = [c.submit("mesh.call", kwargs={"target": Counter}, proxies=True)
                       for _ in range(100_000)]
            proxies = [h.get(120) for h in handles]
            del handles
            assert c.objects() == {"objects": 100_001, "sessions": 1}
            assert len({mesh.ref_of(p).object_id for p in proxies}) == 100_000
            del proxies                                  # 100 000 finalizers queue their ids
            Counter.release()
            assert c.flush_releases(60)
            assert c.objects() == {"objects": 0, "sessions": 0}
            print("100k proxies: %.1f s" % (time.monotonic() - t0))
    finally:
        assert k.shutdown(grace=0.5, timeout=5.0) == 0, k.log_tail()


_HOLDER = r"""
import sys, time
sys.path.insert(0, sys.argv[2])
import mesh
client = mesh.Client.from_connection_file(sys.argv[1])
Counter = client.root("Counter")
handles = [client.submit("mesh.call", kwargs={"target": Counter}, proxies=True) for _ in range(1000)]
held = [h.get(30) for h in handles]
print("holding", len(held), flush=True)
time.sleep(120)
"""


def test_killed_client_is_released_after_the_lease():
    lease = 2.0
    k = mesh.launch(CONFORMANCE_KERNEL, kernel_id="py-lease", env={"MESH_PROXY_LEASE": str(lease)})
    child = None
    try:
        with k.client() as quiet, k.client() as watcher:
            Counter = quiet.root("Counter")
            kept = Counter(41)                          # `quiet` now sends only heartbeats
            quiet_since = time.monotonic()
            child = subprocess.Popen([sys.executable, "-c", _HOLDER, k.client_connection_file,
                                      PYTHON_ROOT], stdout=subprocess.PIPE, text=True)
            assert child.stdout.readline().strip() == "holding 1000"
            assert watcher.objects() == {"objects": 1002, "sessions": 2}
            child.send_signal(signal.SIGKILL)
            child.wait(5)
            killed = time.monotonic()
            while watcher.objects()["objects"] != 2:
                assert time.monotonic() - killed < lease + 1.5, watcher.objects()
                time.sleep(0.05)
            # a client that only heartbeats keeps its references past the lease
            time.sleep(max(0.0, quiet_since + lease + 0.5 - time.monotonic()))
            assert kept.add(1) == 42
            assert watcher.objects() == {"objects": 2, "sessions": 1}
    finally:
        if child is not None and child.poll() is None:
            child.kill()
        assert k.shutdown(grace=0.5, timeout=5.0) == 0, k.log_tail()


# ------------------------------------------------------------------------------ ogmacro


def test_ogmacro_model_used_remotely():
    from ogmacro import api
    params = {"S": 40}
    local = api.Model(params, backend="builtin")
    expected = local.solve_steady_state()
    k = mesh.launch("ogmacro.kernel", kernel_id="py-macro", cwd=PYTHON_ROOT)
    try:
        with k.client() as c:
            Model = c.root("Model")
            og = Model(params, backend="builtin")
            assert og.backend.get() == "builtin" and og.params.get() == params
            assert og.steady_state.get() is None
            ss = og.solve_steady_state()
            assert set(ss) == set(expected)
            for key, value in expected.items():
                if key == "solve_time":
                    continue
                if isinstance(value, np.ndarray):
                    assert np.allclose(ss[key], value, rtol=1e-12, atol=0), key
                elif isinstance(value, dict):
                    assert set(ss[key]) == set(value), key
                else:
                    assert ss[key] == pytest.approx(value, rel=1e-12), key
            assert og.steady_state.get()["Y"] == ss["Y"]
            og.update_params({"beta_annual": 0.97})
            assert og.steady_state.get() is None and og.params.get() == dict(params, beta_annual=0.97)
            assert og.solve_steady_state()["Y"] != ss["Y"]
            e = refused(0, Model, {"S": -3})
            assert e.type.endswith("Error") and e.traceback
            assert "Model" in repr(og)
            og.release()
            Model.release()
            assert settle(c, 0)["objects"] == 0
    finally:
        assert k.shutdown(grace=0.5, timeout=5.0) == 0, k.log_tail()
