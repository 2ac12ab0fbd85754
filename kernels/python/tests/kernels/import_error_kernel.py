"""A kernel module that fails at import (launch must report exit code 5 and the traceback)."""

import mesh


@mesh.endpoint("never")
def never():
    return None


raise RuntimeError("deliberate failure while importing the kernel module")
