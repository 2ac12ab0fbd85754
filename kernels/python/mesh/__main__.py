"""``python -m mesh [--connection-file PATH] MODULE_OR_SCRIPT.py``: serve the kernel it defines.

The target is imported (a module name) or run (a ``.py`` path, with ``__name__`` set to
``"__mesh_kernel__"``); the kernel served is its ``kernel`` attribute if that is a
``mesh.Kernel``, else the default kernel that module-level ``@mesh.endpoint`` (and
``@mesh.export``) decorators filled.
Exit codes are those of docs/protocol.md section 3; an error while importing the target prints
its traceback to stderr and exits with code 5.
"""

import argparse
import importlib
import os
import runpy
import sys
import traceback

from .connection import ConnectionFileError, ConnectionInfo
from .kernel import EXIT_BAD_CONNECTION_FILE, EXIT_IMPORT_ERROR, Kernel


def _load_target(target):
    if target.endswith(".py") or os.sep in target:
        path = os.path.abspath(target)
        sys.path.insert(0, os.path.dirname(path))
        return runpy.run_path(path, run_name="__mesh_kernel__")
    sys.path.insert(0, os.getcwd())
    return vars(importlib.import_module(target))


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m mesh", description=__doc__.split("\n")[0])
    parser.add_argument("--connection-file", help="default: $MESH_CONNECTION_FILE")
    parser.add_argument("target", help="module name or path of a .py file defining the kernel")
    args = parser.parse_args(argv)

    path = args.connection_file or os.environ.get("MESH_CONNECTION_FILE")
    try:
        if not path:
            raise ConnectionFileError("no connection file: set MESH_CONNECTION_FILE "
                                      "or pass --connection-file")
        info = ConnectionInfo.load(path)
    except ConnectionFileError as e:
        print("mesh: %s" % e, file=sys.stderr)
        sys.stderr.flush()
        os._exit(EXIT_BAD_CONNECTION_FILE)

    try:
        namespace = _load_target(args.target)
    except BaseException:
        print("mesh: cannot import kernel target %r:" % args.target, file=sys.stderr)
        traceback.print_exc(file=sys.stderr)
        sys.stderr.flush()
        os._exit(EXIT_IMPORT_ERROR)

    kernel = namespace.get("kernel")
    if not isinstance(kernel, Kernel):
        import mesh
        kernel = mesh.default_kernel()
    if not kernel.endpoints and not kernel.exports:
        print("mesh: warning: %r defines no endpoints and exports nothing" % args.target,
              file=sys.stderr)
    kernel.serve(info, exit=True)


if __name__ == "__main__":
    main()
