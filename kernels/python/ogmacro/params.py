"""Parameters of the built-in OG model: defaults, validation and derived values.

Parameter names follow OG-Core where OG-Core has the concept (``Z``, ``gamma``,
``epsilon``, ``delta_annual``, ``g_y_annual``, ``beta_annual``, ``sigma``,
``frisch``, ``S``, ``T``, ``ltilde``, ``alpha_G``, ``alpha_T``, ``nu``,
``maxiter``, ``mindist_SS``, ``mindist_TPI``, ``chi_n``, ``b_ellipse``,
``upsilon``, ``tau_c``, ``e``).  Our own additions are ``eta`` (energy share in
production), ``p_E`` (price of energy relative to output), ``carbon_revenue``
(carbon-tax revenue as a share of output), ``g_n`` (annual population growth),
``surv_rate`` (optional survival probabilities) and the labour-supply switch
``endogenous_labor`` / ``n_exog``.

Every public entry point calls :func:`validate` first, so bad input raises a
``ValueError`` whose message starts with the offending parameter name.
"""

from __future__ import annotations

import functools
import math
import numbers
from typing import Any, Dict, Mapping, Optional

import numpy as np
from scipy import optimize

#: Length of economically active life in years (OG-Core: ending_age - starting_age
#: = 100 - 20).  Annual rates are converted to model periods of 80/S years.
ECONOMIC_LIFE_YEARS = 80.0

DEFAULT_PARAMS: Dict[str, Any] = {
    # demographics / time
    "S": 80,  # number of adult model periods (one period = 80/S years)
    "T": None,  # length of the transition path in model periods; None -> 3*S
    "g_n": 0.005,  # annual population growth rate
    "surv_rate": None,  # optional length-S survival probabilities (None: no mortality)
    # households
    "beta_annual": 0.96,
    "sigma": 1.5,
    "frisch": 0.4,
    "ltilde": 1.0,
    "chi_n": 10.0,  # scalar or length-S vector, weight on disutility of labour
    "b_ellipse": None,  # None -> fitted to the Frisch elasticity (OG-Core method)
    "upsilon": None,  # None -> fitted to the Frisch elasticity (OG-Core method)
    "e": None,  # None -> built-in hump/retirement profile; or scalar / length-S vector
    "endogenous_labor": True,
    "n_exog": 0.4,  # scalar or length-S labour profile used when endogenous_labor=False
    # firms
    "Z": 1.0,
    "gamma": 0.35,
    "eta": 0.05,
    "epsilon": 1.0,
    "delta_annual": 0.05,
    "g_y_annual": 0.02,
    "p_E": 1.0,
    # government
    "alpha_G": 0.05,
    "alpha_T": 0.09,
    "carbon_revenue": 0.0,
    "tau_c": 0.0,
    # solver
    "nu": 0.4,
    "maxiter": 500,
    "mindist_SS": 1e-12,
    "mindist_TPI": 1e-10,
    "tpi_accel": "anderson",  # "anderson" (damped TPI + Anderson mixing) or "none" (plain OG-Core TPI)
}

ALIASES = {"g_n_ss": "g_n", "delta": None, "beta": None}


class ConvergenceError(RuntimeError):
    """A solver did not reach its tolerance within ``maxiter`` iterations.

    Attributes ``residual`` (last residual/distance) and ``iterations`` carry
    the state at failure so callers can report it.
    """

    def __init__(self, message: str, residual: float = float("nan"), iterations: int = 0):
        super().__init__(f"{message} (last residual {residual:.3e} after {iterations} iterations)")
        self.residual = float(residual)
        self.iterations = int(iterations)


def _err(name: str, msg: str) -> ValueError:
    return ValueError(f"{name}: {msg}")


def _scalar(params: Mapping[str, Any], name: str) -> float:
    v = params[name]
    if isinstance(v, bool) or not isinstance(v, (numbers.Real, np.floating, np.integer)):
        if isinstance(v, np.ndarray) and v.ndim == 0:
            v = v.item()
        else:
            raise _err(name, f"must be a real number, got {v!r}")
    v = float(v)
    if not math.isfinite(v):
        raise _err(name, f"must be finite, got {v!r}")
    return v


def _vector(params: Mapping[str, Any], name: str, S: int) -> np.ndarray:
    v = params[name]
    try:
        arr = np.asarray(v, dtype=float)
    except (TypeError, ValueError):
        raise _err(name, f"must be a number or a length-{S} vector") from None
    if arr.ndim == 0:
        arr = np.full(S, float(arr))
    if arr.ndim != 1 or arr.shape[0] != S:
        raise _err(name, f"must be a scalar or a vector of length S={S}, got shape {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise _err(name, "must be finite")
    return arr


def merge_params(params: Optional[Mapping[str, Any]] = None) -> Dict[str, Any]:
    """Defaults overlaid with ``params`` (after resolving aliases); rejects unknown names."""
    out = dict(DEFAULT_PARAMS)
    if params is None:
        return out
    if not isinstance(params, Mapping):
        raise ValueError(f"params: must be a dict of parameter values, got {type(params).__name__}")
    for key, val in params.items():
        name = key
        if key in ALIASES:
            name = ALIASES[key]
            if name is None:
                raise _err(key, f"give the annual value as '{key}_annual' (converted to model periods internally)")
        if name not in DEFAULT_PARAMS:
            raise _err(str(key), "unknown parameter name (see ogmacro.DEFAULT_PARAMS)")
        out[name] = val
    return out


def validate(params: Optional[Mapping[str, Any]] = None) -> Dict[str, Any]:
    """Merge with defaults and check every parameter; return the clean dict.

    Raises ``ValueError("<name>: <problem>")`` on the first bad parameter.
    """
    p = merge_params(params)
    S = p["S"]
    if isinstance(S, bool) or not isinstance(S, (numbers.Integral, np.integer)) and not (
        isinstance(S, (float, np.floating)) and float(S).is_integer()
    ):
        raise _err("S", f"must be an integer, got {S!r}")
    S = int(S)
    if S < 3:
        raise _err("S", f"must be at least 3, got {S}")
    p["S"] = S
    T = p["T"]
    if T is None:
        T = 3 * S
    if isinstance(T, bool) or not isinstance(T, (numbers.Integral, np.integer)) and not (
        isinstance(T, (float, np.floating)) and float(T).is_integer()
    ):
        raise _err("T", f"must be an integer or None, got {T!r}")
    T = int(T)
    if T < S:
        raise _err("T", f"must be at least S={S} so the path can reach the steady state, got {T}")
    p["T"] = T

    beta = _scalar(p, "beta_annual")
    if not 0.0 < beta <= 1.0:
        raise _err("beta_annual", f"discount factor must be in (0, 1], got {beta}")
    sigma = _scalar(p, "sigma")
    if sigma <= 0.0:
        raise _err("sigma", f"coefficient of relative risk aversion must be > 0, got {sigma}")
    frisch = _scalar(p, "frisch")
    if frisch <= 0.0:
        raise _err("frisch", f"Frisch elasticity must be > 0, got {frisch}")
    ltilde = _scalar(p, "ltilde")
    if ltilde <= 0.0:
        raise _err("ltilde", f"time endowment must be > 0, got {ltilde}")
    gamma = _scalar(p, "gamma")
    if not 0.0 < gamma < 1.0:
        raise _err("gamma", f"capital share must be in (0, 1), got {gamma}")
    eta = _scalar(p, "eta")
    if not 0.0 <= eta < 1.0:
        raise _err("eta", f"energy share must be in [0, 1), got {eta}")
    if gamma + eta >= 1.0:
        raise _err("gamma", f"gamma + eta must be < 1 (labour share positive), got gamma={gamma}, eta={eta}")
    eps = _scalar(p, "epsilon")
    if eps != 1.0:
        raise _err("epsilon", f"the built-in model is Cobb-Douglas and needs epsilon = 1, got {eps}")
    delta = _scalar(p, "delta_annual")
    if not 0.0 <= delta <= 1.0:
        raise _err("delta_annual", f"depreciation rate must be in [0, 1], got {delta}")
    gy = _scalar(p, "g_y_annual")
    if gy <= -1.0:
        raise _err("g_y_annual", f"must be > -1, got {gy}")
    gn = _scalar(p, "g_n")
    if gn <= -1.0:
        raise _err("g_n", f"must be > -1, got {gn}")
    Z = _scalar(p, "Z")
    if Z <= 0.0:
        raise _err("Z", f"TFP must be > 0, got {Z}")
    pE = _scalar(p, "p_E")
    if pE <= 0.0:
        raise _err("p_E", f"energy price must be > 0, got {pE}")
    aG = _scalar(p, "alpha_G")
    if not 0.0 <= aG < 1.0:
        raise _err("alpha_G", f"government consumption share must be in [0, 1), got {aG}")
    aT = _scalar(p, "alpha_T")
    if aT < 0.0:
        raise _err("alpha_T", f"transfer share must be >= 0, got {aT}")
    cr = _scalar(p, "carbon_revenue")
    if not 0.0 <= cr <= eta:
        raise _err(
            "carbon_revenue",
            f"carbon-tax revenue share of output must be in [0, eta={eta}] (it is part of the energy bill), got {cr}",
        )
    tau_c = _scalar(p, "tau_c")
    if not 0.0 <= tau_c < 10.0:
        raise _err("tau_c", f"consumption tax rate must be in [0, 10), got {tau_c}")
    nu = _scalar(p, "nu")
    if not 0.0 < nu <= 1.0:
        raise _err("nu", f"TPI damping must be in (0, 1], got {nu}")
    mi = p["maxiter"]
    if isinstance(mi, bool) or not isinstance(mi, (numbers.Integral, np.integer)) or mi < 1:
        raise _err("maxiter", f"must be a positive integer, got {mi!r}")
    p["maxiter"] = int(mi)
    for name in ("mindist_SS", "mindist_TPI"):
        v = _scalar(p, name)
        if not 0.0 < v < 1.0:
            raise _err(name, f"tolerance must be in (0, 1), got {v}")
        p[name] = v
    if p["tpi_accel"] not in ("anderson", "none"):
        raise _err("tpi_accel", f"must be 'anderson' or 'none', got {p['tpi_accel']!r}")
    chi = _vector(p, "chi_n", S)
    if np.any(chi <= 0):
        raise _err("chi_n", "must be > 0")
    evec = default_e_profile(S) if p["e"] is None else _vector(p, "e", S)
    if np.any(evec <= 0):
        raise _err("e", "effective labour units must be > 0")
    for name in ("b_ellipse", "upsilon"):
        if p[name] is not None:
            v = _scalar(p, name)
            if v <= 0.0:
                raise _err(name, f"must be > 0, got {v}")
            p[name] = v
    if p["upsilon"] is not None and p["upsilon"] <= 1.0:
        raise _err("upsilon", f"must be > 1 for a convex disutility of labour, got {p['upsilon']}")
    if not isinstance(p["endogenous_labor"], (bool, np.bool_)):
        raise _err("endogenous_labor", f"must be True or False, got {p['endogenous_labor']!r}")
    p["endogenous_labor"] = bool(p["endogenous_labor"])
    nex = _vector(p, "n_exog", S)
    if np.any(nex <= 0) or np.any(nex > ltilde):
        raise _err("n_exog", f"exogenous labour must be in (0, ltilde={ltilde}]")
    if p["surv_rate"] is not None:
        sr = _vector(p, "surv_rate", S)
        if np.any(sr[:-1] <= 0) or np.any(sr > 1):
            raise _err("surv_rate", "survival probabilities must be in (0, 1] (last entry is ignored: death is certain after age S)")
        p["surv_rate"] = sr
    for name in ("beta_annual", "sigma", "frisch", "ltilde", "gamma", "eta", "epsilon", "delta_annual",
                 "g_y_annual", "g_n", "Z", "p_E", "alpha_G", "alpha_T", "carbon_revenue", "tau_c", "nu"):
        p[name] = float(p[name])
    p["chi_n"] = chi
    p["e"] = evec
    p["n_exog"] = nex
    return p


def default_e_profile(S: int) -> np.ndarray:
    """Default effective-labour profile by age (ages 20..100 in S periods).

    A quadratic-in-experience earnings hump peaking near age 50 times a smooth
    retirement factor centred on age 65 (floor 2% of the hump), normalised to
    mean one.  It stands in for OG-Core's calibrated e_{j,s} matrix with J = 1
    and gives households a life-cycle saving motive (retirement).
    """
    years = ECONOMIC_LIFE_YEARS / S
    age = 20.0 + (np.arange(S) + 0.5) * years
    x = age - 20.0
    hump = np.exp(0.03 * x - 0.0005 * x**2)
    retire = 0.02 + 0.98 / (1.0 + np.exp((age - 65.0) / 1.5))
    e = hump * retire
    return e / e.mean()


# ----------------------------------------------------------------------------
# Elliptical utility fitted to a constant-Frisch-elasticity disutility (as OG-Core)
# ----------------------------------------------------------------------------


def ellipse_mu(n, b, upsilon, ltilde):
    """Marginal disutility of labour of the elliptical form b*[1-(n/l)^u]^(1/u)."""
    x = np.asarray(n) / ltilde
    return (b / ltilde) * x ** (upsilon - 1.0) * (1.0 - x**upsilon) ** ((1.0 - upsilon) / upsilon)


@functools.lru_cache(maxsize=64)
def fit_ellipse(frisch: float) -> tuple:
    """Fit (b_ellipse, upsilon) so elliptical marginal disutility matches the CFE one.

    Same target as OG-Core's ``elliptical_u_est``: least squares between the
    marginal disutilities on 101 points of n/ltilde in [0.01, 0.8] for a CFE
    disutility with curvature 1/frisch.  The fit is independent of ltilde in
    these units.
    """
    theta = 1.0 / frisch
    x = np.linspace(0.01, 0.8, 101)
    target = x**theta

    def resid(z):
        b, u = z
        return b * x ** (u - 1.0) * (1.0 - x**u) ** ((1.0 - u) / u) - target

    sol = optimize.least_squares(resid, x0=[0.6701, 2.3499], bounds=([1e-6, 1.0 + 1e-6], [np.inf, 50.0]),
                                 xtol=1e-15, ftol=1e-15, gtol=1e-15, max_nfev=10000)
    b, u = (float(v) for v in sol.x)
    return b, u


def derive(p: Dict[str, Any]) -> Dict[str, Any]:
    """Model-period parameters and demographics from validated parameters."""
    S = p["S"]
    years = ECONOMIC_LIFE_YEARS / S
    d = dict(p)
    d["beta"] = p["beta_annual"] ** years
    d["delta"] = 1.0 - (1.0 - p["delta_annual"]) ** years
    d["g_y"] = (1.0 + p["g_y_annual"]) ** years - 1.0
    d["g_n_ss"] = (1.0 + p["g_n"]) ** years - 1.0
    d["growth"] = math.exp(d["g_y"])  # OG-Core stationarisation factor e^{g_y}
    if p["b_ellipse"] is None or p["upsilon"] is None:
        b_fit, u_fit = fit_ellipse(float(p["frisch"]))
        d["b_ellipse"] = p["b_ellipse"] if p["b_ellipse"] is not None else b_fit
        d["upsilon"] = p["upsilon"] if p["upsilon"] is not None else u_fit
    if p["surv_rate"] is None:
        surv = np.ones(S)
    else:
        surv = np.array(p["surv_rate"], dtype=float)
    surv[-1] = 0.0
    d["surv"] = surv
    d["rho"] = 1.0 - surv  # OG-Core name: mortality rates
    # stationary population shares: omega_{s+1} = omega_s * surv_s / (1 + g_n)
    om = np.ones(S)
    for s in range(1, S):
        om[s] = om[s - 1] * surv[s - 1] / (1.0 + d["g_n_ss"])
    d["omega"] = om / om.sum()
    d["years_per_period"] = years
    return d
