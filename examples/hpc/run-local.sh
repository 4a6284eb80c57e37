#!/usr/bin/env bash
# Run the HPC example on this machine, without SLURM: a standalone kvndb (router with an
# embedded SQLite replica) on a free port, N workers, and the driver; everything started here
# is stopped on exit, success or not.
#
#   bash examples/hpc/run-local.sh [WORKERS] [TASKS] [LIMIT]
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
KVNDB="node $ROOT/packages/cli/dist/bin.js"
WORKERS="${1:-4}"
TASKS="${2:-40}"
LIMIT="${3:-400000}"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/kvndb-hpc.XXXXXX")"
PIDS=()

cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$WORK"
}
trap cleanup EXIT INT TERM

# Port 0: the server picks a free port and logs it.
$KVNDB standalone 127.0.0.1 0 --data "$WORK/data" --join-window 0 >"$WORK/server.log" 2>&1 &
PIDS+=($!)
for _ in $(seq 100); do
  PORT="$(sed -n 's/.*listening on [^ ]*:\([0-9][0-9]*\).*/\1/p' "$WORK/server.log" | head -1)"
  [ -n "$PORT" ] && break
  sleep 0.1
done
[ -n "${PORT:-}" ] || { echo "kvndb did not start:"; cat "$WORK/server.log"; exit 1; }
ADDR="127.0.0.1:$PORT"
echo "kvndb standalone on $ADDR; $WORKERS workers"

for i in $(seq "$WORKERS"); do
  node "$HERE/worker.js" "$ADDR" "worker-$i" &
  PIDS+=($!)
done
node "$HERE/driver.js" "$ADDR" "$WORKERS" "$TASKS" "$LIMIT"
# The driver sent one STOP per worker: wait for them to finish their last task and leave.
for pid in "${PIDS[@]:1}"; do wait "$pid"; done
