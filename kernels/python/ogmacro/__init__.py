"""ogmacro -- overlapping-generations macro model for the OG-CLEWS coupling.

Built-in Auerbach-Kotlikoff OG economy with endogenous labour (OG-Core's
elliptical utility), a Cobb-Douglas firm using capital, labour and energy,
and a government recycling carbon-tax revenue lump sum; optionally runs
OG-Core itself when it is installed.  See README.md.

Public API::

    solve_steady_state(params=None, backend="auto") -> dict
    solve_transition_path(params=None, paths=None, backend="auto") -> dict
    Model(params=None, backend="auto")
"""

from .api import Model, available_backends, resolve_backend, solve_steady_state, solve_transition_path
from .ogcore_adapter import OGCoreUnavailableError
from .params import DEFAULT_PARAMS, ConvergenceError, validate

__all__ = [
    "Model",
    "solve_steady_state",
    "solve_transition_path",
    "available_backends",
    "resolve_backend",
    "DEFAULT_PARAMS",
    "ConvergenceError",
    "OGCoreUnavailableError",
    "validate",
]

__version__ = "0.1.0"
