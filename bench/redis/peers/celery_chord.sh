#!/usr/bin/env bash
# Celery (Debian python3-celery) chord: N no-op members, then a callback given every result. A worker (prefork, 2
# processes) is started and answers a ping first; the time is from applying the chord to the callback's result.
set -u; N=${N:-10000}; here=$(cd "$(dirname "$0")" && pwd); source "$here/redis-common.sh"
PY=/usr/bin/python3; export PYTHONPATH=$here REDIS_PORT
flush
$PY -m celery -A celery_chord_app worker -P prefork -c 2 --without-heartbeat --without-gossip --without-mingle -l ERROR >/dev/null 2>&1 & cw=$!
$PY - "$N" <<'PY'
import sys, time
from celery import chord
from celery_chord_app import ident, count
n = int(sys.argv[1])
ident.delay(0).get(timeout=120)             # the worker is up
t = time.perf_counter()
r = chord(ident.s(i) for i in range(n))(count.s())
got = r.get(timeout=600)
s = time.perf_counter() - t
assert got == n, got
print("peer=celery what=chord members=%d workers=prefork-2 seconds=%.3f members_per_s=%.0f" % (n, s, n / s))
PY
kill $cw; wait $cw 2>/dev/null
