#!/usr/bin/env bash
# Gamut's Python client and worker beside RQ (and Celery) on the same private Redis, same machine, same job count,
# same number of worker processes. Prints one line per figure and the machine load.
#   N=20000 WORKERS=2 THREADS=8 bench/python-client/run.sh
set -u
here=$(cd "$(dirname "$0")" && pwd)
peers=${PEERS:-/work/shared/bench/peers}
N=${N:-20000} WORKERS=${WORKERS:-2} THREADS=${THREADS:-8}
export REDIS_PORT=${REDIS_PORT:-6397}
source "$peers/redis-common.sh"
echo "load: $(cut -d' ' -f1-3 /proc/loadavg)  cores: $(nproc)  redis: $(redis-server --version | grep -o 'v=[0-9.]*')"
(cd "$here" && /usr/bin/python3 bench.py "$REDIS_PORT" "$N" "$WORKERS" "$THREADS")
echo "load: $(cut -d' ' -f1-3 /proc/loadavg)"
N=$N bash "$peers/rq.sh"
echo "load: $(cut -d' ' -f1-3 /proc/loadavg)"
if [ -z "${SKIP_CELERY:-}" ]; then
  N=$((N / 4)) bash "$peers/celery.sh"
  echo "load: $(cut -d' ' -f1-3 /proc/loadavg)"
fi
