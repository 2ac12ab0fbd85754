"""Steady state (balanced growth path) of the built-in OG model.

Algorithm (OG-Core's two-level scheme, with a Newton-type outer solver):

* outer unknowns: the interest rate r and the per-capita lump-sum income of
  households h = net transfers + bequests (OG-Core iterates on r, TR and BQ);
  r is parameterised as r = -delta + exp(z) so the root finder can never step
  to a rate at which the firm's capital demand is undefined;
* inner problem: given r (and the wage w(r) from the firm's FOCs) and h, solve
  the household's 2S-1 Euler equations with the vectorised Newton solver of
  :mod:`ogmacro.household` to ~1e-13;
* outer residuals: r - (gamma Y/K - delta) and h - h'(K, L, C), solved with
  ``scipy.optimize.root(method="hybr")``; if that fails, OG-Core's damped
  fixed-point update (weight ``nu``) is run for a while and hybr is retried.
"""

from __future__ import annotations

import math
import time
from typing import Any, Dict, Mapping, Optional

import numpy as np
from scipy import optimize

from . import firm
from .household import HouseholdInfeasible, HouseholdProblem, initial_guess
from .params import ConvergenceError, derive, validate

HH_TOL = 1e-13


def _aggregate_ss(d, r, h, n, bb, c):
    """Aggregates implied by a steady-state household profile."""
    om, e, gn = d["omega"], d["e"], d["g_n_ss"]
    K = float(np.dot(om[:-1], bb[1:d["S"]]) / (1.0 + gn))
    L = float(np.dot(om, e * n))
    C = float(np.dot(om, c))
    BQ = float((1.0 + r) * np.dot(om[:-1] * d["rho"][:-1], bb[1:d["S"]]) / (1.0 + gn))
    return K, L, C, BQ


class _SSCore:
    def __init__(self, d):
        self.d = d
        S = d["S"]
        self.n, self.bb = initial_guess(1, S, d["ltilde"])
        if not d["endogenous_labor"]:
            self.n[0] = d["n_exog"]
        self.n0, self.bb0 = self.n.copy(), self.bb.copy()
        self.evals = 0

    def household(self, r, h):
        d = self.d
        S = d["S"]
        w = float(firm.w_from_r(r, d["Z"], d["p_E"], d["gamma"], d["eta"], d["delta"]))
        ones = np.ones((1, S))
        hp = HouseholdProblem(ones * r, ones * w, ones * h, np.array([0]), np.array([0.0]), d)
        try:
            n, bb, c, info = hp.solve(self.n, self.bb, tol=HH_TOL)
        except (ConvergenceError, HouseholdInfeasible):
            # retry from the cautious initial guess before giving up
            n, bb, c, info = hp.solve(self.n0, self.bb0, tol=HH_TOL)
        self.n, self.bb = n, bb
        return w, hp, n, bb, c

    def implied(self, r, h):
        """Household response to (r, h): returns (K supply, K demand, h implied, Y demand).

        Capital demand K_d = L * (K/L)(r) comes from the firm's FOC; the
        residual K_s/K_d - 1 is defined (and smooth) even when households
        hold negative net wealth, which keeps the outer root finder safe.
        """
        d = self.d
        self.evals += 1
        w, hp, n, bb, c = self.household(r, h)
        K, L, C, BQ = _aggregate_ss(d, r, h, n[0], bb[0], c[0])
        if not L > 0:
            raise ConvergenceError("steady state: non-positive aggregate labour", float("inf"), self.evals)
        Kd = float(firm.KL_from_r(r, d["Z"], d["p_E"], d["gamma"], d["eta"], d["delta"])) * L
        Yd = (r + d["delta"]) / d["gamma"] * Kd
        h_new = d["carbon_revenue"] * Yd + d["tau_c"] * C - d["alpha_G"] * Yd + BQ
        return K, Kd, h_new, Yd

    def resid(self, z):
        r = -self.d["delta"] + math.exp(float(z[0]))
        h = float(z[1])
        if not (r + self.d["delta"] > 0 and math.isfinite(r) and math.isfinite(h)):
            return np.array([1e3, 1e3])
        try:
            with np.errstate(all="ignore"):
                K, Kd, h_new, Yd = self.implied(r, h)
        except (ConvergenceError, HouseholdInfeasible, FloatingPointError):
            return np.array([1e3, 1e3])
        if not (math.isfinite(K) and math.isfinite(Kd) and Kd > 0 and math.isfinite(h_new)):
            return np.array([1e3, 1e3])
        return np.array([K / Kd - 1.0, (h_new - h) / Yd])

    def solve_r_given_h(self, h, r_guess):
        """Bracket and solve K_s(r) = K_d(r) for fixed h (robust fallback).

        Works in z = log(r + delta).  Household problems that cannot be
        solved (very low r: households deep in debt, consumption near zero)
        count as "move up"; when stepping down into such a region the step is
        halved, so the bracket stays inside the solvable region.
        """
        d = self.d

        def f(z):
            v = self.resid([z, h])[0]
            return None if abs(v) >= 1e3 else v

        za = math.log(max(r_guess + d["delta"], 1e-8))
        fa = f(za)
        step = 0.25
        tries = 0
        while fa is None:  # climb out of the unsolvable region
            za += step
            step *= 1.5
            fa = f(za)
            tries += 1
            if tries > 40:
                raise ConvergenceError("steady state: household problem unsolvable for all interest rates tried",
                                       float("inf"), self.evals)
        step = 0.25
        for _ in range(200):
            zb = za + (step if fa < 0 else -step)
            fb = f(zb)
            if fb is None:
                step *= 0.5
                if step < 1e-10:
                    break
                continue
            if np.sign(fb) != np.sign(fa):
                lo, hi = (za, zb) if za < zb else (zb, za)

                def g(z):
                    v = f(z)
                    if v is None:
                        raise ConvergenceError("steady state: household solve failed inside bracket", float("inf"),
                                               self.evals)
                    return v

                return -d["delta"] + math.exp(optimize.brentq(g, lo, hi, xtol=1e-15, rtol=4 * np.finfo(float).eps))
            za, fa = zb, fb
            step *= 1.5
        raise ConvergenceError("steady state: could not bracket the interest rate", abs(fa), self.evals)


def _initial_outer(d):
    """Representative-agent style starting values for (r, h)."""
    r0 = (1.0 / d["beta"]) * math.exp(d["sigma"] * d["g_y"]) - 1.0
    r0 = min(max(r0, -0.5 * d["delta"] + 1e-3), 2.0)
    r0 = 0.7 * r0 + 0.3 * 0.5 * r0  # OLG economies typically sit below the Ramsey rate
    k = float(firm.KL_from_r(r0, d["Z"], d["p_E"], d["gamma"], d["eta"], d["delta"]))
    L0 = float(np.dot(d["omega"], d["e"])) * (0.4 * d["ltilde"] if d["endogenous_labor"] else 1.0)
    Y0 = (r0 + d["delta"]) / d["gamma"] * k * L0
    h0 = (d["carbon_revenue"] - d["alpha_G"] + 0.6 * d["tau_c"]) * Y0
    return r0, h0


def solve_steady_state(params: Optional[Mapping[str, Any]] = None, _d: Optional[Dict] = None) -> Dict[str, Any]:
    """Solve the steady state of the built-in model; see README for the outputs."""
    t0 = time.perf_counter()
    if _d is None:
        p = validate(params)
        d = derive(p)
    else:
        d = _d
    core = _SSCore(d)
    r0, h0 = _initial_outer(d)
    tol = d["mindist_SS"]
    z0 = np.array([math.log(r0 + d["delta"]), h0])

    def attempt(z):
        sol = optimize.root(core.resid, z, method="hybr", options={"xtol": 1e-14, "maxfev": 400 + 40 * 2})
        return sol.x, float(np.max(np.abs(core.resid(sol.x))))

    z, dist = attempt(z0)
    if not dist < tol:
        # Robust fallback: for fixed h bracket r (K supply = K demand), then
        # update h with OG-Core's damped fixed point (weight nu); polish with hybr.
        r, h = r0, h0
        nu = d["nu"]
        dist_fp = float("inf")
        for it in range(d["maxiter"]):
            r = core.solve_r_given_h(h, r)
            try:
                K, Kd, h_new, Yd = core.implied(r, h)
            except (ConvergenceError, HouseholdInfeasible) as exc:
                raise ConvergenceError(f"steady state: inner solve failed ({exc})", dist_fp, it) from None
            dist_fp = abs(h_new - h) / Yd
            if dist_fp < max(tol, 1e-9):
                break
            h = nu * h_new + (1.0 - nu) * h
        z, dist = attempt(np.array([math.log(r + d["delta"]), h]))
        if not dist < tol:
            raise ConvergenceError("steady state did not converge", min(dist, dist_fp), core.evals)

    r = -d["delta"] + math.exp(float(z[0]))
    h = float(z[1])
    out = _ss_outputs(d, core, r, h)
    out["iterations"] = int(core.evals)
    out["ss_distance"] = float(dist)
    out["solve_time"] = time.perf_counter() - t0
    return out


def _ss_outputs(d, core, r, h) -> Dict[str, Any]:
    w, hp, n, bb, c = core.household(r, h)
    S = d["S"]
    K, L, C, BQ = _aggregate_ss(d, r, h, n[0], bb[0], c[0])
    Y = float(firm.output(K, L, d["Z"], d["p_E"], d["gamma"], d["eta"]))
    E = float(firm.energy_demand(Y, d["p_E"], d["eta"]))
    growth_factor = d["growth"] * (1.0 + d["g_n_ss"])
    I = (growth_factor - 1.0 + d["delta"]) * K
    G = d["alpha_G"] * Y
    CR = d["carbon_revenue"] * Y
    TR = d["alpha_T"] * Y + CR  # gross transfers: base transfers + recycled carbon revenue
    tax_c = d["tau_c"] * C
    lump_sum_tax = G + d["alpha_T"] * Y - tax_c  # balances the government budget
    net_transfers = TR - lump_sum_tax
    energy_cost = d["p_E"] * E - CR  # resources paid to the energy sector (excl. carbon tax)
    rc = Y - (C + I + G + energy_cost)
    Fn, Fb, _ = hp.residuals(n, bb)
    en, eb = hp.level_errors(n, bb)
    eul_n = np.maximum(np.abs(Fn[0]), np.abs(en[0]))
    eul_b = np.maximum(np.abs(Fb[0]), np.abs(eb[0]))
    r_firm = d["gamma"] * Y / K - d["delta"]
    w_firm = (1.0 - d["gamma"] - d["eta"]) * Y / L
    return {
        "backend": "builtin",
        "r": float(r),
        "w": float(w),
        "p_E": float(d["p_E"]),
        "Z": float(d["Z"]),
        "r_firm": float(r_firm),
        "w_firm": float(w_firm),
        "rental_rate": float(r + d["delta"]),
        "K": K,
        "L": L,
        "Y": Y,
        "C": C,
        "E": E,
        "I": float(I),
        "G": float(G),
        "TR": float(TR),
        "BQ": float(BQ),
        "carbon_revenue": float(CR),
        "consumption_tax_revenue": float(tax_c),
        "lump_sum_tax": float(lump_sum_tax),
        "net_transfers": float(net_transfers),
        "hh_lump_sum_income": float(h),
        "energy_cost": float(energy_cost),
        "K_Y": K / Y,
        "b": bb[0, :S].copy(),  # wealth on entering age s
        "b_splus1": bb[0, 1:].copy(),  # savings chosen at age s
        "n": n[0].copy(),
        "c": c[0].copy(),
        "omega": d["omega"].copy(),
        "e": d["e"].copy(),
        "chi_n": d["chi_n"].copy(),
        "surv_rate": d["surv"].copy(),
        "euler_errors_labor": eul_n,
        "euler_errors_savings": eul_b,
        "max_euler_error": float(max(eul_n.max(), eul_b.max() if eul_b.size else 0.0)),
        "resource_constraint_error": float(abs(rc)),
        "r_error": float(abs(r - r_firm)),
        "derived": {
            "beta": float(d["beta"]),
            "delta": float(d["delta"]),
            "g_y": float(d["g_y"]),
            "g_n_ss": float(d["g_n_ss"]),
            "b_ellipse": float(d["b_ellipse"]),
            "upsilon": float(d["upsilon"]),
            "S": int(S),
            "years_per_period": float(d["years_per_period"]),
        },
    }
