#!/usr/bin/env bash
# Installs every system dependency of the project on a fresh Debian 12 machine, non-interactively.
# Idempotent: when everything is already present it changes nothing and runs no apt command.
set -euo pipefail

packages=(
  libzmq5 libzmq3-dev            # ZeroMQ (the .NET side binds libzmq.so.5 through P/Invoke)
  libmsgpack-dev libssl-dev      # C kernel: msgpack-c and libcrypto (HMAC-SHA256)
  libglpk-dev glpk-utils         # GLPK library and glpsol (energy model, reference solves)
  cmake pkg-config gcc make valgrind
  python3 python3-venv python3-zmq python3-msgpack python3-numpy python3-scipy python3-pytest
  chromium                       # headless browser: the report tests check report.html's charts render
  postgresql                     # run service tests: the store tests run against a private PostgreSQL cluster
  python3-rpyc python3-jupyter-client python3-ipykernel python3-distributed   # bench peers: the bench smoke test in make test runs them
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if ((${#missing[@]})); then
  echo "installing: ${missing[*]}"
  sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

if ! command -v dotnet >/dev/null 2>&1; then
  echo "error: the .NET SDK (dotnet, 10.0) is not on PATH; install it from https://dot.net before running make" >&2
  exit 1
fi
