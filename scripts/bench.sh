#!/usr/bin/env bash
# Runs the benchmarks (`make bench`): installs the peer packages, builds the C floor, runs
# bench/Mesh.Benchmarks, which prints the table and writes docs/bench/.
#
#   scripts/bench.sh              full run: writes docs/bench/ (about 3.5 min on 2 cores)
#   scripts/bench.sh --quick      a fifth of the iterations; prints only (add --out DIR to keep files)
#   scripts/bench.sh --smoke      every case once; files go to a temporary directory, then away
#   scripts/bench.sh ... --only floor-tcp,mesh-dotnet    a subset (ids: see Program.cs); prints only
#
# Expects `make build` to have run (the Makefile's bench targets depend on it).
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CONFIG="${CONFIG:-Release}"
smoke=0 partial=0
for a in "$@"; do
  case "$a" in
    --smoke) smoke=1 ;;
    --quick|--only|--out) partial=1 ;;
  esac
done

# The peers are Debian packages. A full run installs what is missing; the smoke run (part of
# `make test`) relies on scripts/install-deps.sh, so that a package missing from the test path
# makes the smoke test fail with the package's name instead of being installed behind its back.
peers=(python3-zmq python3-msgpack python3-numpy python3-rpyc python3-jupyter-client python3-ipykernel python3-distributed)
missing=()
for p in "${peers[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})) && ((!smoke)); then
  echo "bench: installing peer packages: ${missing[*]}" >&2
  sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  export DEBIAN_FRONTEND=noninteractive
  # Other jobs on the machine may hold the dpkg lock for a while; wait for it instead of failing.
  $sudo apt-get -o DPkg::Lock::Timeout=300 update -qq
  $sudo apt-get -o DPkg::Lock::Timeout=300 install -y -qq --no-install-recommends "${missing[@]}"
fi

# The floor: plain C against the system libzmq, rebuilt when its source changes.
floor_src="$REPO/bench/floor/zmq_pingpong.c"
floor_bin="$REPO/bench/floor/build/zmq_pingpong"
if [ ! -x "$floor_bin" ] || [ "$floor_src" -nt "$floor_bin" ]; then
  mkdir -p "$(dirname "$floor_bin")"
  gcc -O2 -Wall -Wextra -Werror -o "$floor_bin" "$floor_src" -lzmq
fi

harness="$REPO/bench/Mesh.Benchmarks/bin/$CONFIG/net10.0/Mesh.Benchmarks.dll"
if [ ! -f "$harness" ]; then
  echo "bench: $harness is missing; run make build first" >&2
  exit 2
fi

# Only a complete full run replaces the published figures in docs/bench/; a quick or partial run
# prints its table and keeps files only where --out says.
out=()
((smoke || partial)) || out=(--out "$REPO/docs/bench")
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
exec dotnet "$harness" --floor-bin "$floor_bin" "${out[@]}" "$@"
