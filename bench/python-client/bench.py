"""Gamut's Python producer and worker on one Redis, measured like the RQ and Celery peers
(/work/shared/bench/peers): N no-op jobs.

  enqueue  — enqueue_many in batches of 1,000 (one script call each), jobs/s
  drain    — W worker processes started on the full queue until every job succeeded, jobs/s (RQ's "process" figure)
  e2e      — producer and W workers together: enqueue N with result waits, await every result, jobs/s

  python3 bench.py REDIS_PORT N WORKERS THREADS
"""
import os
import subprocess
import sys
import time

import redis

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(here, "..", "..", "clients", "python"))
from gamut_redis import Client  # noqa: E402

port, n, workers, threads = (int(a) for a in sys.argv[1:5])
url = f"redis://127.0.0.1:{port}"
r = redis.Redis(port=port)


def start_workers(prefix):
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([here, os.path.join(here, "..", "..", "clients", "python")]))
    return [subprocess.Popen([sys.executable, "-m", "gamut_redis", "worker", "--redis", url, "--prefix", prefix,
                              "-q", "bench", "-j", str(threads), "--load", "jobs"], env=env,
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) for _ in range(workers)]


def stop(procs):
    for p in procs:
        p.terminate()
    for p in procs:
        p.wait()


def succeeded(prefix):
    return int(r.hget(f"{prefix}:{{bench}}:stats", "succeeded") or 0)


# enqueue, then drain
r.flushall()
c = Client(url, "b1", "bench")
t = time.perf_counter()
c.enqueue_many("bench.noop", range(n), wait=False)
enq = n / (time.perf_counter() - t)
t = time.perf_counter()
procs = start_workers("b1")
while succeeded("b1") < n:
    time.sleep(0.01)
drain = n / (time.perf_counter() - t)
stop(procs)
c.close()

# end to end: workers up, producer enqueues with result waits and awaits every result
r.flushall()
procs = start_workers("b2")
c = Client(url, "b2", "bench")
c.result(c.enqueue("bench.noop", -1))  # the workers are up
t = time.perf_counter()
handles = c.enqueue_many("bench.noop", range(n))
results = c.results(handles)
e2e = n / (time.perf_counter() - t)
assert results == list(range(n)), "wrong results"
stop(procs)
c.close()
print(f"peer=gamut-python jobs={n} workers={workers} threads={threads} enqueue_per_s={enq:.0f} "
      f"process_per_s={drain:.0f} e2e_per_s={e2e:.0f}")
