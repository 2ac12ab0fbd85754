"""A tiny Tax-Calculator-shaped object graph served by a Python kernel (the proxy example).

    pol = Policy(); pol.implement_reform({"rate": 0.22})
    rec = Records(incomes, weights)
    calc = Calculator(policy=pol, records=rec); calc.calc_all(); calc.weighted_total("tax")

Run under a manager: ``python -m mesh examples/python/taxcalc_like.py``.
"""
import numpy as np

import mesh

kernel = mesh.Kernel()


@kernel.export
class Policy:
    """A flat tax with a personal allowance; reforms change the parameters."""

    def __init__(self, rate=0.20, allowance=12_000.0):
        self.rate = float(rate)
        self.allowance = float(allowance)

    def implement_reform(self, reform):
        for key, value in reform.items():
            if key not in ("rate", "allowance"):
                raise ValueError(f"unknown policy parameter {key!r}")
            setattr(self, key, float(value))


@kernel.export
class Records:
    """Tax units: incomes and sampling weights (numpy arrays, never copied element by element)."""

    def __init__(self, incomes, weights):
        self.incomes = np.asarray(incomes, dtype=np.float64)
        self.weights = np.asarray(weights, dtype=np.float64)
        if self.incomes.shape != self.weights.shape:
            raise ValueError("incomes and weights must have the same length")


@kernel.export
class Calculator:
    """Computes tax for every record under a policy."""

    def __init__(self, policy, records):
        self.policy = policy
        self.records = records
        self.tax = None

    def calc_all(self):
        taxable = np.maximum(self.records.incomes - self.policy.allowance, 0.0)
        self.tax = taxable * self.policy.rate
        return len(self.tax)

    def weighted_total(self, variable):
        if variable != "tax" or self.tax is None:
            raise ValueError("call calc_all() first; only 'tax' is computed")
        return float(np.dot(self.tax, self.records.weights))
