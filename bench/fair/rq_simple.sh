#!/usr/bin/env bash
# RQ's fastest worker for bench/run-all.sh: N no-op jobs enqueued with enqueue_many (1,000 a call), then drained by
# 2 burst SimpleWorker processes (the forking Worker is ~5x slower; bench/redis/peers/rq.sh measures both).
# Usage: rq_simple.sh N PORT   (PYTHONPATH must hold bench/redis/peers for peer_jobs.noop)
set -euo pipefail
n=$1 port=$2
enq=$(/usr/bin/python3 - "$n" "$port" <<'PY'
import sys, time, redis
from rq import Queue
n, port = int(sys.argv[1]), int(sys.argv[2])
q = Queue(connection=redis.Redis(port=port))
t = time.perf_counter()
for i0 in range(0, n, 1000):
    q.enqueue_many([Queue.prepare_data("peer_jobs.noop", (i,)) for i in range(i0, min(n, i0 + 1000))])
print("%.0f" % (n / (time.perf_counter() - t)))
PY
)
s=$(date +%s.%N)
pids=()
for _ in 1 2; do rq worker --burst -w rq.worker.SimpleWorker --url "redis://127.0.0.1:$port" -q >/dev/null 2>&1 & pids+=($!); done
wait "${pids[@]}"
e=$(date +%s.%N)
echo "peer=rq worker=SimpleWorker jobs=$n workers=2 enqueue_per_s=$enq process_per_s=$(echo "$n / ($e - $s)" | bc -l | cut -d. -f1)"
