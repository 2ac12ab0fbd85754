"""Cobb-Douglas firm with capital, labour and purchased energy.

    Y = Z K^gamma L^(1-gamma-eta) E^eta           (stationarised units)

With energy bought at price p_E (relative to output) the firm's first-order
conditions are

    r + delta = gamma Y / K,   w = (1-gamma-eta) Y / L,   p_E = eta Y / E.

Substituting the energy condition E = eta Y / p_E gives the reduced form

    Y = [A K^gamma L^(1-gamma-eta)]^(1/(1-eta)),   A = Z (eta / p_E)^eta,

which is what the equilibrium solvers use.
"""

from __future__ import annotations

import numpy as np


def energy_tfp(Z, p_E, eta):
    """A = Z (eta/p_E)^eta  (equals Z when eta = 0)."""
    Z = np.asarray(Z, dtype=float)
    if eta == 0.0:
        return Z * np.ones_like(np.asarray(p_E, dtype=float))
    return Z * (eta / np.asarray(p_E, dtype=float)) ** eta


def output(K, L, Z, p_E, gamma, eta):
    A = energy_tfp(Z, p_E, eta)
    return (A * np.asarray(K, float) ** gamma * np.asarray(L, float) ** (1.0 - gamma - eta)) ** (1.0 / (1.0 - eta))


def energy_demand(Y, p_E, eta):
    return eta * np.asarray(Y, float) / np.asarray(p_E, float)


def r_from_KL(K, L, Z, p_E, gamma, eta, delta):
    Y = output(K, L, Z, p_E, gamma, eta)
    return gamma * Y / K - delta


def w_from_KL(K, L, Z, p_E, gamma, eta):
    Y = output(K, L, Z, p_E, gamma, eta)
    return (1.0 - gamma - eta) * Y / L


def KL_from_r(r, Z, p_E, gamma, eta, delta):
    """Capital-labour ratio implied by r + delta = gamma Y/K."""
    A = energy_tfp(Z, p_E, eta)
    a = 1.0 - eta
    return (A ** (1.0 / a) * gamma / (np.asarray(r, float) + delta)) ** (a / (1.0 - gamma - eta))


def w_from_r(r, Z, p_E, gamma, eta, delta):
    """Wage consistent with the interest rate through the firm's FOCs."""
    k = KL_from_r(r, Z, p_E, gamma, eta, delta)
    y_over_k = (np.asarray(r, float) + delta) / gamma
    return (1.0 - gamma - eta) * y_over_k * k
