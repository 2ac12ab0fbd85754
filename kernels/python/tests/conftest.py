import os
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
PYTHON_ROOT = os.path.dirname(HERE)
REPO = os.path.dirname(os.path.dirname(PYTHON_ROOT))
VECTORS = os.path.join(REPO, "tests", "vectors")
CONFORMANCE_KERNEL = os.path.join(PYTHON_ROOT, "mesh_conformance_kernel.py")
TEST_KERNELS = os.path.join(HERE, "kernels")

if PYTHON_ROOT not in sys.path:
    sys.path.insert(0, PYTHON_ROOT)

import mesh  # noqa: E402


@pytest.fixture(scope="session")
def conformance_kernel():
    """One conformance kernel shared by the tests that do not need a fresh process."""
    k = mesh.launch(CONFORMANCE_KERNEL, kernel_id="py-conformance",
                    env={"MESH_MAX_CONCURRENCY": "4"})
    yield k
    code = k.shutdown(grace=0.5, timeout=5.0)
    assert code == 0, k.log_tail()


@pytest.fixture(scope="session")
def client(conformance_kernel):
    with conformance_kernel.client() as c:
        yield c
