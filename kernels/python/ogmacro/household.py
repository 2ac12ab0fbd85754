"""Vectorised solver for the households' lifetime Euler equations.

All cohorts are solved at once.  A cohort is a row of (N, S) arrays indexed by
age s = 0..S-1.  Its unknowns are labour n_0..n_{S-1} and wealth b_1..b_{S-1}
(b_s is wealth on entering age s, b_0 = b_S = 0), interleaved as

    x = [n_0, b_1, n_1, b_2, ..., b_{S-1}, n_{S-1}]          (2S-1 unknowns)

Equation row 2s is the labour-leisure condition at age s and row 2s+1 the
savings (consumption) Euler equation between ages s and s+1.  Every equation
touches at most the unknowns two places either side of its own, so the
Jacobian of one cohort is pentadiagonal and the Jacobian of all cohorts
stacked end to end is still pentadiagonal.  One Newton step for every cohort
is therefore a single ``scipy.linalg.solve_banded`` call of size N*(2S-1),
with analytic derivatives and a per-cohort backtracking line search that keeps
consumption positive and labour inside (0, ltilde).

Partially lived cohorts (alive at t = 0 with age a0 > 0) and exogenous labour
are handled by "pinning" rows: the equation is replaced by x_i = fixed value.

Residuals are written in unit-free (relative) form:

    labour:  (1+tau_c) chi_s MDU(n_s) c_s^sigma / (w_t e_s) - 1
    savings: beta surv_s (1+r_{t+1}) e^{-sigma g_y} (c_s / c_{s+1})^sigma - 1
"""

from __future__ import annotations

from typing import Dict, Optional

import numpy as np
from scipy import linalg

from .params import ConvergenceError


#: Below this (relative) residual a Newton iteration that no longer halves the
#: error is taken to have reached floating-point noise and stops.
ROUNDOFF_TOL = 1e-10


class HouseholdInfeasible(RuntimeError):
    """No feasible starting point (consumption would be non-positive)."""


def _consumption(n, bb, R, W, TR, e, growth, tau_c):
    return ((1.0 + R) * bb[:, :-1] + W * e * n + TR - growth * bb[:, 1:]) / (1.0 + tau_c)


def _mdu(n, b_ell, ups, ltilde):
    """Marginal disutility of labour of the elliptical utility (and (n/l)^upsilon)."""
    x = n / ltilde
    xu = x**ups
    return (b_ell / ltilde) * x ** (ups - 1.0) * (1.0 - xu) ** ((1.0 - ups) / ups), xu


class HouseholdProblem:
    """Batch of N cohort problems with given price paths (aligned by age).

    Args:
        R, W, TR: (N, S) interest rate, wage and per-capita lump-sum income
            (net transfers + bequests) faced by each cohort at each age.
        a0: (N,) first age at which the cohort optimises (0 for newborns).
        b_a0: (N,) wealth entering age a0 (ignored where a0 == 0).
        d: derived parameter dict (see params.derive).
    """

    def __init__(self, R, W, TR, a0, b_a0, d: Dict):
        self.R = np.asarray(R, dtype=float)
        self.W = np.asarray(W, dtype=float)
        self.TR = np.asarray(TR, dtype=float)
        N, S = self.R.shape
        self.N, self.S = N, S
        self.a0 = np.asarray(a0, dtype=int)
        self.b_a0 = np.asarray(b_a0, dtype=float)
        self.e = d["e"]
        self.chi = d["chi_n"]
        self.surv = d["surv"]
        self.beta = d["beta"]
        self.sigma = d["sigma"]
        self.growth = d["growth"]
        self.g_y = d["g_y"]
        self.tau_c = d["tau_c"]
        self.b_ell = d["b_ellipse"]
        self.ups = d["upsilon"]
        self.ltilde = d["ltilde"]
        self.endog = d["endogenous_labor"]
        self.n_exog = d["n_exog"]
        ages = np.arange(S)
        self.active = ages[None, :] >= self.a0[:, None]  # (N, S) age is optimised
        # savings Euler for ages 0..S-2 is active when the age is active
        self.active_b = self.active[:, :-1]
        self.lab_free = self.active & self.endog  # labour rows that are real equations
        self.disc = self.beta * self.surv[:-1] * np.exp(-self.sigma * self.g_y)  # (S-1,)

    # -- helpers -------------------------------------------------------------
    def pin(self, n, bb):
        """Put pinned unknowns at their fixed values (in place)."""
        N, S = self.N, self.S
        if not self.endog:
            n[:] = np.where(self.active, self.n_exog[None, :], n)
        rows = np.nonzero(self.a0 > 0)[0]
        if rows.size:
            bb[rows, self.a0[rows]] = self.b_a0[rows]
        bb[:, 0] = 0.0
        bb[:, S] = 0.0
        return n, bb

    def feasible(self, n, bb):
        """(N,) bool: consumption > 0 and labour in (0, ltilde) at active ages."""
        c = _consumption(n, bb, self.R, self.W, self.TR, self.e, self.growth, self.tau_c)
        ok = np.all((c > 0) | ~self.active, axis=1)
        if self.endog:
            ok &= np.all(((n > 0) & (n < self.ltilde)) | ~self.active, axis=1)
        return ok

    def residuals(self, n, bb):
        """Euler residuals (N, S) labour and (N, S-1) savings; inactive rows = 0."""
        c = _consumption(n, bb, self.R, self.W, self.TR, self.e, self.growth, self.tau_c)
        with np.errstate(all="ignore"):
            cs = np.where(self.active, c, 1.0)
            ns = np.where(self.lab_free, n, 0.5 * self.ltilde)
            mdu, _ = _mdu(ns, self.b_ell, self.ups, self.ltilde)
            Fn = (1.0 + self.tau_c) * self.chi * mdu * cs**self.sigma / (self.W * self.e) - 1.0
            Fn = np.where(self.lab_free, Fn, 0.0)
            H = self.disc * (1.0 + self.R[:, 1:]) * (cs[:, :-1] / cs[:, 1:]) ** self.sigma
            Fb = np.where(self.active_b, H - 1.0, 0.0)
        return Fn, Fb, c

    def level_errors(self, n, bb):
        """Euler errors in OG-Core's level form (marginal-utility differences)."""
        c = _consumption(n, bb, self.R, self.W, self.TR, self.e, self.growth, self.tau_c)
        with np.errstate(all="ignore"):
            cs = np.where(self.active, c, 1.0)
            ns = np.where(self.lab_free, n, 0.5 * self.ltilde)
            mdu, _ = _mdu(ns, self.b_ell, self.ups, self.ltilde)
            en = self.W * self.e * cs ** (-self.sigma) / (1.0 + self.tau_c) - self.chi * mdu
            en = np.where(self.lab_free, en, 0.0)
            eb = cs[:, :-1] ** (-self.sigma) - self.disc * (1.0 + self.R[:, 1:]) * cs[:, 1:] ** (-self.sigma)
            eb = np.where(self.active_b, eb, 0.0)
        return en, eb

    def _jacobian(self, n, bb, c, Fn, Fb):
        """Banded (l=2,u=2) Jacobian of the stacked system, solve_banded layout."""
        N, S = self.N, self.S
        M1 = 2 * S - 1
        sig, tc, g = self.sigma, 1.0 + self.tau_c, self.growth
        R, W, e = self.R, self.W, self.e
        with np.errstate(all="ignore"):
            cs = np.where(self.active, c, 1.0)
            # D[k][:, i] = dF_i / dx_{i+k}, per cohort, i in 0..2S-2
            D = {k: np.zeros((N, M1)) for k in (-2, -1, 0, 1, 2)}
            # labour rows i = 2s
            Gn = Fn + 1.0
            ns = np.where(self.lab_free, n, 0.5 * self.ltilde)
            xu = (ns / self.ltilde) ** self.ups
            dlogmdu = (self.ups - 1.0) / (ns * (1.0 - xu))
            a = Gn * sig / cs
            lab_m1 = a * (1.0 + R) / tc  # d/db_s
            lab_0 = Gn * dlogmdu + a * W * e / tc  # d/dn_s
            lab_p1 = -a * g / tc  # d/db_{s+1}
            free = self.lab_free
            D[0][:, 0::2] = np.where(free, lab_0, 1.0)
            D[-1][:, 2::2] = np.where(free[:, 1:], lab_m1[:, 1:], 0.0)
            D[1][:, 0:-1:2] = np.where(free[:, :-1], lab_p1[:, :-1], 0.0)
            # savings rows i = 2s+1, s = 0..S-2
            H = Fb + 1.0
            cs0, cs1 = cs[:, :-1], cs[:, 1:]
            h0 = H * sig / cs0
            h1 = H * sig / cs1
            act = self.active_b
            sav_m2 = h0 * (1.0 + R[:, :-1]) / tc  # d/db_s (s >= 1)
            sav_m1 = h0 * W[:, :-1] * e[:-1] / tc  # d/dn_s
            sav_0 = -h0 * g / tc - h1 * (1.0 + R[:, 1:]) / tc  # d/db_{s+1}
            sav_p1 = -h1 * W[:, 1:] * e[1:] / tc  # d/dn_{s+1}
            sav_p2 = h1 * g / tc  # d/db_{s+2} (s+2 <= S-1)
            D[0][:, 1::2] = np.where(act, sav_0, 1.0)
            D[-1][:, 1::2] = np.where(act, sav_m1, 0.0)
            D[1][:, 1::2] = np.where(act, sav_p1, 0.0)
            D[-2][:, 3::2] = np.where(act[:, 1:], sav_m2[:, 1:], 0.0)
            D[2][:, 1:-2:2] = np.where(act[:, :-1], sav_p2[:, :-1], 0.0)
        # exogenous labour: labour rows already identity where not free (D[0]=1, others 0)
        M = N * M1
        ab = np.zeros((5, M))
        for k in (-2, -1, 0, 1, 2):
            flat = D[k].reshape(-1)
            if k >= 0:
                ab[2 - k, k:] = flat[: M - k]
            else:
                ab[2 - k, : M + k] = flat[-k:]
        return ab

    @staticmethod
    def _pack(n, bb):
        N, S = n.shape
        x = np.empty((N, 2 * S - 1))
        x[:, 0::2] = n
        x[:, 1::2] = bb[:, 1:S]
        return x

    @staticmethod
    def _unpack(x, S):
        N = x.shape[0]
        n = x[:, 0::2].copy()
        bb = np.zeros((N, S + 1))
        bb[:, 1:S] = x[:, 1::2]
        return n, bb

    def solve(self, n0, bb0, tol: float = 1e-13, maxiter: int = 100):
        """Newton's method on all cohorts at once.  Returns (n, bb, c, info)."""
        N, S = self.N, self.S
        n = np.array(n0, dtype=float, copy=True)
        bb = np.array(bb0, dtype=float, copy=True)
        self.pin(n, bb)
        ok = self.feasible(n, bb)
        if not np.all(ok):
            n, bb = self._repair(n, bb, ok)
        Fn, Fb, c = self.residuals(n, bb)
        F = self._pack_res(Fn, Fb)
        err_c = np.max(np.abs(F), axis=1)
        it = 0
        prev = np.inf
        while True:
            err = float(err_c.max()) if N else 0.0
            if err < tol:
                break
            if err < ROUNDOFF_TOL and err > 0.5 * prev:
                break  # Newton has stalled at floating-point noise: converged
            prev = err
            if it >= maxiter:
                raise ConvergenceError("household Euler equations did not converge", err, it)
            it += 1
            ab = self._jacobian(n, bb, c, Fn, Fb)
            try:
                dx = linalg.solve_banded((2, 2), ab, -F.reshape(-1), check_finite=False)
            except (linalg.LinAlgError, ValueError) as exc:  # pragma: no cover - defensive
                raise ConvergenceError(f"household Newton step failed: {exc}", err, it) from None
            dx = dx.reshape(N, 2 * S - 1)
            x = self._pack(n, bb)
            step = np.ones(N)
            todo = err_c >= tol * 1e-3  # cohorts still worth moving
            step[~todo] = 0.0
            accepted = ~todo
            new_x = x.copy()
            new_err = err_c.copy()
            newF = F.copy()
            new_c = c.copy()
            for _ in range(60):
                pending = ~accepted
                if not pending.any():
                    break
                xt = x + step[:, None] * dx
                nt, bbt = self._unpack(xt, S)
                feas = self.feasible(nt, bbt)
                Fnt, Fbt, ct = self.residuals(nt, bbt)
                Ft = self._pack_res(Fnt, Fbt)
                et = np.max(np.abs(Ft), axis=1)
                improved = (et < err_c) | (et < tol)
                stalled = (step < 1e-3) & (et < 10 * err_c + 1e-8)  # round-off level: accept a tiny step
                good = pending & feas & np.isfinite(et) & (improved | stalled)
                new_x[good] = xt[good]
                new_err[good] = et[good]
                newF[good] = Ft[good]
                new_c[good] = ct[good]
                accepted |= good
                step[pending & ~good] *= 0.5
            if not accepted.all():
                bad = int(np.count_nonzero(~accepted))
                raise ConvergenceError(f"household line search failed for {bad} cohort(s)", err, it)
            n, bb = self._unpack(new_x, S)
            err_c = new_err
            F = newF
            c = new_c
            Fn = F[:, 0::2]
            Fb = F[:, 1::2]
        info = {"iterations": it, "max_error": float(err_c.max()) if N else 0.0}
        return n, bb, c, info

    @staticmethod
    def _pack_res(Fn, Fb):
        N, S = Fn.shape
        F = np.empty((N, 2 * S - 1))
        F[:, 0::2] = Fn
        F[:, 1::2] = Fb
        return F

    def _repair(self, n, bb, ok):
        """Replace infeasible starting guesses by the Euler-smoothed profile."""
        bad = ~ok
        n2, bb2 = self.smooth_guess(n)
        n = np.where(bad[:, None], n2, n)
        bb = np.where(bad[:, None], bb2, bb)
        self.pin(n, bb)
        if not self.feasible(n, bb)[bad].all():
            raise HouseholdInfeasible(
                "household problem has no feasible starting point: lifetime resources "
                "(wealth + labour income + lump-sum income) are not positive"
            )
        return n, bb

    def smooth_guess(self, n=None):
        """Feasible guess: consumption grows at the Euler rate, budget exhausted at S.

        Labour is kept at ``n`` (clipped into (0, ltilde)); wealth follows the
        budget constraint with b_S = 0.  The recursion runs over ages (S steps)
        vectorised over all cohorts.
        """
        N, S = self.N, self.S
        if n is None:
            n = np.full((N, S), 0.4 * self.ltilde)
        n = np.clip(np.where(np.isfinite(n), n, 0.4 * self.ltilde), 0.02 * self.ltilde, 0.98 * self.ltilde)
        if not self.endog:
            n = np.broadcast_to(self.n_exog, (N, S)).copy()
        tc, g = 1.0 + self.tau_c, self.growth
        with np.errstate(all="ignore"):
            gc = (self.disc * np.maximum(1.0 + self.R[:, 1:], 1e-12)) ** (1.0 / self.sigma)  # (N, S-1)
        m = np.ones((N, S))
        A = np.zeros(N)
        B = np.zeros(N)
        y = self.W * self.e * n + self.TR
        for s in range(S):
            started = s >= self.a0
            at_start = s == self.a0
            A = np.where(at_start, self.b_a0 * (self.a0 > 0), A)
            B = np.where(at_start, 0.0, B)
            if s > 0:
                m[:, s] = np.where(s > self.a0, m[:, s - 1] * gc[:, s - 1], 1.0)
            A_new = ((1.0 + self.R[:, s]) * A + y[:, s]) / g
            B_new = ((1.0 + self.R[:, s]) * B - tc * m[:, s]) / g
            A = np.where(started, A_new, A)
            B = np.where(started, B_new, B)
        with np.errstate(all="ignore"):
            c0 = np.where(B < 0, -A / B, -1.0)
        bb = np.zeros((N, S + 1))
        rows = self.a0 > 0
        bb[rows, self.a0[rows]] = self.b_a0[rows]
        for s in range(S - 1):
            started = s >= self.a0
            nxt = ((1.0 + self.R[:, s]) * bb[:, s] + y[:, s] - tc * c0 * m[:, s]) / g
            bb[:, s + 1] = np.where(started, nxt, bb[:, s + 1])
        bb[:, S] = 0.0
        return n, bb


def initial_guess(N: int, S: int, ltilde: float, n_level: float = 0.4):
    """Zero-wealth, constant-labour guess for N cohorts."""
    n = np.full((N, S), n_level * ltilde)
    bb = np.zeros((N, S + 1))
    return n, bb
