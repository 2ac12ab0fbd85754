"""Optional OG-Core backend.

When ``import ogcore`` works, :func:`run_steady_state` and
:func:`run_transition_path` solve the model with OG-Core itself
(``ogcore.parameters.Specifications`` -> ``update_specifications`` ->
``SS.run_SS`` / ``TPI.run_TPI``) and translate the output to ogmacro's result
keys.  Otherwise :func:`require_ogcore` raises :class:`OGCoreUnavailableError`
naming the interpreter (``sys.executable``) and environment (``sys.prefix``)
that was searched, so a user can see *which* Python lacks the package.

Mapping of the energy input (exact for Cobb-Douglas).  Substituting the
firm's energy FOC E = eta Y / p_E into Y = Z K^gamma L^(1-gamma-eta) E^eta gives
value added V = Y - p_E E = (1-eta) Y with

    V = Z' K^gamma' L^(1-gamma'),   gamma' = gamma / (1-eta),
    Z' = (1-eta) [Z (eta/p_E)^eta]^(1/(1-eta)),

and the same r and w as the three-input firm.  OG-Core's one-industry firm is
therefore given (gamma', Z'), and OG-Core's "Y" is V.  Shares of gross output
become shares of V: alpha_G' = alpha_G/(1-eta); the recycled carbon revenue is
added to transfers, alpha_T' = alpha_T + carbon_revenue/(1-eta).  This last
step is an approximation: OG-Core finances transfers with its own tax and debt
rules, not with the carbon revenue.  Parameters without an OG-Core
counterpart in this mapping (g_n, surv_rate, chi_n, e, b_ellipse, upsilon,
endogenous_labor, n_exog, tau_c, tpi_accel) are left at OG-Core's own
calibration; OG-Core's demographics, tax functions and ability types are its
defaults.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import pickle
import sys
import tempfile
from typing import Any, Dict, Mapping, Optional

import numpy as np

from .params import validate

_OGCORE = None
_OGCORE_ERR: Optional[BaseException] = None


class OGCoreUnavailableError(ImportError):
    """OG-Core was requested explicitly but cannot be imported."""


def ogcore_available() -> bool:
    """True when ``import ogcore`` succeeds in this interpreter (result cached)."""
    global _OGCORE, _OGCORE_ERR
    if _OGCORE is not None:
        return True
    if _OGCORE_ERR is not None:
        return False
    if importlib.util.find_spec("ogcore") is None:
        _OGCORE_ERR = ModuleNotFoundError("No module named 'ogcore'")
        return False
    try:
        _OGCORE = importlib.import_module("ogcore")
    except Exception as exc:  # broken installs count as unavailable
        _OGCORE_ERR = exc
        return False
    return True


def require_ogcore():
    if not ogcore_available():
        raise OGCoreUnavailableError(
            "backend='ogcore' was requested but the package 'ogcore' cannot be imported "
            f"({_OGCORE_ERR!s}) by the Python executable {sys.executable} "
            f"(environment sys.prefix={sys.prefix}). Install OG-Core into that environment "
            "(e.g. `python -m pip install ogcore`) or use backend='builtin'."
        )
    return _OGCORE


def map_params(params: Optional[Mapping[str, Any]] = None, paths: Optional[Mapping[str, Any]] = None) -> Dict[str, Any]:
    """ogmacro parameters (and optional exogenous paths) -> OG-Core updates.

    Pure function (no OG-Core import) so the mapping can be tested anywhere.
    Lists are shaped as OG-Core expects for M = 1 industry; time-varying
    values are lists over periods.  ``beta_annual`` is returned as a scalar
    and expanded to OG-Core's J ability types by :func:`_specifications`.
    """
    p = validate(params)
    eta = p["eta"]
    T = p["T"]

    def series(key):
        if paths is not None and key in paths:
            arr = np.asarray(paths[key], dtype=float)
            return np.full(T, float(arr)) if arr.ndim == 0 else arr
        return np.full(T, p[key])

    Z, pE, cr = series("Z"), series("p_E"), series("carbon_revenue")
    A = Z * (eta / pE) ** eta if eta > 0 else Z
    Z_og = (1.0 - eta) * A ** (1.0 / (1.0 - eta))
    alpha_T_og = p["alpha_T"] + cr / (1.0 - eta)
    return {
        "S": p["S"],
        "T": T,
        "beta_annual": p["beta_annual"],
        "sigma": p["sigma"],
        "frisch": p["frisch"],
        "ltilde": p["ltilde"],
        "gamma": [p["gamma"] / (1.0 - eta)],
        "epsilon": [1.0],
        "delta_annual": p["delta_annual"],
        "g_y_annual": p["g_y_annual"],
        "Z": [[float(z)] for z in Z_og],
        "alpha_G": [p["alpha_G"] / (1.0 - eta)],
        "alpha_T": [float(a) for a in alpha_T_og],
        "nu": p["nu"],
        "maxiter": p["maxiter"],
        "mindist_SS": p["mindist_SS"],
        "mindist_TPI": p["mindist_TPI"],
    }


def _specifications(og, updates: Dict[str, Any], baseline: bool, baseline_dir: str, output_base: str):
    from ogcore.parameters import Specifications  # noqa: WPS433 (optional dependency)

    spec = Specifications(baseline=baseline, baseline_dir=baseline_dir, output_base=output_base)
    upd = dict(updates)
    upd["beta_annual"] = [float(upd["beta_annual"])] * int(getattr(spec, "J", 1))
    spec.update_specifications(upd)
    return spec


def _save_ss(ss: Dict[str, Any], directory: str) -> None:
    os.makedirs(os.path.join(directory, "SS"), exist_ok=True)
    with open(os.path.join(directory, "SS", "SS_vars.pkl"), "wb") as fh:
        pickle.dump(ss, fh)


def _get(d, *keys, default=np.nan):
    for k in keys:
        if k in d and d[k] is not None:
            return d[k]
    return default


def _ss_result(ss: Dict[str, Any], p: Dict[str, Any], p_E: float) -> Dict[str, Any]:
    eta = p["eta"]
    V = float(np.squeeze(_get(ss, "Yss")))
    Y = V / (1.0 - eta)
    eul = [np.max(np.abs(np.asarray(_get(ss, k, default=0.0)))) for k in ("euler_savings", "euler_labor_leisure")]
    return {
        "backend": "ogcore",
        "r": float(np.squeeze(_get(ss, "rss"))),
        "w": float(np.squeeze(_get(ss, "wss"))),
        "p_E": float(p_E),
        "K": float(np.squeeze(_get(ss, "Kss"))),
        "L": float(np.squeeze(_get(ss, "Lss"))),
        "Y": Y,
        "value_added": V,
        "C": float(np.squeeze(_get(ss, "Css", "C_ss"))),
        "E": eta * Y / p_E,
        "I": float(np.squeeze(_get(ss, "Iss", "I_d_ss"))),
        "b": np.asarray(_get(ss, "bssmat_splus1")),
        "n": np.asarray(_get(ss, "nssmat")),
        "c": np.asarray(_get(ss, "cssmat")),
        "resource_constraint_error": float(np.max(np.abs(_get(ss, "resource_constraint_error")))),
        "max_euler_error": float(max(eul)),
        "raw": {k: v for k, v in ss.items() if isinstance(v, (float, int, np.ndarray))},
    }


def run_steady_state(params: Optional[Mapping[str, Any]] = None) -> Dict[str, Any]:
    og = require_ogcore()
    from ogcore import SS  # noqa: WPS433

    p = validate(params)
    out_dir = tempfile.mkdtemp(prefix="ogmacro_ogcore_ss_")
    spec = _specifications(og, map_params(p), True, out_dir, out_dir)
    ss = SS.run_SS(spec, client=None)
    _save_ss(ss, out_dir)
    res = _ss_result(ss, p, p["p_E"])
    res["output_dir"] = out_dir
    return res


def run_transition_path(params: Optional[Mapping[str, Any]] = None,
                        paths: Optional[Mapping[str, Any]] = None) -> Dict[str, Any]:
    """Baseline SS at the initial parameters, reform with the paths (OG-Core's two-run pattern)."""
    og = require_ogcore()
    from ogcore import SS, TPI  # noqa: WPS433

    p = validate(params)
    from .tpi import check_paths

    ex = check_paths(paths, p)
    base_dir = tempfile.mkdtemp(prefix="ogmacro_ogcore_base_")
    reform_dir = tempfile.mkdtemp(prefix="ogmacro_ogcore_reform_")
    base = _specifications(og, map_params(p), True, base_dir, base_dir)
    ss0 = SS.run_SS(base, client=None)
    _save_ss(ss0, base_dir)
    reform = _specifications(og, map_params(p, ex), False, base_dir, reform_dir)
    ssT = SS.run_SS(reform, client=None)
    _save_ss(ssT, reform_dir)
    tp = TPI.run_TPI(reform, client=None)
    eta = p["eta"]
    T = p["T"]
    V = np.asarray(_get(tp, "Y"))[:T].reshape(T, -1).sum(axis=1)
    Y = V / (1.0 - eta)
    eul = [np.max(np.abs(np.asarray(_get(tp, k, default=0.0)))) for k in ("eul_savings", "eul_laborleisure")]
    return {
        "backend": "ogcore",
        "Y": Y,
        "value_added": V,
        "K": np.asarray(_get(tp, "K"))[:T],
        "L": np.asarray(_get(tp, "L"))[:T],
        "C": np.asarray(_get(tp, "C"))[:T],
        "I": np.asarray(_get(tp, "I"))[:T],
        "r": np.asarray(_get(tp, "r"))[:T],
        "w": np.asarray(_get(tp, "w"))[:T],
        "E": eta * Y / ex["p_E"],
        "p_E": ex["p_E"],
        "Z": ex["Z"],
        "max_euler_error": float(max(eul)),
        "resource_constraint_error": float(np.max(np.abs(_get(tp, "resource_constraint_error")))),
        "ss_initial": _ss_result(ss0, p, p["p_E"]),
        "ss_final": _ss_result(ssT, p, float(ex["p_E"][-1])),
        "output_dir": reform_dir,
    }


__all__ = [
    "OGCoreUnavailableError",
    "ogcore_available",
    "require_ogcore",
    "map_params",
    "run_steady_state",
    "run_transition_path",
]
