import numpy as np
import pytest

import ogmacro

from .checks import tpi_conditions

GOMPERTZ20 = 1.0 - np.clip(0.002 * np.exp(0.34 * np.arange(20)), 0.0, 0.9)


@pytest.fixture(scope="module")
def full_unchanged():
    return ogmacro.solve_transition_path({"S": 80, "T": 240}, None, backend="builtin")


@pytest.fixture(scope="module")
def full_shock():
    return ogmacro.solve_transition_path({"S": 80, "T": 240}, {"p_E": np.full(240, 1.25)}, backend="builtin")


def test_unchanged_paths_reproduce_steady_state(full_unchanged):
    tp = full_unchanged
    ss = tp["ss_initial"]
    for key in ("Y", "K", "L", "C", "r", "w", "E", "I"):
        assert tp[key].shape == (240,)
        assert np.max(np.abs(tp[key] - ss[key])) < 1e-8, key
    assert np.max(np.abs(tp["n"] - ss["n"][None, :])) < 1e-8
    assert tp["max_euler_error"] < 1e-7
    assert tp["resource_constraint_error"] < 1e-8


def test_permanent_energy_price_shock_converges(full_shock):
    tp = full_shock
    assert tp["distance_to_final_ss"] < 1e-6
    assert tp["max_euler_error"] < 1e-7
    assert tp["resource_constraint_error"] < 1e-8
    ss0, ssT = tp["ss_initial"], tp["ss_final"]
    assert ssT["K"] < ss0["K"] and ssT["Y"] < ss0["Y"] and ssT["E"] < ss0["E"]
    # capital is predetermined in the first period, then falls towards the new SS
    assert tp["K"][0] == pytest.approx(ss0["K"], rel=1e-12)
    assert tp["K"][-1] == pytest.approx(ssT["K"], rel=1e-6)
    # on impact energy demand and wages drop
    assert tp["E"][0] < ss0["E"] and tp["w"][0] < ss0["w"]


def test_shock_path_independent_checks(full_shock):
    errs = tpi_conditions(full_shock, {})
    for key, val in errs.items():
        assert val < 1e-7, (key, val)
    # aggregate capital rebuilt from the wealth distribution
    ss = full_shock["ss_initial"]
    K = full_shock["b"][:, 1:] @ ss["omega"][:-1] / (1 + ss["derived"]["g_n_ss"])
    np.testing.assert_allclose(K, full_shock["K"], rtol=1e-12)


def test_full_size_tpi_is_fast(full_shock):
    assert full_shock["solve_time"] < 30.0


def test_tfp_shock_raises_capital_over_time():
    tp = ogmacro.solve_transition_path({"S": 20}, {"Z": 1.05}, backend="builtin")
    assert tp["distance_to_final_ss"] < 1e-6
    assert tp["max_euler_error"] < 1e-7
    assert tp["ss_final"]["K"] > tp["ss_initial"]["K"]
    assert np.all(np.diff(tp["K"][:10]) > 0)


def test_temporary_shock_returns_to_initial_steady_state():
    T = 60
    pE = np.ones(T)
    pE[:5] = 1.5
    tp = ogmacro.solve_transition_path({"S": 20}, {"p_E": pE}, backend="builtin")
    assert tp["ss_final"] is tp["ss_initial"]
    assert tp["distance_to_final_ss"] < 1e-6
    assert np.min(tp["Y"][:5]) < tp["ss_initial"]["Y"]


@pytest.mark.parametrize(
    "params,paths",
    [
        ({"S": 20, "surv_rate": GOMPERTZ20, "g_n": 0.01}, {"p_E": 1.3, "Z": 1.02}),
        ({"S": 20, "endogenous_labor": False, "tau_c": 0.05}, {"p_E": 0.8}),
        ({"S": 30, "sigma": 3.0, "frisch": 0.9}, {"carbon_revenue": 0.03}),
        ({"S": 20, "tpi_accel": "none", "nu": 0.4}, {"p_E": 1.2}),
        ({"S": 40, "sigma": 0.5, "beta_annual": 0.9, "carbon_revenue": 0.05}, {"p_E": 1.5}),
    ],
)
def test_other_transitions(params, paths):
    tp = ogmacro.solve_transition_path(params, paths, backend="builtin")
    assert tp["max_euler_error"] < 1e-7
    assert tp["resource_constraint_error"] < 1e-8
    assert tp["distance_to_final_ss"] < 1e-6
    errs = tpi_conditions(tp, params)
    for key, val in errs.items():
        assert val < 1e-7, (key, val)


def test_time_varying_paths_and_carbon_revenue():
    T = 60
    cr = np.linspace(0.0, 0.03, T)
    tp = ogmacro.solve_transition_path({"S": 20}, {"carbon_revenue": cr, "p_E": np.linspace(1.0, 1.3, T)},
                                       backend="builtin")
    np.testing.assert_allclose(tp["carbon_revenue"], cr * tp["Y"])
    assert tp["ss_final"]["carbon_revenue"] == pytest.approx(0.03 * tp["ss_final"]["Y"])
    assert tp["max_euler_error"] < 1e-7


def test_level_index():
    tp = ogmacro.solve_transition_path({"S": 20, "g_y_annual": 0.02, "g_n": 0.01}, None, backend="builtin")
    g_y = tp["ss_initial"]["derived"]["g_y"]
    g_n = tp["ss_initial"]["derived"]["g_n_ss"]
    assert tp["level_index"][3] == pytest.approx(np.exp(3 * g_y) * (1 + g_n) ** 3)
