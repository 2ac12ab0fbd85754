"""References to remote objects: the ext 3 value of docs/protocol.md section 9.1.

A :class:`Ref` is plain data, ``(object_id, type_name, kernel_id)``; the codec reads and writes
it as ext 3. Objects that stand for a remote object (the client's proxies) derive from
:class:`Referent` and are encoded as the reference they hold.
"""


class Ref:
    """An object living in kernel ``kernel_id`` under ``object_id``; ``type_name`` is informative.

    Immutable and hashable; two references are equal when all three fields are.
    """

    __slots__ = ("object_id", "type_name", "kernel_id")

    def __init__(self, object_id, type_name="", kernel_id=""):
        if type(object_id) is not int or object_id < 0 or object_id >= 2**64:
            raise ValueError("object_id must be an unsigned 64-bit int, got %r" % (object_id,))
        if type(type_name) is not str or type(kernel_id) is not str:
            raise TypeError("type_name and kernel_id must be str")
        object.__setattr__(self, "object_id", object_id)
        object.__setattr__(self, "type_name", type_name)
        object.__setattr__(self, "kernel_id", kernel_id)

    def __setattr__(self, name, value):
        raise AttributeError("Ref is immutable")

    def __eq__(self, other):
        if type(other) is not Ref:
            return NotImplemented
        return (self.object_id == other.object_id and self.type_name == other.type_name
                and self.kernel_id == other.kernel_id)

    def __hash__(self):
        return hash((Ref, self.object_id, self.type_name, self.kernel_id))

    def __repr__(self):
        return "Ref(%d, %r, %r)" % (self.object_id, self.type_name, self.kernel_id)

    def __reduce__(self):
        return (Ref, (self.object_id, self.type_name, self.kernel_id))


class Referent:
    """Base class of objects that travel as a reference (``__mesh_ref__`` returns the Ref)."""

    __slots__ = ()

    def __mesh_ref__(self):
        raise NotImplementedError
