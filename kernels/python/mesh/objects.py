"""Remote objects, kernel side: exports, the object table, leases and the ``mesh.*`` endpoints
(docs/protocol.md section 9).

* :class:`ObjectTable` holds every object a session has a reference to, under ids from a counter
  that starts at 1 and never goes back. Each reference handed to a session (the header
  ``session``) counts once for that session; ``mesh.release`` takes one count back; an object
  leaves the table when no session holds it. A session's lease is renewed by each of its
  messages (:meth:`ObjectTable.touch`, health requests too); :meth:`ObjectTable.sweep` releases
  everything a session holds once it has been silent longer than the lease.
* The reserved endpoints (:meth:`ObjectTable.endpoints`) are ordinary endpoints: they are queued,
  prioritised, cancelled and logged like any task. References in a request are replaced by their
  objects on the kernel's main thread, when the submit arrives (:meth:`ObjectTable.resolve`);
  the operations run on workers.
* The allow-list (section 9.2): only exported roots are reachable by name; member names that
  start with ``_`` are refused, and so are the names of .NET's ``System.Object`` members
  (``GetType``, ``ToString``, ...) when the object has no public member of that name itself, so
  that a .NET client's reflection probes are refused as they are by the .NET kernel. Results
  that are classes, modules, functions, methods, code, frames or other interpreter machinery are
  refused unless they are exported roots; a class is refused even when exported (an exported
  class is reached through ``mesh.root`` only, as in .NET, where a method can return a
  ``System.Type`` but never the exported type root). A member name matches exactly first, then
  ignoring case and underscores (``SetRate`` finds ``set_rate``).
* A result is returned by value when it is plain data (:func:`is_plain`), else registered and
  returned as a :class:`mesh.Ref`.
"""

import datetime as _dt
import functools
import inspect
import itertools
import os
import sys
import threading
import time
import types
import typing

import msgpack
import numpy as np

from .codec import dtype_name
from .endpoint import BindError, Endpoint
from .errors import (BAD_ARGUMENTS, PROXY_FORBIDDEN, PROXY_NOT_DATA, PROXY_NOT_EXPORTED,
                     PROXY_UNKNOWN_MEMBER, PROXY_UNKNOWN_OBJECT, code_name, error_map)
from .ref import Ref
from .table import Table

DEFAULT_LEASE = 30.0
RESERVED_PREFIX = "mesh."
_MAX_DEPTH = 64
_CACHE_LIMIT = 4096


class OperationError(Exception):
    """A refused proxy operation, reported with its reserved ``code`` and no traceback."""

    def __init__(self, code, message):
        super().__init__(message)
        self.code = code
        self.message = message

    def to_map(self):
        return error_map(code_name(self.code), self.message, self.code)


def lease_from_env(default=DEFAULT_LEASE):
    """``MESH_PROXY_LEASE`` in seconds (a positive number), else ``default``."""
    text = os.environ.get("MESH_PROXY_LEASE", "").strip()
    if not text:
        return default
    try:
        value = float(text)
        if value > 0:
            return value
    except ValueError:
        pass
    print("mesh: ignoring MESH_PROXY_LEASE=%r (seconds > 0 expected)" % text, file=sys.stderr)
    return default


# ------------------------------------------------------------------------------ plain data

_SCALARS = frozenset((type(None), bool, int, float, str, bytes, _dt.datetime, msgpack.Timestamp))


def is_plain(value, depth=0):
    """True when ``value`` is plain data, returned by value (section 9.3): None, bool, int,
    float, str, bytes, datetime, numpy arrays of a protocol dtype, :class:`mesh.Table`, and
    lists/tuples/dicts made only of those (at most 64 levels deep)."""
    t = type(value)
    if t in _SCALARS:
        return True
    if t is list or t is tuple:
        types_ = set(map(type, value))
        if types_ <= _SCALARS:
            return True
        if depth >= _MAX_DEPTH:
            return False
        return all(is_plain(x, depth + 1) for x in value)
    if t is dict:
        if depth >= _MAX_DEPTH:
            return False
        if not set(map(type, value)) <= _SCALARS:
            return False
        if set(map(type, value.values())) <= _SCALARS:
            return True
        return all(is_plain(x, depth + 1) for x in value.values())
    if t is np.ndarray:
        return value.dtype.kind in "biuf" and dtype_name(value.dtype) is not None
    if isinstance(value, Table):
        return True
    if isinstance(value, np.generic):
        return value.dtype.kind in "biuf" and dtype_name(value.dtype) is not None
    if isinstance(value, (bool, int, float, str, bytes, _dt.datetime)):
        return True  # subclasses (IntEnum, str enums, ...) encode as their base type
    if isinstance(value, (list, tuple, dict)):  # namedtuples, OrderedDict, ...
        return is_plain(dict(value) if isinstance(value, dict) else list(value), depth)
    return False


# ------------------------------------------------------------------------------ allow-list

# Interpreter machinery never handed out: classes (always), and modules, functions and methods
# of every kind, descriptors, code, frames, tracebacks, cells and class namespaces unless they
# are exported roots.
_MACHINERY = (type, types.ModuleType, types.FunctionType, types.BuiltinFunctionType,
              types.MethodType, types.MethodWrapperType, types.WrapperDescriptorType,
              types.MethodDescriptorType, types.ClassMethodDescriptorType,
              types.GetSetDescriptorType, types.MemberDescriptorType, types.CodeType,
              types.FrameType, types.TracebackType, types.CellType, types.MappingProxyType,
              property, staticmethod, classmethod, functools.partial, super)
_METHODS = (types.FunctionType, types.BuiltinFunctionType, types.MethodType,
            types.MethodDescriptorType, types.WrapperDescriptorType, types.MethodWrapperType,
            types.ClassMethodDescriptorType, staticmethod, classmethod, functools.partial)
# Public members that a class object gets from its metaclass ``type`` (the root object type of
# classes), refused like ``object``'s dunders.
_TYPE_MEMBERS = frozenset(n for n in dir(type) if not n.startswith("_"))
# .NET's System.Object members (normalized): refused when the object has no such member itself.
_DOTNET_OBJECT_MEMBERS = frozenset(("gettype", "gethashcode", "equals", "tostring",
                                    "memberwiseclone", "finalize", "referenceequals"))


def _capital(text):
    return text[:1].upper() + text[1:]


def _normalize(name):
    return name.replace("_", "").lower()


def _type_name(obj):
    if isinstance(obj, (type, types.FunctionType, types.BuiltinFunctionType)):
        return getattr(obj, "__qualname__", None) or getattr(obj, "__name__", "") or type(obj).__name__
    return type(obj).__qualname__


def _describe(obj):
    if isinstance(obj, type):
        return "class %s" % obj.__qualname__
    if isinstance(obj, types.ModuleType):
        return "module %s" % obj.__name__
    return "a %s object" % type(obj).__qualname__


# ------------------------------------------------------------------------------ table


class ObjectTable:
    """The objects a kernel hands out, per-session reference counts, leases and the ``mesh.*``
    operations. Thread-safe: the main thread resolves references and sweeps leases, workers run
    operations, the health thread renews leases."""

    def __init__(self, kernel_id, exports, lease=DEFAULT_LEASE):
        self.kernel_id = kernel_id
        self.exports = dict(exports)
        self.lease = float(lease)
        self._root_ids = {id(obj) for obj in self.exports.values()}
        self._lock = threading.Lock()
        self._objects = {}       # object id -> [object, type name, number of sessions holding it]
        self._by_identity = {}   # id(object) -> object id, while the object is in the table
        self._sessions = {}      # session -> {object id: references held}
        self._ids = itertools.count(1)
        self.last_seen = {}      # session -> time.monotonic() of its last message
        self._binders = {}       # callable key -> Endpoint (argument binding) or None
        self._members = {}       # class (or class object) -> {normalized name: [names]}

    # ---------------------------------------------------------------------- leases

    def touch(self, session, now=None):
        """Renews ``session``'s lease (called for every message received, on any thread)."""
        self.last_seen[session] = time.monotonic() if now is None else now

    def sweep(self, now=None):
        """Releases every reference of the sessions silent for longer than the lease; returns
        how many sessions expired."""
        now = time.monotonic() if now is None else now
        lease = self.lease
        last_seen = self.last_seen
        expired = [s for s, t in list(last_seen.items()) if now - t > lease]
        for session in expired:
            # A message that renewed the lease meanwhile wins.
            t = last_seen.get(session)
            if t is not None and now - t > lease:
                last_seen.pop(session, None)
                self.release_session(session)
        return len(expired)

    # ---------------------------------------------------------------------- table

    def counts(self):
        """``{objects, sessions}``: live objects and sessions holding at least one."""
        with self._lock:
            return {"objects": len(self._objects), "sessions": len(self._sessions)}

    def register(self, obj, session):
        """Hands ``session`` one reference to ``obj`` (the same id while ``obj`` stays in the
        table); returns the :class:`Ref`."""
        with self._lock:
            oid = self._by_identity.get(id(obj))
            if oid is None:
                oid = next(self._ids)
                entry = [obj, _type_name(obj), 0]
                self._objects[oid] = entry
                self._by_identity[id(obj)] = oid
            else:
                entry = self._objects[oid]
            held = self._sessions.get(session)
            if held is None:
                held = self._sessions[session] = {}
            n = held.get(oid, 0)
            if n == 0:
                entry[2] += 1
            held[oid] = n + 1
        if session not in self.last_seen:
            self.last_seen[session] = time.monotonic()
        return Ref(oid, entry[1], self.kernel_id)

    def release(self, session, ids):
        """Takes back one of ``session``'s references per id listed; unknown ids are ignored."""
        dropped = []
        with self._lock:
            held = self._sessions.get(session)
            if held is None:
                return
            for oid in ids:
                n = held.get(oid)
                if n is None:
                    continue
                if n > 1:
                    held[oid] = n - 1
                    continue
                del held[oid]
                self._drop(oid, dropped)
            if not held:
                del self._sessions[session]
        del dropped  # the objects' finalizers run here, outside the lock

    def release_session(self, session):
        """Releases every reference ``session`` holds."""
        dropped = []
        with self._lock:
            held = self._sessions.pop(session, None)
            if held:
                for oid in held:
                    self._drop(oid, dropped)
        del dropped

    def _drop(self, oid, dropped):
        entry = self._objects[oid]
        entry[2] -= 1
        if entry[2] == 0:
            del self._objects[oid]
            del self._by_identity[id(entry[0])]
            dropped.append(entry[0])

    def lookup(self, ref):
        """The object ``ref`` stands for; :class:`OperationError` PROXY_UNKNOWN_OBJECT if none."""
        if ref.kernel_id != self.kernel_id:
            raise OperationError(PROXY_UNKNOWN_OBJECT, "reference to object %d (%s) belongs to "
                                 "kernel %r, not to kernel %r"
                                 % (ref.object_id, ref.type_name, ref.kernel_id, self.kernel_id))
        entry = self._objects.get(ref.object_id)
        if entry is None:
            raise OperationError(PROXY_UNKNOWN_OBJECT, "kernel %s has no object %d (%s): it was "
                                 "released, its lease expired, or it never existed"
                                 % (self.kernel_id, ref.object_id, ref.type_name or "?"))
        return entry[0]

    def resolve(self, value):
        """Replaces every :class:`Ref` in ``value`` (lists and maps, at any depth, in place)
        by its object; returns the result."""
        t = type(value)
        if t is Ref:
            return self.lookup(value)
        if t is list:
            kinds = set(map(type, value))
            if Ref in kinds or list in kinds or dict in kinds:
                for i, x in enumerate(value):
                    tx = type(x)
                    if tx is Ref or tx is list or tx is dict:
                        value[i] = self.resolve(x)
            return value
        if t is dict:
            kinds = set(map(type, value.values()))
            if Ref in kinds or list in kinds or dict in kinds:
                for k, x in value.items():
                    tx = type(x)
                    if tx is Ref or tx is list or tx is dict:
                        value[k] = self.resolve(x)
            if Ref in set(map(type, value)):
                try:
                    items = [(self.lookup(k) if type(k) is Ref else k, v) for k, v in value.items()]
                    value.clear()
                    value.update(items)
                except TypeError as e:
                    raise OperationError(BAD_ARGUMENTS, "a map key refers to an object that "
                                         "cannot be a key: %s" % e) from None
            return value
        return value

    def prepare(self, endpoint, values, has_refs):
        """Readies the bound arguments of a ``mesh.*`` endpoint (main thread, at submit):
        ``target`` must be a reference and becomes its object; references in the other
        arguments become their objects."""
        if "target" in values:
            target = values["target"]
            if type(target) is not Ref:
                raise OperationError(BAD_ARGUMENTS, "argument 'target' of %s must be a reference "
                                     "(ext 3), got %s" % (endpoint, type(target).__name__))
            values["target"] = self.lookup(target)
        if has_refs and endpoint != "mesh.release":
            for key in ("args", "kwargs", "value", "key"):
                if key in values:
                    values[key] = self.resolve(values[key])

    # ---------------------------------------------------------------------- results

    def _check_result(self, value, what):
        if not isinstance(value, _MACHINERY):
            return
        if isinstance(value, type):
            raise OperationError(PROXY_FORBIDDEN, "%s is %s: classes are not handed out as "
                                 "results (an exported class is reached through mesh.root)"
                                 % (what, _describe(value)))
        if id(value) not in self._root_ids:
            raise OperationError(PROXY_FORBIDDEN, "%s is %s: modules, functions, methods, code "
                                 "and frames are not handed out unless exported"
                                 % (what, _describe(value)))

    def result(self, value, ctx, what="the result"):
        """``value`` by value when plain data, else registered for the task's session."""
        if is_plain(value):
            return value
        self._check_result(value, what)
        return self._register_for(value, ctx)

    def _register_for(self, value, ctx):
        ref = self.register(value, ctx.session)
        if ctx.proxy_ids is None:
            ctx.proxy_ids = [ref.object_id]
        else:
            ctx.proxy_ids.append(ref.object_id)
        return ref

    # ---------------------------------------------------------------------- members

    def _candidates(self, target, norm):
        """The public member names of ``target`` whose normalized form is ``norm``: from its
        class (indexed once per class) and from its instance ``__dict__``."""
        is_class = isinstance(target, (type, types.ModuleType))
        key = target if is_class else type(target)
        index = self._members.get(key)
        if index is None:
            index = {}
            for n in dir(key):
                if n[:1] != "_" and not (n in _TYPE_MEMBERS and isinstance(target, type)):
                    index.setdefault(_normalize(n), []).append(n)
            if len(self._members) >= _CACHE_LIMIT:
                self._members.clear()
            self._members[key] = index
        names = index.get(norm, ())
        if not is_class:
            inst = getattr(target, "__dict__", None)
            if type(inst) is dict:
                extra = [n for n in inst if type(n) is str and n[:1] != "_"
                         and n not in names and _normalize(n) == norm]
                if extra:
                    names = list(names) + extra
        return names

    def _check_name(self, target, name):
        if not name:
            raise OperationError(BAD_ARGUMENTS, "member name must not be empty")
        if name[0] == "_":
            raise OperationError(PROXY_FORBIDDEN, "member %r of %s is not reachable: names that "
                                 "start with '_' are private" % (name, _describe(target)))
        if isinstance(target, type) and name in _TYPE_MEMBERS:
            raise OperationError(PROXY_FORBIDDEN, "member %r of %s belongs to Python's type "
                                 "machinery" % (name, _describe(target)))

    def _find(self, target, name):
        """The real member name for ``name``: exact, else ignoring case and underscores."""
        names = self._candidates(target, _normalize(name))
        if name in names:
            return name
        if len(names) == 1:
            return names[0]
        if names:
            raise OperationError(PROXY_UNKNOWN_MEMBER, "member name %r of %s is ambiguous: %s"
                                 % (name, _describe(target), ", ".join(sorted(names))))
        if _normalize(name) in _DOTNET_OBJECT_MEMBERS:
            raise OperationError(PROXY_FORBIDDEN, "%r is a member of .NET's System.Object "
                                 "(runtime machinery), not of %s" % (name, _describe(target)))
        raise OperationError(PROXY_UNKNOWN_MEMBER, "%s has no public member %r"
                             % (_capital(_describe(target)), name))

    def member(self, target, name):
        """``(real name, value)`` of a public member of ``target``."""
        self._check_name(target, name)
        try:
            return name, getattr(target, name)
        except AttributeError:
            if name in self._candidates(target, _normalize(name)):
                raise  # the member exists: its getter raised AttributeError itself
        real = self._find(target, name)
        return real, getattr(target, real)

    # ---------------------------------------------------------------------- calls

    def _binder(self, fn, label):
        if isinstance(fn, types.MethodType):
            key = fn.__func__
        elif isinstance(fn, types.BuiltinMethodType) and not isinstance(fn.__self__, types.ModuleType):
            key = (type(fn.__self__), fn.__name__)
        elif isinstance(fn, (type, types.FunctionType, types.BuiltinFunctionType)):
            key = fn
        else:
            key = type(fn)
        try:
            return self._binders[key]
        except (KeyError, TypeError):
            pass
        try:
            binder = Endpoint(label, fn, kind="method", ctx_by_name=False)
        except (TypeError, ValueError):
            binder = None  # no signature (some builtins): called as given
        if len(self._binders) >= _CACHE_LIMIT:
            self._binders.clear()
        try:
            self._binders[key] = binder
        except TypeError:
            pass
        return binder

    def invoke(self, fn, label, args, kwargs, ctx):
        """Calls ``fn`` with wire arguments bound like an endpoint's (BAD_ARGUMENTS on misfit)."""
        args = [] if args is None else args
        kwargs = {} if kwargs is None else kwargs
        for k in kwargs:
            if type(k) is not str:
                raise OperationError(BAD_ARGUMENTS, "kwargs of %s must have str keys, got %r"
                                     % (label, k))
        binder = self._binder(fn, label)
        if binder is None:
            return fn(*args, **kwargs)
        try:
            call_args, call_kwargs = binder.bind(args, kwargs)
        except BindError as e:
            raise OperationError(BAD_ARGUMENTS, str(e)) from None
        if binder.ctx_name is not None:
            call_kwargs[binder.ctx_name] = ctx
        return fn(*call_args, **call_kwargs)

    # ---------------------------------------------------------------------- operations

    def endpoints(self):
        """The reserved endpoints of section 9.3, name -> :class:`Endpoint`."""
        Opt = typing.Optional
        table = self

        def root(name: str, ctx):
            """A reference to the exported root ``name``."""
            try:
                obj = table.exports[name]
            except KeyError:
                raise OperationError(PROXY_NOT_EXPORTED, "kernel %s exports no %r (exports: %s)"
                                     % (table.kernel_id, name,
                                        ", ".join(sorted(table.exports)) or "none")) from None
            return table._register_for(obj, ctx)

        def call(target, args: Opt[list] = None, kwargs: Opt[dict] = None, ctx=None):
            """Calls the object itself (constructs an exported class, calls a callable)."""
            if not callable(target):
                raise OperationError(PROXY_FORBIDDEN, "%s cannot be called (only classes and "
                                     "callables can)" % _describe(target))
            label = _type_name(target)
            return table.result(table.invoke(target, label, args, kwargs, ctx), ctx)

        def call_method(target, name: str, args: Opt[list] = None, kwargs: Opt[dict] = None,
                        ctx=None):
            """Calls the method ``name`` of the object."""
            real, fn = table.member(target, name)
            if not callable(fn):
                raise OperationError(PROXY_UNKNOWN_MEMBER, "member %r of %s is not a method "
                                     "(it is an attribute: use get_attr)" % (real, _describe(target)))
            label = "%s.%s" % (_type_name(target), real)
            return table.result(table.invoke(fn, label, args, kwargs, ctx), ctx,
                                "the result of %s" % label)

        def get_attr(target, name: str, ctx):
            """The value of the attribute or property ``name``."""
            real, value = table.member(target, name)
            return table.result(value, ctx, "member %r of %s" % (real, _describe(target)))

        def set_attr(target, name: str, value, ctx):
            """Assigns the attribute or property ``name``; the member must exist."""
            table._check_name(target, name)
            real = table._find(target, name)
            static = inspect.getattr_static(target, real, None)
            if isinstance(static, _METHODS):
                raise OperationError(PROXY_FORBIDDEN, "member %r of %s is a method and cannot "
                                     "be assigned" % (real, _describe(target)))
            setattr(target, real, value)

        def get_item(target, key, ctx):
            """``target[key]``."""
            if not hasattr(type(target), "__getitem__"):
                raise OperationError(PROXY_UNKNOWN_MEMBER, "%s has no items"
                                     % _capital(_describe(target)))
            return table.result(target[key], ctx, "item %r of %s" % (key, _describe(target)))

        def set_item(target, key, value, ctx):
            """``target[key] = value``."""
            if not hasattr(type(target), "__setitem__"):
                raise OperationError(PROXY_UNKNOWN_MEMBER, "%s does not support item assignment"
                                     % _capital(_describe(target)))
            target[key] = value

        def deref(target):
            """The object's value, copied (plain data only)."""
            if not is_plain(target):
                raise OperationError(PROXY_NOT_DATA, "%s is not plain data (only nil, bool, "
                                     "numbers, str, bin, timestamps, ndarrays, tables and "
                                     "arrays/maps of them are)" % _capital(_describe(target)))
            return target

        def release(ids, ctx):
            """Takes back one reference per id listed (unknown ids are ignored)."""
            if isinstance(ids, np.ndarray):
                # a typed array of ids (what a .NET ulong[] becomes on the wire: ext 1 uint64)
                if ids.ndim != 1 or ids.dtype.kind not in "ui" or (ids.size and ids.min() < 0):
                    raise OperationError(BAD_ARGUMENTS, "ids must be a 1-D array of uint, got "
                                         "ndarray %s%s" % (ids.dtype, list(ids.shape)))
                table.release(ctx.session, ids.tolist())
                return
            if type(ids) is not list:
                raise OperationError(BAD_ARGUMENTS, "ids must be an array of uint, got %s"
                                     % type(ids).__name__)
            out = []
            for i in ids:
                if type(i) is Ref:
                    i = i.object_id
                if type(i) is not int or i < 0:
                    raise OperationError(BAD_ARGUMENTS, "ids must be an array of uint, got %r" % (i,))
                out.append(i)
            table.release(ctx.session, out)

        def objects():
            """The live table sizes: ``{objects, sessions}``."""
            return table.counts()

        ops = {"root": root, "call": call, "call_method": call_method, "get_attr": get_attr,
               "set_attr": set_attr, "get_item": get_item, "set_item": set_item, "deref": deref,
               "release": release, "objects": objects}
        out = {}
        for n, fn in ops.items():
            ep = Endpoint(RESERVED_PREFIX + n, fn)
            for p in ep.params:
                if p.name == "target":
                    p.type_name = "ref"  # for kernel_info: the parameter takes a reference
                elif p.name == "ids":
                    p.type_name = "array of uint"
            out[ep.name] = ep
        return out
