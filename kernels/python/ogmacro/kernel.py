"""The macro kernel: the OG model's API served as Mesh endpoints.

Run under a manager with ``python -m mesh ogmacro.kernel`` (the .NET ``PythonLauncher`` does this
in the project's kernel venv). Parameters and paths travel as maps; results come back as maps of
floats and numpy arrays (arrays as raw frames).

The ``Model`` class is exported as a remote object (protocol section 9), so a client can keep a
parameterised model in the kernel and call it statefully::

    Model = client.root("Model")        # Python client
    og = Model(params)                  # constructs ogmacro.api.Model in the kernel
    og.solve_steady_state()             # plain data: a dict of floats and arrays
"""

import mesh

from . import api

kernel = mesh.Kernel()
kernel.export("Model", api.Model)


@kernel.endpoint("solve_steady_state")
def solve_steady_state(params: dict = None, backend: str = "auto"):
    """Steady state for ``params`` (OG-Core names); see ogmacro/README.md for the keys returned."""
    return api.solve_steady_state(params, backend=backend)


@kernel.endpoint("solve_transition_path")
def solve_transition_path(params: dict = None, paths: dict = None, backend: str = "auto"):
    """Transition path from the steady state of ``params`` given exogenous ``paths`` (p_E, Z, carbon_revenue)."""
    return api.solve_transition_path(params, paths, backend=backend)


@kernel.endpoint("backends")
def backends():
    """Backends usable in this environment (``builtin``, plus ``ogcore`` when it imports)."""
    return api.available_backends()
