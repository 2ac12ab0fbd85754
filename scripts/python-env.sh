#!/usr/bin/env bash
# Creates (or refreshes) the default Python kernel environment.
#
#   scripts/python-env.sh [VENV_DIR]        (default: $REPO/.venv/kernel)
#
# The venv is made from Debian's /usr/bin/python3 with --system-site-packages, so it uses the
# python3-zmq, python3-msgpack and python3-numpy that the Makefile installs with apt; nothing is
# downloaded. kernels/python is put on its path with a .pth file, so `import mesh` and
# `python -m mesh kernel.py` work from anywhere. Safe to run again: it only fixes what differs.
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${1:-$REPO/.venv/kernel}"
PY=/usr/bin/python3

if [ ! -x "$PY" ]; then
    echo "python-env.sh: $PY not found (install Debian's python3 first; the Makefile does)" >&2
    exit 1
fi

want_home="$(dirname "$PY")"
if [ -x "$VENV/bin/python" ] && [ -f "$VENV/pyvenv.cfg" ] \
    && grep -qx "home = $want_home" "$VENV/pyvenv.cfg" \
    && grep -qx "include-system-site-packages = true" "$VENV/pyvenv.cfg"; then
    :
else
    mkdir -p "$(dirname "$VENV")"
    # --without-pip: Debian's python3 has no ensurepip unless python3-venv is installed, and
    # nothing is installed with pip here anyway.
    "$PY" -m venv --clear --system-site-packages --without-pip "$VENV"
fi

site="$("$VENV/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')"
pth="$site/mesh-kernels.pth"
line="$REPO/kernels/python"
if [ ! -f "$pth" ] || [ "$(cat "$pth")" != "$line" ]; then
    printf '%s\n' "$line" > "$pth"
fi

if ! "$VENV/bin/python" -c 'import mesh, zmq, msgpack, numpy' 2>/dev/null; then
    echo "python-env.sh: $VENV cannot import mesh/zmq/msgpack/numpy;" \
         "install python3-zmq python3-msgpack python3-numpy" >&2
    exit 1
fi
echo "$VENV"
