#!/usr/bin/env bash
# System packages the test suite and benchmarks use: redis-tools (redis-cli drives the RESP
# front door in tests) and redis-server (the side-by-side benchmark). Debian/Ubuntu only;
# skipped when they are already installed. Needs root (CI runs as root).
set -euo pipefail
missing=()
command -v redis-cli >/dev/null 2>&1 || missing+=(redis-tools)
command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
if [ ${#missing[@]} -eq 0 ]; then
  echo "system deps: redis-tools and redis-server already installed"
  exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "system deps: apt-get not found; install ${missing[*]} by hand" >&2
  exit 1
fi
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
echo "system deps: installing ${missing[*]}"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
# The Debian package may start a redis-server service; the tests and benchmarks start their own.
if command -v service >/dev/null 2>&1; then $SUDO service redis-server stop >/dev/null 2>&1 || true; fi
