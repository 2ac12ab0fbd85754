"""Remote objects, client side: proxies for references (docs/protocol.md section 9).

    Counter = client.root("Counter")       # RemoteObject for an exported class
    c = Counter(5)                         # mesh.call: construct, get a RemoteObject
    c.add(2)                               # mesh.call_method -> 7
    c.value.get()                          # mesh.get_attr -> 7
    c.value = 10                           # mesh.set_attr
    c.snapshot()                           # plain data comes back by value: {"value": 10}
    c.release()                            # or `with Counter(5) as c:`, or just drop it

Attribute access cannot tell a property from a method before it is used, so ``proxy.name``
returns a :class:`RemoteMember` without any I/O: call it for a method (``mesh.call_method``), or
``.get()`` it for the attribute's value (``mesh.get_attr``). Members chain:
``calc.policy.rate.get()`` and ``calc.policy.rate = 0.3`` fetch ``calc.policy`` first.
Results are values when plain data, else new :class:`RemoteObject` proxies.

Every proxy holds one reference count in the kernel. It is given back when the proxy is released
or garbage collected: the finalizer only queues the id; the client's I/O thread sends queued ids
in batches (``mesh.release``). Proxies passed as arguments travel as their reference.
"""

from .errors import PROXY_UNKNOWN_OBJECT, ProxyUnknownObjectError
from .ref import Ref, Referent

_ASYNC_SUFFIXES = ("_async", "Async")


def _strip_async(name):
    for suffix in _ASYNC_SUFFIXES:
        if name.endswith(suffix) and len(name) > len(suffix):
            return name[:-len(suffix)]
    return None


class RemoteObject(Referent):
    """A proxy for an object in a kernel (one reference count, given back on release).

    ``proxy.name`` -> :class:`RemoteMember` (call it, or ``.get()`` it); ``proxy.name = v``
    -> set_attr; ``proxy(...)`` -> call; ``proxy[key]`` / ``proxy[key] = v`` -> get_item /
    set_item; :meth:`deref` -> the value (plain data only); :meth:`release` or ``with proxy:``.
    A remote member whose name is ``deref``, ``release`` or ``member`` is reached with
    ``proxy.member("release")``. ``mesh.ref_of(proxy)`` is the :class:`mesh.Ref` it holds.
    """

    __slots__ = ("_client", "_ref", "_released", "__weakref__")

    def __init__(self, client, ref):
        object.__setattr__(self, "_client", client)
        object.__setattr__(self, "_ref", ref)
        object.__setattr__(self, "_released", False)

    # ---------------------------------------------------------------------- references

    def __mesh_ref__(self):
        """The reference this proxy holds; raises PROXY_UNKNOWN_OBJECT once released."""
        if self._released:
            raise _released_error(self._ref)
        return self._ref

    def release(self):
        """Gives the reference back now (idempotent); later use raises PROXY_UNKNOWN_OBJECT."""
        if not self._released:
            object.__setattr__(self, "_released", True)
            self._client._queue_release(self._ref.object_id, wake=True)

    def __del__(self):
        # Finalizers may run on any thread, at any time (even inside the client's locks): only
        # queue the id; the I/O thread sends it.
        try:
            if not self._released:
                object.__setattr__(self, "_released", True)
                self._client._releases.append(self._ref.object_id)
        except Exception:
            pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.release()

    # ---------------------------------------------------------------------- operations

    def member(self, name):
        """The :class:`RemoteMember` ``name`` (for names this class uses itself)."""
        return RemoteMember(self, name)

    def __getattr__(self, name):
        if name.startswith("_"):
            raise AttributeError(name)
        return RemoteMember(self, name)

    def __setattr__(self, name, value):
        if name.startswith("_"):
            raise AttributeError("cannot set %r on a RemoteObject" % name)
        self._client._proxy_op("mesh.set_attr", {"target": self, "name": name, "value": value})

    def __call__(self, *args, **kwargs):
        """``mesh.call``: constructs an exported class, or calls a callable object."""
        return self._client._proxy_op("mesh.call", {"target": self, "args": list(args),
                                                     "kwargs": kwargs})

    def __getitem__(self, key):
        return self._client._proxy_op("mesh.get_item", {"target": self, "key": key})

    def __setitem__(self, key, value):
        self._client._proxy_op("mesh.set_item", {"target": self, "key": key, "value": value})

    def deref(self):
        """The object's value, copied (plain data only, else PROXY_NOT_DATA)."""
        return self._client._proxy_op("mesh.deref", {"target": self})

    def __iter__(self):
        # Without this, Python would iterate by calling __getitem__(0), (1), ... remotely.
        raise TypeError("a RemoteObject is not iterable: deref() it, or index it explicitly")

    def __repr__(self):
        r = self._ref
        return "<RemoteObject %s #%d on %s%s>" % (r.type_name or "?", r.object_id, r.kernel_id,
                                                  " (released)" if self._released else "")

    # Pickling or copying a proxy would duplicate one reference count.
    def __reduce__(self):
        raise TypeError("a RemoteObject cannot be pickled or copied; pass it to the kernel "
                        "as an argument instead")


class RemoteMember:
    """The member ``name`` of a proxy, not fetched yet.

    Call it: ``mesh.call_method`` (``name_async(...)`` / ``NameAsync(...)`` or :meth:`submit`
    submit without waiting and return a :class:`mesh.TaskHandle`). ``get()``: ``mesh.get_attr``.
    Attribute access, assignment and items chain through :meth:`get`.
    """

    __slots__ = ("_owner", "_name")

    def __init__(self, owner, name):
        object.__setattr__(self, "_owner", owner)
        object.__setattr__(self, "_name", name)

    def _target(self):
        owner = self._owner
        if isinstance(owner, RemoteMember):
            owner = owner.get()
            if not isinstance(owner, RemoteObject):
                raise TypeError("%r is a value (%s), not a remote object"
                                % (self._owner, type(owner).__name__))
        return owner

    def get(self):
        """``mesh.get_attr``: the attribute's value, or a :class:`RemoteObject`."""
        target = self._target()
        return target._client._proxy_op("mesh.get_attr", {"target": target, "name": self._name})

    def submit(self, *args, **kwargs):
        """``mesh.call_method`` without waiting; returns a :class:`mesh.TaskHandle` whose
        result is converted like a call's (references become proxies)."""
        return self._submit(self._name, args, kwargs)

    def _submit(self, name, args, kwargs):
        target = self._target()
        return target._client.submit(
            "mesh.call_method", (), {"target": target, "name": name, "args": list(args),
                                     "kwargs": kwargs}, proxies=True)

    def __call__(self, *args, **kwargs):
        stripped = _strip_async(self._name)
        if stripped is not None:
            return self._submit(stripped, args, kwargs)
        target = self._target()
        return target._client._proxy_op("mesh.call_method", {
            "target": target, "name": self._name, "args": list(args), "kwargs": kwargs})

    def __getattr__(self, name):
        if name.startswith("_"):
            raise AttributeError(name)
        return RemoteMember(self, name)

    def __setattr__(self, name, value):
        if name.startswith("_"):
            raise AttributeError("cannot set %r on a RemoteMember" % name)
        setattr(self.get(), name, value)

    def __getitem__(self, key):
        return self.get()[key]

    def __setitem__(self, key, value):
        self.get()[key] = value

    def __repr__(self):
        return "<RemoteMember %r of %r>" % (self._name, self._owner)

    def __bool__(self):
        raise TypeError("a RemoteMember has no truth value: call it or use .get()")

    def __iter__(self):
        raise TypeError("a RemoteMember is not iterable: call it or use .get()")


def ref_of(proxy):
    """The :class:`mesh.Ref` a proxy holds (raises PROXY_UNKNOWN_OBJECT once released)."""
    return proxy.__mesh_ref__()


def _released_error(ref):
    return ProxyUnknownObjectError(
        "PROXY_UNKNOWN_OBJECT", "proxy for %s #%d on kernel %s was released; it can no longer "
        "be used" % (ref.type_name or "object", ref.object_id, ref.kernel_id), (),
        PROXY_UNKNOWN_OBJECT)


def adopt(client, value, depth=0):
    """``value`` with every :class:`Ref` in it replaced by a :class:`RemoteObject` of ``client``
    (each reference received is one count the proxy gives back)."""
    t = type(value)
    if t is Ref:
        return client._new_proxy(value)
    if depth > 64:
        return value
    if t is list:
        kinds = set(map(type, value))
        if Ref in kinds or list in kinds or dict in kinds:
            return [adopt(client, x, depth + 1) for x in value]
        return value
    if t is dict:
        kinds = set(map(type, value.values()))
        if Ref in kinds or list in kinds or dict in kinds:
            return {k: adopt(client, x, depth + 1) for k, x in value.items()}
        return value
    return value


__all__ = ["RemoteMember", "RemoteObject", "adopt", "ref_of"]
