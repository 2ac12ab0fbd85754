import numpy as np
import pytest

import ogmacro
from ogmacro.params import default_e_profile, fit_ellipse

from .checks import ss_conditions

GOMPERTZ = 1.0 - np.clip(0.0005 * np.exp(0.085 * np.arange(80)), 0.0, 0.9)

PARAM_SETS = {
    "defaults": {},
    "S40_high_sigma_frisch": {"S": 40, "sigma": 3.0, "frisch": 0.9, "beta_annual": 0.98},
    "S10_energy_heavy_carbon_tax": {"S": 10, "gamma": 0.3, "eta": 0.1, "p_E": 2.0, "carbon_revenue": 0.04},
    "mortality_bequests": {"surv_rate": GOMPERTZ, "g_n": 0.01},
    "exogenous_labour_consumption_tax": {"endogenous_labor": False, "n_exog": 0.5, "tau_c": 0.1},
    "S20_no_growth_big_government": {"S": 20, "g_y_annual": 0.0, "g_n": 0.0, "delta_annual": 0.1,
                                      "Z": 2.0, "alpha_G": 0.2, "alpha_T": 0.0},
    "log_utility_no_energy": {"sigma": 1.0, "frisch": 0.2, "beta_annual": 0.99, "eta": 0.0, "ltilde": 2.0},
}


@pytest.fixture(scope="module")
def solved():
    return {name: ogmacro.solve_steady_state(p, backend="builtin") for name, p in PARAM_SETS.items()}


@pytest.mark.parametrize("name", list(PARAM_SETS))
def test_accuracy(solved, name):
    ss = solved[name]
    assert ss["resource_constraint_error"] < 1e-8
    assert ss["max_euler_error"] < 1e-8
    assert np.all(np.isfinite(ss["b"])) and np.all(ss["c"] > 0)


@pytest.mark.parametrize("name", list(PARAM_SETS))
def test_independent_equilibrium_check(solved, name):
    errs = ss_conditions(solved[name], PARAM_SETS[name])
    for key, val in errs.items():
        assert val < 1e-8, (key, val)


@pytest.mark.parametrize("name", list(PARAM_SETS))
def test_plausible_values(solved, name):
    ss = solved[name]
    S = ss["derived"]["S"]
    assert ss["K"] > 0 and ss["Y"] > 0 and ss["C"] > 0 and ss["L"] > 0
    assert ss["r"] > -ss["derived"]["delta"]
    ltilde = PARAM_SETS[name].get("ltilde", 1.0)
    assert np.all((ss["n"] > 0) & (ss["n"] < ltilde))
    assert ss["b"].shape == (S,) and ss["n"].shape == (S,) and ss["c"].shape == (S,)
    assert ss["b"][0] == 0.0
    assert ss["I"] > 0


def test_default_values_are_reasonable(solved):
    ss = solved["defaults"]
    annual_r = (1 + ss["r"]) ** (1 / ss["derived"]["years_per_period"]) - 1
    assert 0.02 < annual_r < 0.10
    assert 2.0 < ss["K_Y"] < 4.0
    assert abs(ss["p_E"] * ss["E"] / ss["Y"] - 0.05) < 1e-12  # energy cost share = eta


def test_bequests_only_with_mortality(solved):
    assert solved["defaults"]["BQ"] == 0.0
    assert solved["mortality_bequests"]["BQ"] > 0.0


def test_exogenous_labour_is_fixed(solved):
    ss = solved["exogenous_labour_consumption_tax"]
    np.testing.assert_allclose(ss["n"], 0.5)
    assert ss["consumption_tax_revenue"] > 0


def test_period_conversion_like_ogcore():
    ss = ogmacro.solve_steady_state({"S": 40}, backend="builtin")
    der = ss["derived"]
    assert der["beta"] == pytest.approx(0.96**2)
    assert der["delta"] == pytest.approx(1 - 0.95**2)
    assert der["g_y"] == pytest.approx(1.02**2 - 1)


def test_ellipse_fit_matches_ogcore_default_calibration():
    # OG-Core's default calibration pairs frisch = 0.4 with b_ellipse ~ 0.572, upsilon ~ 2.856
    b, u = fit_ellipse(0.4)
    assert b == pytest.approx(0.572, abs=2e-3)
    assert u == pytest.approx(2.856, abs=2e-3)


def test_explicit_ellipse_parameters_are_used():
    ss = ogmacro.solve_steady_state({"S": 20, "b_ellipse": 0.6, "upsilon": 2.0}, backend="builtin")
    assert ss["derived"]["b_ellipse"] == 0.6 and ss["derived"]["upsilon"] == 2.0
    assert ss["max_euler_error"] < 1e-8


def test_default_labour_productivity_profile():
    e = default_e_profile(80)
    assert e.shape == (80,) and np.all(e > 0) and e.mean() == pytest.approx(1.0)
    assert np.argmax(e) < 50  # earnings peak before retirement


@pytest.mark.parametrize("base", [{}, {"S": 20, "sigma": 3.0}, {"surv_rate": GOMPERTZ}, {"endogenous_labor": False}])
def test_comparative_statics_energy_price(base):
    s0 = ogmacro.solve_steady_state(base, backend="builtin")
    s1 = ogmacro.solve_steady_state({**base, "p_E": 1.3}, backend="builtin")
    for key in ("K", "Y", "w", "E"):
        assert s1[key] < s0[key], key


@pytest.mark.parametrize("base", [{}, {"S": 20, "sigma": 3.0}, {"surv_rate": GOMPERTZ}, {"endogenous_labor": False}])
def test_comparative_statics_tfp(base):
    s0 = ogmacro.solve_steady_state(base, backend="builtin")
    s1 = ogmacro.solve_steady_state({**base, "Z": 1.1}, backend="builtin")
    for key in ("K", "Y", "w", "E"):
        assert s1[key] > s0[key], key


def test_carbon_revenue_recycled():
    s0 = ogmacro.solve_steady_state({"S": 20}, backend="builtin")
    s1 = ogmacro.solve_steady_state({"S": 20, "carbon_revenue": 0.02}, backend="builtin")
    assert s1["carbon_revenue"] == pytest.approx(0.02 * s1["Y"])
    # recycled revenue raises households' lump-sum income and consumption
    assert s1["hh_lump_sum_income"] > s0["hh_lump_sum_income"]
    assert s1["C"] > s0["C"]
    assert s1["resource_constraint_error"] < 1e-8


def test_steady_state_is_fast():
    ss = ogmacro.solve_steady_state({}, backend="builtin")
    assert ss["solve_time"] < 1.0
