"""Endpoints: a handler function, its parameters, and argument binding (section 6.2).

Binding follows the protocol: positional arguments first, then named ones; a parameter given
both ways, a missing required parameter, a surplus argument, or a value that cannot be converted
to the parameter's annotated type is a :class:`BindError` whose message names the parameter.
"""

import datetime as _dt
import inspect
import typing

import numpy as np

from .context import TaskContext
from .table import Table

_EMPTY = inspect.Parameter.empty
_POSITIONAL = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)


class BindError(Exception):
    """Arguments that do not fit an endpoint's signature (wire code BAD_ARGUMENTS)."""


# ---------------------------------------------------------------------------- converters


def _is_number(v):
    return isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, (bool, np.bool_))


def _to_float(v):
    if _is_number(v):
        return float(v)
    raise TypeError("expected a number")


def _to_int(v):
    if isinstance(v, (int, np.integer)) and not isinstance(v, (bool, np.bool_)):
        return int(v)
    if isinstance(v, (float, np.floating)) and float(v).is_integer():
        return int(v)
    raise TypeError("expected an integer")


def _to_bool(v):
    if isinstance(v, (bool, np.bool_)):
        return bool(v)
    raise TypeError("expected a bool")


def _to_str(v):
    if isinstance(v, str):
        return v
    raise TypeError("expected a str")


def _to_bytes(v):
    if isinstance(v, (bytes, bytearray, memoryview)):
        return bytes(v)
    raise TypeError("expected bin")


def _to_list(v):
    if isinstance(v, (list, tuple)):
        return list(v)
    raise TypeError("expected an array")


def _to_tuple(v):
    if isinstance(v, (list, tuple)):
        return tuple(v)
    raise TypeError("expected an array")


def _to_dict(v):
    if isinstance(v, dict):
        return v
    raise TypeError("expected a map")


def _to_table(v):
    if isinstance(v, Table):
        return v
    if isinstance(v, dict):
        return Table(v)
    raise TypeError("expected a table")


def _to_datetime(v):
    if isinstance(v, _dt.datetime):
        return v
    raise TypeError("expected a timestamp")


def _ndarray_converter(dtype):
    def convert(v):
        if isinstance(v, (str, bytes, dict)) or v is None:
            raise TypeError("expected an ndarray")
        a = np.asarray(v) if dtype is None else np.asarray(v, dtype=dtype)
        if a.dtype.kind not in "biuf":
            raise TypeError("expected a numeric ndarray, got dtype %s" % a.dtype)
        return a

    return convert


_SIMPLE = {
    float: (_to_float, "float64"),
    int: (_to_int, "int64"),
    bool: (_to_bool, "bool"),
    str: (_to_str, "str"),
    bytes: (_to_bytes, "bin"),
    list: (_to_list, "array"),
    tuple: (_to_tuple, "array"),
    dict: (_to_dict, "map"),
    Table: (_to_table, "table"),
    _dt.datetime: (_to_datetime, "timestamp"),
}


def converter_for(annotation):
    """``(convert, type_name)`` for an annotation; convert is None when no check is done."""
    if annotation is _EMPTY or annotation is typing.Any or annotation is object:
        return None, "any"
    if annotation in _SIMPLE:
        return _SIMPLE[annotation]
    if annotation is np.ndarray:
        return _ndarray_converter(None), "ndarray"
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin is np.ndarray:  # numpy.typing.NDArray[np.float64]
        dtype = None
        if len(args) == 2 and typing.get_args(args[1]):
            try:
                dtype = np.dtype(typing.get_args(args[1])[0])
            except TypeError:
                dtype = None
        name = "ndarray" if dtype is None else "ndarray[%s]" % dtype.name
        return _ndarray_converter(dtype), name
    if origin is typing.Union or type(annotation).__name__ == "UnionType":
        inner = [a for a in args if a is not type(None)]
        optional = len(inner) != len(args)
        convs = [converter_for(a) for a in inner]
        names = " | ".join(n for _, n in convs) + (" | nil" if optional else "")
        if any(c is None for c, _ in convs):
            return None, names

        def convert_union(v):
            if v is None and optional:
                return None
            for c, _ in convs:
                try:
                    return c(v)
                except (TypeError, ValueError):
                    pass
            raise TypeError("expected %s" % names)

        return convert_union, names
    if origin in (list, tuple, dict):
        return _SIMPLE[origin]
    if isinstance(annotation, type):
        return None, annotation.__name__
    return None, str(annotation)


def _is_async(fn):
    """True for coroutine and async generator functions (also behind a partial, or as the
    ``__call__`` of a callable object)."""
    for f in (fn, getattr(fn, "__call__", None)):
        if f is not None and (inspect.iscoroutinefunction(f) or inspect.isasyncgenfunction(f)):
            return True
    return False


def _describe(v):
    if isinstance(v, np.ndarray):
        return "ndarray %s%s" % (v.dtype, list(v.shape))
    return type(v).__name__


# ------------------------------------------------------------------------------ endpoint


class _Param:
    __slots__ = ("name", "kind", "default", "required", "convert", "type_name")

    def __init__(self, p, annotation):
        self.name = p.name
        self.kind = p.kind
        self.default = p.default
        self.required = p.default is _EMPTY
        self.convert, self.type_name = converter_for(annotation)


class Endpoint:
    """A named handler and everything needed to bind wire arguments to it.

    ``kind`` names it in error messages (``"endpoint"``; ``"method"`` for proxied calls).
    ``ctx_by_name``: a parameter named ``ctx`` receives the task context (as well as one
    annotated :class:`TaskContext`); proxied methods use annotations only.
    ``inline``: the kernel runs the handler on its I/O thread as the request arrives instead of
    queueing it for a worker (see :meth:`mesh.Kernel.endpoint`); coroutine functions are
    refused (ValueError).
    """

    def __init__(self, name, fn, doc=None, *, kind="endpoint", ctx_by_name=True, inline=False):
        if not callable(fn):
            raise TypeError("%s %r: handler is not callable" % (kind, name))
        if inline and _is_async(fn):
            raise ValueError("%s %r: an inline handler must be a plain (synchronous) function; "
                             "%r is async (the kernel's I/O thread cannot await it)"
                             % (kind, name, fn))
        self.name = name
        self.kind = kind
        self.fn = fn
        self.inline = bool(inline)
        self.doc = inspect.cleandoc(doc if doc is not None else (fn.__doc__ or ""))
        sig = inspect.signature(fn)
        try:
            # a class binds the parameters of its __init__ (not its attribute annotations)
            hints = typing.get_type_hints(fn.__init__ if isinstance(fn, type) else fn)
        except Exception:
            hints = {}
        self.ctx_name = None
        self.positional = []  # parameters that may be given positionally, in order
        self.by_name = {}     # parameters that may be given by name
        self.params = []
        self.var_positional = None
        self.var_keyword = None
        for p in sig.parameters.values():
            ann = hints.get(p.name, p.annotation)
            if (ctx_by_name and p.name == "ctx") or ann is TaskContext:
                if p.kind == inspect.Parameter.POSITIONAL_ONLY:
                    raise TypeError("%s %r: the context parameter cannot be positional-only"
                                    % (kind, name))
                self.ctx_name = p.name
                continue
            if p.kind == inspect.Parameter.VAR_POSITIONAL:
                self.var_positional = p.name
                continue
            if p.kind == inspect.Parameter.VAR_KEYWORD:
                self.var_keyword = p.name
                continue
            param = _Param(p, ann)
            self.params.append(param)
            if p.kind in _POSITIONAL:
                self.positional.append(param)
            if p.kind != inspect.Parameter.POSITIONAL_ONLY:
                self.by_name[p.name] = param
        self._simple = (self.var_positional is None and self.var_keyword is None
                        and all(p.kind == inspect.Parameter.POSITIONAL_OR_KEYWORD for p in self.params))

    def describe(self):
        """The endpoint's entry in ``kernel_info_reply.endpoints`` (section 6.6)."""
        params = [{"name": p.name, "type": p.type_name, "required": p.required} for p in self.params]
        if self.var_positional:
            params.append({"name": "*" + self.var_positional, "type": "any", "required": False})
        if self.var_keyword:
            params.append({"name": "**" + self.var_keyword, "type": "any", "required": False})
        return {"name": self.name, "params": params, "doc": self.doc}

    def bind(self, args, kwargs):
        """Binds wire arguments; returns ``(call_args, call_kwargs)`` or raises BindError."""
        positional = self.positional
        nargs = len(args)
        if nargs > len(positional) and self.var_positional is None:
            names = ", ".join(p.name for p in positional) or "none"
            raise BindError("%s %r takes %d positional argument(s) (%s) but %d were given; "
                            "surplus argument #%d" % (self.kind, self.name, len(positional), names,
                                                      nargs, len(positional) + 1))
        values = {}
        for i in range(min(nargs, len(positional))):
            p = positional[i]
            values[p.name] = self._convert(p, args[i])
        extra_kwargs = {}
        for key, v in kwargs.items():
            p = self.by_name.get(key) if type(key) is str else None
            if p is None:
                if key == self.ctx_name:
                    raise BindError("argument %r is supplied by the kernel and cannot be passed" % key)
                if self.var_keyword is not None and type(key) is str:
                    extra_kwargs[key] = v
                    continue
                if any(q.name == key for q in self.positional):
                    raise BindError("parameter %r of %s %r is positional-only"
                                    % (key, self.kind, self.name))
                raise BindError("%s %r has no parameter %r (surplus argument)"
                                % (self.kind, self.name, key))
            if p.name in values:
                raise BindError("parameter %r of %s %r given both by position and by name"
                                % (key, self.kind, self.name))
            values[p.name] = self._convert(p, v)
        for p in self.params:
            if p.required and p.name not in values:
                raise BindError("%s %r: missing required argument %r" % (self.kind, self.name, p.name))
        if self._simple:
            return (), values
        call_args = []
        for p in positional:
            if p.name not in values:
                break
            call_args.append(values.pop(p.name))
        else:
            if nargs > len(positional):
                call_args.extend(args[len(positional):])
        values.update(extra_kwargs)
        return call_args, values

    def _convert(self, p, v):
        conv = p.convert
        if conv is None:
            return v
        try:
            return conv(v)
        except (TypeError, ValueError, OverflowError) as e:
            raise BindError("argument %r of %s %r: cannot convert %s to %s (%s)"
                            % (p.name, self.kind, self.name, _describe(v), p.type_name, e)) from None
