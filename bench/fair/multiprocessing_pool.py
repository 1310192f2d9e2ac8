# Python multiprocessing beside Gamut's process pool (bench/pool/PoolBench), on the same terms: 2 workers, x -> x*x,
# the same sizes, the same order and the SAME warm-up as PoolBench (a fresh pool's first map is measured cold on both
# sides; then ~1.5 s of maps before the steady-state figures, as PoolBench gives Gamut), and multiprocessing's own
# fastest idiomatic calls: Pool.apply_async for unbatched submits beside ProcessPoolExecutor.submit.
# Based on /work/shared/bench/peers/multiprocessing_pool.py. One "name value" line per figure (PoolBench's names).
import multiprocessing as mp, time, concurrent.futures as cf
def f(x): return x*x
def out(name, v): print("%s %.1f" % (name, v), flush=True)
if __name__ == "__main__":
    t = time.perf_counter(); p = mp.Pool(2); p.apply(f, (1,)); out("pool_start_first_result_ms", (time.perf_counter() - t) * 1e3)
    p.close(); p.join()
    p = mp.Pool(2); p.apply(f, (1,))
    n = 200000
    t = time.perf_counter(); p.map(f, range(n), chunksize=1000); out("pool_map_chunk1000_first items_per_s", n / (time.perf_counter() - t))
    w = time.perf_counter()
    while time.perf_counter() - w < 1.5:
        p.map(f, range(n), chunksize=1000); p.map(f, range(n), chunksize=25000); p.map(f, range(2000), chunksize=1)
    for label, chunk in (("pool_map_default_chunk", 25000), ("pool_map_chunk1000", 1000)):
        p.map(f, range(n), chunksize=chunk)
        t = time.perf_counter(); p.map(f, range(n), chunksize=chunk); out(label + " items_per_s", n / (time.perf_counter() - t))
    m = 20000
    p.map(f, range(m), chunksize=1)
    t = time.perf_counter(); p.map(f, range(m), chunksize=1); out("pool_map_chunk1 items_per_s", m / (time.perf_counter() - t))
    [r.get() for r in [p.apply_async(f, (i,)) for i in range(m)]]
    t = time.perf_counter(); [r.get() for r in [p.apply_async(f, (i,)) for i in range(m)]]; out("submit items_per_s", m / (time.perf_counter() - t))
    k = 5000
    for i in range(500): p.apply(f, (i,))
    t = time.perf_counter()
    for i in range(k): p.apply(f, (i,))
    out("apply_roundtrip_us", (time.perf_counter() - t) / k * 1e6)
    p.close(); p.join()
    with cf.ProcessPoolExecutor(2) as ex:
        [x.result() for x in [ex.submit(f, i) for i in range(m)]]
        t = time.perf_counter(); [x.result() for x in [ex.submit(f, i) for i in range(m)]]; out("ppe_submit items_per_s", m / (time.perf_counter() - t))
    q = mp.Queue(); msg = b"x" * 100; N = 100000
    def cons(q, N):
        for _ in range(N): q.get()
    c = mp.Process(target=cons, args=(q, N)); c.start()
    t = time.perf_counter()
    for _ in range(N): q.put(msg)
    c.join(); out("ipc_queue_100B msgs_per_s", N / (time.perf_counter() - t))
