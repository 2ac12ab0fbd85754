"""Benchmark: steady state and transition path at full size (S=80, T=240).

Run:  /usr/bin/python3 -m ogmacro.bench   (from kernels/python)
  or  /usr/bin/python3 kernels/python/ogmacro/bench.py
Targets on the project's 2-core machine: SS < 1 s, TPI < 30 s.
"""

from __future__ import annotations

import os
import sys
import time

if __package__ in (None, ""):  # executed as a script
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import numpy as np  # noqa: E402

import ogmacro  # noqa: E402


def _timed(fn, repeat):
    times, out = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return out, times


def main(repeat: int = 3) -> None:
    params = {"S": 80, "T": 240}
    print(f"ogmacro {ogmacro.__version__} benchmark, numpy {np.__version__}, S=80, T=240, builtin backend")
    ss, t_ss = _timed(lambda: ogmacro.solve_steady_state(params, backend="builtin"), repeat)
    print(f"steady state            : first {t_ss[0]:.3f} s, best {min(t_ss):.3f} s "
          f"(RC err {ss['resource_constraint_error']:.1e}, Euler err {ss['max_euler_error']:.1e}, "
          f"r={ss['r']:.4f}, K/Y={ss['K_Y']:.3f})")
    scenarios = {
        "TPI unchanged paths     ": None,
        "TPI p_E +25% permanent  ": {"p_E": np.full(240, 1.25)},
        "TPI p_E ramp + carbon tax": {"p_E": np.minimum(1.0 + np.arange(240) / 80.0, 1.5),
                                      "carbon_revenue": np.minimum(np.arange(240) / 2000.0, 0.02)},
        "TPI TFP +5% permanent   ": {"Z": 1.05},
    }
    runs = [(name, params, paths) for name, paths in scenarios.items()]
    runs.append(("TPI p_E +25%, plain TPI ", {**params, "tpi_accel": "none"}, {"p_E": 1.25}))
    for name, prm, paths in runs:
        tp, t_tp = _timed(lambda: ogmacro.solve_transition_path(prm, paths, backend="builtin"), repeat)
        print(f"{name}: first {t_tp[0]:.3f} s, best {min(t_tp):.3f} s "
              f"({tp['iterations']} TPI iterations, {tp['household_newton_iterations']} household Newton steps, "
              f"Euler err {tp['max_euler_error']:.1e}, RC err {tp['resource_constraint_error']:.1e}, "
              f"dist to final SS {tp['distance_to_final_ss']:.1e})")


if __name__ == "__main__":
    main()
