"""Transition path (time path iteration, TPI) of the built-in OG model.

OG-Core's TPI: guess time paths of the outer-loop macro variables, solve every
cohort's lifetime problem given those prices, aggregate, compute the implied
macro paths, and update the guess as a convex combination with weight ``nu``
until the largest change is below ``mindist_TPI``.

Outer-loop variables here are the interest rate r_t and the per-capita
lump-sum income of households h_t (net transfers + accidental bequests; OG-Core
iterates on r, TR and BQ).  The wage follows from r_t, Z_t and p_E,t through
the firm's FOCs.  Paths are length T (model periods; years when S = 80) and are
extended with the final steady state for the S-1 periods after T that the
last cohorts still live through.

The inner loop solves all T+S-1 cohorts (the S-1 already alive at t = 0 with
their initial wealth from the initial steady state, and the T newborn
cohorts) simultaneously with the banded Newton solver of
:mod:`ogmacro.household`; no Python loop runs over cohorts or households.
"""

from __future__ import annotations

import time
from typing import Any, Dict, Mapping, Optional

import numpy as np

from . import firm
from .household import HouseholdInfeasible, HouseholdProblem
from .params import ConvergenceError, derive, merge_params, validate
from .steady_state import HH_TOL, solve_steady_state

PATH_KEYS = ("p_E", "Z", "carbon_revenue")


def check_paths(paths: Optional[Mapping[str, Any]], p: Dict[str, Any]) -> Dict[str, np.ndarray]:
    """Validate exogenous paths; scalars are broadcast, missing keys use params."""
    T = p["T"]
    if paths is None:
        paths = {}
    if not isinstance(paths, Mapping):
        raise ValueError(f"paths: must be a dict of time paths, got {type(paths).__name__}")
    for key in paths:
        if key not in PATH_KEYS:
            raise ValueError(f"paths['{key}']: unknown path name (allowed: {', '.join(PATH_KEYS)})")
    out = {}
    for key in PATH_KEYS:
        v = paths.get(key, p[key])
        name = f"paths['{key}']" if key in paths else key
        try:
            arr = np.asarray(v, dtype=float)
        except (TypeError, ValueError):
            raise ValueError(f"{name}: must be a number or a length-T={T} vector") from None
        if arr.ndim == 0:
            arr = np.full(T, float(arr))
        if arr.ndim != 1 or arr.shape[0] != T:
            raise ValueError(f"{name}: must have length T={T} (one value per model period), got shape {arr.shape}")
        if not np.all(np.isfinite(arr)):
            raise ValueError(f"{name}: must be finite")
        if key in ("p_E", "Z") and np.any(arr <= 0):
            raise ValueError(f"{name}: must be > 0 in every period")
        if key == "carbon_revenue" and (np.any(arr < 0) or np.any(arr > p["eta"])):
            raise ValueError(f"{name}: must be in [0, eta={p['eta']}] in every period")
        out[key] = arr.copy()
    return out


def solve_transition_path(params: Optional[Mapping[str, Any]] = None,
                          paths: Optional[Mapping[str, Any]] = None) -> Dict[str, Any]:
    t_start = time.perf_counter()
    raw = merge_params(params)
    p = validate(raw)
    d0 = derive(p)
    S, T = p["S"], p["T"]
    ex = check_paths(paths, p)

    ss0 = solve_steady_state(_d=d0)
    final_raw = dict(raw)
    final_raw.update({k: float(ex[k][-1]) for k in PATH_KEYS})
    if all(final_raw[k] == p[k] for k in PATH_KEYS):
        ssT = ss0
    else:
        ssT = solve_steady_state(_d=derive(validate(final_raw)))

    d = d0
    Np = T + S - 1  # periods with prices needed (last newborn cohort lives to T+S-2)
    ext = {k: np.concatenate([ex[k], np.full(S - 1, ex[k][-1])]) for k in PATH_KEYS}
    pE, Z, cr = ext["p_E"], ext["Z"], ext["carbon_revenue"]
    gamma, eta, delta = d["gamma"], d["eta"], d["delta"]

    # ---- cohort bookkeeping ------------------------------------------------
    N = T + S - 1
    i = np.arange(N)
    a0 = np.maximum(0, S - 1 - i)
    b_a0 = np.where(a0 > 0, ss0["b"][np.minimum(a0, S - 1)], 0.0)
    ages = np.arange(S)
    t_idx = i[:, None] - (S - 1) + ages[None, :]  # calendar period of (cohort, age)
    t_cl = np.clip(t_idx, 0, Np - 1)
    tt = np.arange(T + 1)
    # cohort alive at (t, s), t = 0..T (t = T, s = 0 is clipped: b_0 = 0 for everyone)
    i_ts = np.minimum(tt[:, None] - ages[None, :] + S - 1, N - 1)
    s_ts = np.broadcast_to(ages, i_ts.shape)

    # ---- initial guesses ---------------------------------------------------
    r = np.full(Np, ssT["r"])
    h = np.full(Np, ssT["hh_lump_sum_income"])
    K0 = ss0["K"]
    L0 = ss0["L"]
    r_start = float(firm.r_from_KL(K0, L0, Z[0], pE[0], gamma, eta, delta))
    h_start = ss0["hh_lump_sum_income"]
    decay = np.exp(-np.arange(T) / max(S / 5.0, 1.0))
    r[:T] = ssT["r"] + (r_start - ssT["r"]) * decay
    h[:T] = ssT["hh_lump_sum_income"] + (h_start - ssT["hh_lump_sum_income"]) * decay
    n = np.where(i[:, None] < S - 1, ss0["n"][None, :], ssT["n"][None, :])
    bb = np.zeros((N, S + 1))
    bb[:, :S] = np.where(i[:, None] < S - 1, ss0["b"][None, :], ssT["b"][None, :])

    Yscale = max(abs(ssT["Y"]), abs(ss0["Y"]))
    nu = d["nu"]
    tol = d["mindist_TPI"]
    dist = np.inf
    hh_iters = 0
    it = 0

    def evaluate(r, h, n, bb):
        """One pass of the inner loop: household solve + aggregation + implied prices."""
        w = firm.w_from_r(r, Z, pE, gamma, eta, delta)
        hp = HouseholdProblem(r[t_cl], w[t_cl], h[t_cl], a0, b_a0, d)
        n, bb, c, info = hp.solve(n, bb, tol=HH_TOL)
        with np.errstate(all="ignore"):
            agg = _aggregate_path(d, r, h, n, bb, c, i_ts, s_ts, T, Z, pE, cr)
        if np.any(agg["K"] <= 0) or np.any(agg["L"] <= 0):
            raise ConvergenceError("TPI: non-positive aggregate capital or labour", np.inf, 0)
        r_new = gamma * agg["Y"] / agg["K"][:T] - delta
        h_new = (cr[:T] - d["alpha_G"]) * agg["Y"] + d["tau_c"] * agg["C"] + agg["BQ"]
        dist = float(max(np.max(np.abs(r_new - r[:T])), np.max(np.abs(h_new - h[:T])) / Yscale))
        if not np.isfinite(dist):
            raise ConvergenceError("TPI produced non-finite prices", dist, 0)
        return dist, r_new, h_new, (w, hp, n, bb, c, agg, info["iterations"])

    # The first evaluation must work: try a few guesses built from the two steady states.
    candidates = [(r, h)]
    for src_ss in (ssT, ss0):
        rc_, hc_ = r.copy(), h.copy()
        rc_[:T] = src_ss["r"]
        hc_[:T] = src_ss["hh_lump_sum_income"]
        candidates.append((rc_, hc_))
    first_err = None
    for rc_, hc_ in candidates:
        try:
            dist, r_new, h_new, state = evaluate(rc_, hc_, n, bb)
        except (ConvergenceError, HouseholdInfeasible) as exc:
            first_err = first_err or exc
            continue
        r, h = rc_, hc_
        break
    else:
        raise ConvergenceError(f"TPI: no initial guess could be evaluated ({first_err})",
                               getattr(first_err, "residual", float("inf")), 0)
    hh_iters += state[6]
    accel = d["tpi_accel"] == "anderson"
    m_hist = 8
    X_hist, F_hist = [], []
    nu_eff = nu

    def pack(rv, hv):
        return np.concatenate([rv, hv / Yscale])

    while True:
        if dist < tol:
            break
        if it >= d["maxiter"]:
            raise ConvergenceError(f"TPI did not converge to mindist_TPI={tol:g} within maxiter={d['maxiter']}", dist, it)
        it += 1
        x = pack(r[:T], h[:T])
        f = pack(r_new, h_new) - x
        X_hist.append(x)
        F_hist.append(f)
        if len(X_hist) > m_hist + 1:
            X_hist.pop(0)
            F_hist.pop(0)
        # OG-Core update: convex combination (weight nu) of the guess and the
        # implied path.  With tpi_accel="anderson" the same damped step is
        # corrected by Anderson mixing over the last few iterates.  If a new
        # guess breaks the inner loop or blows up the distance, the history is
        # dropped and a plain damped step with halved nu is taken instead.
        use_acc = accel and len(X_hist) > 1
        while True:
            step = nu_eff * f
            if use_acc:
                dX = np.diff(np.array(X_hist), axis=0).T
                dF = np.diff(np.array(F_hist), axis=0).T
                gam = np.linalg.lstsq(dF, f, rcond=None)[0]
                step = nu_eff * f - (dX + nu_eff * dF) @ gam
            x_try = x + step
            r_try = r.copy()
            h_try = h.copy()
            r_try[:T] = np.maximum(x_try[:T], -delta + 1e-10)
            h_try[:T] = x_try[T:] * Yscale
            try:
                res = evaluate(r_try, h_try, state[2], state[3])
            except (ConvergenceError, HouseholdInfeasible) as exc:
                res = None
                fail = exc
            if res is not None and res[0] < 4.0 * dist:
                break
            if use_acc:
                use_acc = False
                X_hist, F_hist = [x], [f]
            else:
                nu_eff *= 0.5
            if nu_eff < 1e-4 * nu:
                last = getattr(fail, "residual", np.inf) if res is None else res[0]
                raise ConvergenceError("TPI diverged even with strong damping", min(dist, last), it)
        r, h = r_try, h_try
        dist, r_new, h_new, state = res
        hh_iters += state[6]
        if nu_eff < nu:  # recover the user's damping gradually
            nu_eff = min(nu, nu_eff * 1.25)
    w, hp, n, bb, c, agg, _ = state

    out = _path_outputs(d, hp, r, w, h, n, bb, c, agg, i_ts, s_ts, t_idx, T, S, ext, ss0, ssT)
    out["iterations"] = int(it)
    out["household_newton_iterations"] = int(hh_iters)
    out["tpi_distance"] = float(dist)
    out["solve_time"] = time.perf_counter() - t_start
    return out


def _aggregate_path(d, r, h, n, bb, c, i_ts, s_ts, T, Z, pE, cr):
    om, e, rho, gn = d["omega"], d["e"], d["rho"], d["g_n_ss"]
    b_ts = bb[i_ts, s_ts]  # (T+1, S) wealth entering age s in period t
    n_ts = n[i_ts[:T], s_ts[:T]]
    c_ts = c[i_ts[:T], s_ts[:T]]
    K = b_ts[:, 1:] @ om[:-1] / (1.0 + gn)  # t = 0..T
    L = n_ts @ (om * e)
    C = c_ts @ om
    BQ = (1.0 + r[:T]) * (b_ts[:T, 1:] @ (om[:-1] * rho[:-1])) / (1.0 + gn)
    Y = firm.output(K[:T], L, Z[:T], pE[:T], d["gamma"], d["eta"])
    return {"K": K, "L": L, "C": C, "BQ": BQ, "Y": Y, "b_ts": b_ts, "n_ts": n_ts, "c_ts": c_ts}


def _path_outputs(d, hp, r, w, h, n, bb, c, agg, i_ts, s_ts, t_idx, T, S, ext, ss0, ssT) -> Dict[str, Any]:
    K = agg["K"]
    Y, L, C, BQ = agg["Y"], agg["L"], agg["C"], agg["BQ"]
    pE, Z, cr = ext["p_E"][:T], ext["Z"][:T], ext["carbon_revenue"][:T]
    E = firm.energy_demand(Y, pE, d["eta"])
    growth_factor = d["growth"] * (1.0 + d["g_n_ss"])
    I = growth_factor * K[1:] - (1.0 - d["delta"]) * K[:T]
    G = d["alpha_G"] * Y
    CR = cr * Y
    TR = d["alpha_T"] * Y + CR
    tax_c = d["tau_c"] * C
    lump_sum_tax = G + d["alpha_T"] * Y - tax_c
    energy_cost = pE * E - CR
    rc = Y - (C + I + G + energy_cost)
    r_firm = d["gamma"] * Y / K[:T] - d["delta"]
    w_firm = (1.0 - d["gamma"] - d["eta"]) * Y / L

    Fn, Fb, _ = hp.residuals(n, bb)
    en, eb = hp.level_errors(n, bb)
    eul_n = np.maximum(np.abs(Fn), np.abs(en))
    eul_b = np.zeros_like(eul_n)
    eul_b[:, :-1] = np.maximum(np.abs(Fb), np.abs(eb))
    eul_n_ts = eul_n[i_ts[:T], s_ts[:T]].max(axis=1)
    eul_b_ts = eul_b[i_ts[:T], s_ts[:T]].max(axis=1)
    max_eul = float(max(eul_n.max(), eul_b.max()))

    last = T - 1
    rel = lambda x, xs: abs(x - xs) / max(abs(xs), 1e-12)
    dist_final = max(
        rel(K[last], ssT["K"]), rel(L[last], ssT["L"]), rel(Y[last], ssT["Y"]), rel(C[last], ssT["C"]),
        abs(r[last] - ssT["r"]), rel(w[last], ssT["w"]),
    )
    return {
        "backend": "builtin",
        "T": int(T),
        "S": int(S),
        "t": np.arange(T, dtype=float),
        # multiply a stationarised aggregate by this to get its level (N_0 = 1,
        # productivity index 1 at t = 0): e^{g_y t} (1 + g_n)^t
        "level_index": np.exp(d["g_y"] * np.arange(T)) * (1.0 + d["g_n_ss"]) ** np.arange(T),
        "Y": Y,
        "K": K[:T].copy(),
        "K_next": K[1:].copy(),
        "L": L,
        "C": C,
        "I": I,
        "E": E,
        "G": G,
        "TR": TR,
        "BQ": BQ,
        "r": r[:T].copy(),
        "w": w[:T].copy(),
        "r_firm": r_firm,
        "w_firm": w_firm,
        "p_E": pE.copy(),
        "Z": Z.copy(),
        "carbon_revenue": CR,
        "carbon_revenue_share": cr.copy(),
        "consumption_tax_revenue": tax_c,
        "lump_sum_tax": lump_sum_tax,
        "hh_lump_sum_income": h[:T].copy(),
        "energy_cost": energy_cost,
        "b": agg["b_ts"][:T].copy(),
        "n": agg["n_ts"].copy(),
        "c": agg["c_ts"].copy(),
        "euler_errors_labor_path": eul_n_ts,
        "euler_errors_savings_path": eul_b_ts,
        "max_euler_error": max_eul,
        "resource_constraint_errors": np.abs(rc),
        "resource_constraint_error": float(np.max(np.abs(rc))),
        "distance_to_final_ss": float(dist_final),
        "converged": True,
        "ss_initial": ss0,
        "ss_final": ssT,
    }
