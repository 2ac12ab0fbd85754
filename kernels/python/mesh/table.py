"""``mesh.Table``: the Python form of the ext 2 columnar table (docs/protocol.md section 4.4)."""

import numpy as np

# numpy kinds a numeric column may have: bool, signed, unsigned, float.
_NUMERIC_KINDS = "biuf"


def _column(name, col):
    if not isinstance(name, str):
        raise TypeError("table column names must be str, got %r" % (name,))
    if isinstance(col, np.ndarray):
        if col.dtype.kind in _NUMERIC_KINDS:
            if col.ndim != 1:
                raise ValueError("table column %r must be 1-D, has shape %s" % (name, col.shape))
            return col
        if col.dtype.kind in "UO":
            col = col.tolist()
        else:
            raise TypeError("table column %r has unsupported dtype %s" % (name, col.dtype))
    if isinstance(col, (list, tuple)):
        if all(v is None or isinstance(v, str) for v in col):
            return list(col)
        arr = np.asarray(col)
        if arr.dtype.kind in _NUMERIC_KINDS and arr.ndim == 1:
            return arr
        raise TypeError("table column %r must hold numbers, bools, or str/None values" % name)
    raise TypeError("table column %r must be a 1-D numpy array or a list, got %s"
                    % (name, type(col).__name__))


class Table(dict):
    """An ordered mapping of column name -> column, all columns of equal length.

    A column is a 1-D numpy array (bool, intN, uintN, float32, float64) or a list whose elements
    are each ``str`` or ``None``. Lists of numbers are turned into numpy arrays.

    >>> t = Table({"id": np.arange(3), "name": ["a", None, "c"]})
    >>> t.num_rows
    3
    """

    __slots__ = ()

    def __init__(self, columns=(), **kw):
        super().__init__()
        items = list(columns.items()) if hasattr(columns, "items") else list(columns)
        items += list(kw.items())
        n = None
        for name, col in items:
            if name in self:
                raise ValueError("duplicate table column %r" % (name,))
            col = _column(name, col)
            if n is None:
                n = len(col)
            elif len(col) != n:
                raise ValueError("table column %r has %d rows, expected %d" % (name, len(col), n))
            dict.__setitem__(self, name, col)

    def __setitem__(self, name, col):
        col = _column(name, col)
        others = [len(v) for k, v in self.items() if k != name]
        if others and len(col) != others[0]:
            raise ValueError("table column %r has %d rows, expected %d" % (name, len(col), others[0]))
        dict.__setitem__(self, name, col)

    @property
    def names(self):
        """Column names in order."""
        return list(self.keys())

    @property
    def num_rows(self):
        for col in self.values():
            return len(col)
        return 0

    def __eq__(self, other):
        if not isinstance(other, dict) or list(self.keys()) != list(other.keys()):
            return False
        for name, col in self.items():
            o = other[name]
            if isinstance(col, np.ndarray) or isinstance(o, np.ndarray):
                if not (isinstance(col, np.ndarray) and isinstance(o, np.ndarray)):
                    return False
                if col.dtype != o.dtype or not np.array_equal(col, o, equal_nan=col.dtype.kind == "f"):
                    return False
            elif list(col) != list(o):
                return False
        return True

    def __ne__(self, other):
        return not self.__eq__(other)

    __hash__ = None

    def __repr__(self):
        return "Table(%d rows, columns=%r)" % (self.num_rows, self.names)
