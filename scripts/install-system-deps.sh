#!/usr/bin/env bash
# System packages the test suite and benchmarks use: redis-tools (redis-cli drives the RESP
# front door in tests), redis-server (the side-by-side benchmark), python3-redis (redis-py,
# one of the real Redis clients test/real-clients.test.ts drives), curl (drives the HTTP
# door in test/http.test.ts) and chromium (headless, driven by puppeteer-core in
# test/monitor-browser.test.ts). Debian/Ubuntu only;
# skipped when they are already installed, so running it again changes nothing. Needs root
# (CI runs as root).
set -euo pipefail

# redis-py: python3 on PATH may be a pyenv or venv one, which does not see Debian's
# dist-packages; the tests then use /usr/bin/python3 (test/helpers/redis-py.ts).
have_redis_py() {
  python3 -c 'import redis' >/dev/null 2>&1 || { [ -x /usr/bin/python3 ] && /usr/bin/python3 -c 'import redis' >/dev/null 2>&1; }
}

missing=()
command -v redis-cli >/dev/null 2>&1 || missing+=(redis-tools)
command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
have_redis_py || missing+=(python3-redis)
command -v curl >/dev/null 2>&1 || missing+=(curl)
# Debian's package installs /usr/bin/chromium (Ubuntu's is a snap wrapper: set KVNDB_CHROMIUM).
[ -x /usr/bin/chromium ] || missing+=(chromium)
if [ ${#missing[@]} -eq 0 ]; then
  echo "system deps: redis-tools, redis-server, python3-redis, curl and chromium already installed"
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
if ! have_redis_py; then
  echo "system deps: python3-redis installed, but no python3 can import redis" >&2
  exit 1
fi
