"""Public API: backend dispatch and the ``Model`` object the RPC kernel exposes.

Results are plain ``dict`` objects whose values are Python floats/ints/str,
numpy arrays, or (for the transition path) the two nested steady-state dicts
``ss_initial`` and ``ss_final`` of the same kind.
"""

from __future__ import annotations

import copy
from typing import Any, Dict, Mapping, Optional

from . import ogcore_adapter
from . import steady_state as _ss
from . import tpi as _tpi
from .params import validate

BACKENDS = ("auto", "builtin", "ogcore")


def resolve_backend(backend: str = "auto") -> str:
    """'auto' -> 'ogcore' when OG-Core imports, else 'builtin'.

    'ogcore' when OG-Core is missing raises ``OGCoreUnavailableError`` naming
    sys.executable and sys.prefix.
    """
    if backend not in BACKENDS:
        raise ValueError(f"backend: must be one of {', '.join(BACKENDS)}, got {backend!r}")
    if backend == "auto":
        return "ogcore" if ogcore_adapter.ogcore_available() else "builtin"
    if backend == "ogcore":
        ogcore_adapter.require_ogcore()
    return backend


def available_backends() -> list:
    return ["builtin"] + (["ogcore"] if ogcore_adapter.ogcore_available() else [])


def solve_steady_state(params: Optional[Mapping[str, Any]] = None, backend: str = "auto") -> Dict[str, Any]:
    """Steady state (balanced growth path); see README for the returned keys."""
    validate(params)  # same parameter checks for every backend
    if resolve_backend(backend) == "ogcore":
        return ogcore_adapter.run_steady_state(params)
    return _ss.solve_steady_state(params)


def solve_transition_path(params: Optional[Mapping[str, Any]] = None,
                          paths: Optional[Mapping[str, Any]] = None,
                          backend: str = "auto") -> Dict[str, Any]:
    """Transition path from the initial steady state given exogenous paths.

    ``paths`` may hold ``p_E``, ``Z`` and ``carbon_revenue``, each a scalar or
    a length-T array (T = params['T'], default 3*S); missing ones stay at the
    parameter value.  The economy starts in the steady state of ``params``.
    """
    p = validate(params)
    _tpi.check_paths(paths, p)
    if resolve_backend(backend) == "ogcore":
        return ogcore_adapter.run_transition_path(params, paths)
    return _tpi.solve_transition_path(params, paths)


class Model:
    """A parameterised model with its last results (remote-object friendly).

    >>> m = Model({"S": 40})
    >>> ss = m.solve_steady_state()
    >>> tp = m.solve_transition({"p_E": 1.2})
    >>> m.steady_state is ss, m.transition is tp
    (True, True)
    """

    def __init__(self, params: Optional[Mapping[str, Any]] = None, backend: str = "auto"):
        validate(params)  # fail early, with the parameter's name
        self._params = dict(params or {})
        self._backend = resolve_backend(backend)
        self._ss: Optional[Dict[str, Any]] = None
        self._tp: Optional[Dict[str, Any]] = None

    # -- parameters ------------------------------------------------------------
    @property
    def params(self) -> Dict[str, Any]:
        """The user-supplied parameters (defaults not included)."""
        return copy.deepcopy(self._params)

    @property
    def full_params(self) -> Dict[str, Any]:
        """All parameters after defaults and validation."""
        return validate(self._params)

    @property
    def backend(self) -> str:
        return self._backend

    def update_params(self, updates: Mapping[str, Any]) -> None:
        """Change parameters (validated) and forget previous results."""
        new = dict(self._params)
        new.update(dict(updates))
        validate(new)
        self._params = new
        self._ss = None
        self._tp = None

    # -- solving -------------------------------------------------------------------
    def solve_steady_state(self) -> Dict[str, Any]:
        self._ss = solve_steady_state(self._params, backend=self._backend)
        return self._ss

    def solve_transition(self, paths: Optional[Mapping[str, Any]] = None) -> Dict[str, Any]:
        self._tp = solve_transition_path(self._params, paths, backend=self._backend)
        if self._ss is None:
            self._ss = self._tp.get("ss_initial")
        return self._tp

    # -- last results --------------------------------------------------------------
    @property
    def steady_state(self) -> Optional[Dict[str, Any]]:
        """Last steady-state result (None before the first solve)."""
        return self._ss

    @property
    def transition(self) -> Optional[Dict[str, Any]]:
        """Last transition-path result (None before the first solve)."""
        return self._tp

    @property
    def last_result(self) -> Optional[Dict[str, Any]]:
        return self._tp if self._tp is not None else self._ss

    def __repr__(self) -> str:
        return f"Model(params={self._params!r}, backend={self._backend!r})"
