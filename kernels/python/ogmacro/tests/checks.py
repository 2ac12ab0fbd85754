"""Independent re-computation of equilibrium conditions from solver outputs.

Nothing here calls the solver's residual code: budgets, Euler equations and
the resource constraint are rebuilt from the returned prices and profiles.
"""

import math

import numpy as np


def mdu(n, b, ups, ltilde):
    x = n / ltilde
    return (b / ltilde) * x ** (ups - 1) * (1 - x**ups) ** ((1 - ups) / ups)


def ss_conditions(ss, params):
    """Max abs errors of (budget, savings Euler, labour FOC, firm FOCs, RC)."""
    der = ss["derived"]
    beta, g_y, delta, g_n = der["beta"], der["g_y"], der["delta"], der["g_n_ss"]
    b_e, ups = der["b_ellipse"], der["upsilon"]
    sigma = params.get("sigma", 1.5)
    tau_c = params.get("tau_c", 0.0)
    ltilde = params.get("ltilde", 1.0)
    endog = params.get("endogenous_labor", True)
    e, chi, surv, om = ss["e"], ss["chi_n"], ss["surv_rate"], ss["omega"]
    r, w, h = ss["r"], ss["w"], ss["hh_lump_sum_income"]
    b, bp, n, c = ss["b"], ss["b_splus1"], ss["n"], ss["c"]
    G = math.exp(g_y)
    budget = (1 + tau_c) * c - ((1 + r) * b + w * e * n + h - G * bp)
    sav = c[:-1] ** -sigma - beta * surv[:-1] * (1 + r) * math.exp(-sigma * g_y) * c[1:] ** -sigma
    lab = w * e * c**-sigma / (1 + tau_c) - chi * mdu(n, b_e, ups, ltilde) if endog else n - params.get("n_exog", 0.4)
    K = np.dot(om[:-1], b[1:]) / (1 + g_n)
    L = np.dot(om, e * n)
    gamma = params.get("gamma", 0.35)
    eta = params.get("eta", 0.05)
    Y = ss["Y"]
    firm = max(abs(K - ss["K"]), abs(L - ss["L"]), abs(r - (gamma * Y / K - delta)),
               abs(w - (1 - gamma - eta) * Y / L), abs(ss["p_E"] - eta * Y / ss["E"]) if eta > 0 else 0.0)
    I = (G * (1 + g_n) - 1 + delta) * K
    C = np.dot(om, c)
    rc = Y - C - I - ss["G"] - (ss["p_E"] * ss["E"] - ss["carbon_revenue"])
    return {
        "budget": float(np.max(np.abs(budget))),
        "savings": float(np.max(np.abs(sav))),
        "labour": float(np.max(np.abs(lab))),
        "firm": float(firm),
        "rc": float(abs(rc)),
    }


def tpi_conditions(tp, params):
    """Budget and Euler errors along the path rebuilt from (t, s) outputs (t < T-1)."""
    ss = tp["ss_initial"]
    der = ss["derived"]
    beta, g_y = der["beta"], der["g_y"]
    b_e, ups = der["b_ellipse"], der["upsilon"]
    sigma = params.get("sigma", 1.5)
    tau_c = params.get("tau_c", 0.0)
    ltilde = params.get("ltilde", 1.0)
    e, chi, surv = ss["e"], ss["chi_n"], ss["surv_rate"]
    r, w, h = tp["r"], tp["w"], tp["hh_lump_sum_income"]
    b, n, c = tp["b"], tp["n"], tp["c"]  # (T, S): wealth entering age s in t, labour, consumption
    T, S = b.shape
    G = math.exp(g_y)
    # budget for t < T-1, s < S-1 (needs b_{s+1,t+1}); last age: b_{S} = 0
    bud = (1 + tau_c) * c[:-1, :-1] - ((1 + r[:-1, None]) * b[:-1, :-1] + w[:-1, None] * e[:-1] * n[:-1, :-1]
                                       + h[:-1, None] - G * b[1:, 1:])
    bud_last = (1 + tau_c) * c[:, -1] - ((1 + r) * b[:, -1] + w * e[-1] * n[:, -1] + h)
    sav = 1 - beta * surv[:-1] * (1 + r[1:, None]) * math.exp(-sigma * g_y) * (c[:-1, :-1] / c[1:, 1:]) ** sigma
    if params.get("endogenous_labor", True):
        lab = 1 - (1 + tau_c) * chi * mdu(n, b_e, ups, ltilde) * c**sigma / (w[:, None] * e)
    else:
        lab = n - params.get("n_exog", 0.4)
    return {
        "budget": float(max(np.max(np.abs(bud)), np.max(np.abs(bud_last)))),
        "savings": float(np.max(np.abs(sav))),
        "labour": float(np.max(np.abs(lab))),
    }
