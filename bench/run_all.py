#!/usr/bin/env python3
"""Every comparison of Gamut with its peers, in one run, and bench/RESULTS.md regenerated from this run's output.

Run it through bench/run-all.sh (which says what it needs). Rules every section follows:
  * like for like: the same pipe sizes and buffer sizes on every side of the pipe rows (cat runs under
    bench/fair/setpipe), the same warm-up for every side, the peer's fastest idiomatic API, default settings on
    both sides; each tool's own defaults are shown separately and labelled "defaults";
  * interleaved rounds: round r runs every side once (in rotating order) before round r+1 starts;
  * medians with their spread (min-max of the rounds), and CPU time of the whole process tree (getrusage of the
    reaped children: the tool, its workers, the commands it ran) beside wall time;
  * the machine's load average before and after every section.
The raw lines go to bench/results/raw.txt; bench/RESULTS.md is written from them by this script alone.
"""
import argparse, json, os, platform, re, resource, shutil, statistics, subprocess, sys, tempfile, time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
PEERS = Path(os.environ.get("PEERS", "/work/shared/bench/peers"))
RAW = []          # every line measured, in order
SECTIONS = []     # (title, markdown) for RESULTS.md
GOALS = []        # (goal, measured, met) for the summary table
CONTEXT = {}      # what write_results needs between sections
OUT = Path(os.environ.get("GAMUT_BENCH_OUT", BENCH))   # where RESULTS.md and results/raw.txt go (default bench/)


def load():
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def log(line):
    RAW.append(line)
    print(line, flush=True)


def run(cmd, env=None, cwd=None, timeout=1800):
    """Runs cmd (argv), returns (wall s, CPU s of the whole reaped tree, stdout)."""
    r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=cwd, timeout=timeout)
    wall = time.perf_counter() - t0
    r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    if p.returncode != 0:
        raise RuntimeError(f"{' '.join(map(str, cmd))} exited {p.returncode}: {p.stderr[-2000:]}")
    return wall, (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime), p.stdout


def kv(line):
    return dict(p.split("=", 1) for p in line.split() if "=" in p)


def med(xs):
    return statistics.median(xs)


def spread(xs, fmt="{:,.0f}"):
    return f"{fmt.format(med(xs))} ({fmt.format(min(xs))}–{fmt.format(max(xs))})"


def goal(name, ratio_text, met):
    GOALS.append((name, ratio_text, "met" if met else "**not met**"))


def section(title, md):
    SECTIONS.append((title, md))
    if CONTEXT.get("write"):
        write_results(CONTEXT["args"], CONTEXT["started"])  # after every section: a stopped run still leaves its figures


# --------------------------------------------------------------------------------------------------------------
def startup(a, gamut, jit):
    """Launch to exit, hyperfine, beside xargs and GNU parallel; rounds interleaved (each round runs all commands)."""
    before = load()
    one = Path(a.tmp) / "one"
    one.write_text("1\n")
    cmds = [
        ("gamut --version (native)", f"{gamut} --version"),
        ("gamut run true ::: 1 (native)", f"{gamut} run true ::: 1"),
        ("xargs true (1 input)", f"xargs -a {one} true"),
        ("GNU parallel true ::: 1", "parallel --will-cite true ::: 1"),
        ("/bin/true (floor)", "/bin/true"),
        ("gamut --version (JIT host / dotnet tool)", f"{jit} --version"),
        ("gamut run true ::: 1 (JIT host / dotnet tool)", f"{jit} run true ::: 1"),
    ]
    times = {n: [] for n, _ in cmds}
    cpu = {n: [] for n, _ in cmds}
    for r in range(a.rounds):
        out = Path(a.tmp) / f"hf{r}.json"
        order = cmds[r % len(cmds):] + cmds[:r % len(cmds)]
        args = ["hyperfine", "-N", "--style", "none", "--warmup", "3", "--runs", str(a.hf_runs), "--export-json", str(out)]
        for n, c in order:
            args += ["-n", n, c]
        subprocess.run(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True, timeout=900)
        for res in json.loads(out.read_text())["results"]:
            n = res["command"]
            times[n].append(res["median"] * 1e3)
            cpu[n].append((res["user"] + res["system"]) * 1e3)
            log(f"section=startup round={r} name={n!r} median_ms={res['median']*1e3:.2f} min_ms={res['min']*1e3:.2f} cpu_ms={(res['user']+res['system'])*1e3:.2f}")
    rows = ["| command | launch → exit, ms: median of round medians (min–max) | CPU ms per run (user+sys) |",
            "| --- | ---: | ---: |"]
    for n, _ in cmds:
        rows.append(f"| `{n}` | {spread(times[n], '{:.1f}')} | {med(cpu[n]):.1f} |")
    v, r1 = med(times["gamut --version (native)"]), med(times["gamut run true ::: 1 (native)"])
    x, p = med(times["xargs true (1 input)"]), med(times["GNU parallel true ::: 1"])
    goal("`gamut --version` ≤ 15 ms", f"{v:.1f} ms", v <= 15)
    goal("`gamut run true ::: 1` ≤ 30 ms", f"{r1:.1f} ms (xargs {x:.1f} ms, GNU parallel {p:.0f} ms)", r1 <= 30)
    section("Start-up: launch to exit (hyperfine)", "\n".join(rows) + f"\n\nhyperfine -N, 3 warm-up runs and {a.hf_runs} runs "
            f"per command per round, {a.rounds} rounds with the commands in rotating order. The native binary is what "
            f"`./gamut` runs; the JIT host is the same program framework-dependent (what `worker`, `status`, `ring` and "
            f"`run --redis` are handed to, and what the `dotnet tool` package runs). Load {before} → {load()}.")


def gamut_run(a, gamut):
    """gamut run vs xargs -P vs GNU parallel: N jobs of `true` at -j 1..16, wall and CPU of the whole tree."""
    before = load()
    inputs = Path(a.tmp) / "inputs"
    inputs.write_text("".join(f"{i}\n" for i in range(a.run_n)))
    env = dict(os.environ, PARALLEL_SHELL="/bin/bash")
    sides = {
        "xargs": lambda j: ["xargs", "-P", str(j), "-n1", "-a", str(inputs), "true"],
        "gamut": lambda j: [gamut, "run", "-j", str(j), "true", "::::", str(inputs)],
        "gamut -u": lambda j: [gamut, "run", "-u", "-j", str(j), "true", "::::", str(inputs)],
        "parallel": lambda j: ["parallel", "--will-cite", "-j", str(j), "true", "::::", str(inputs)],
    }
    rows = ["| -j | xargs -P jobs/s | GNU parallel jobs/s | gamut run jobs/s | gamut / xargs | gamut / parallel | gamut run -u jobs/s (/ xargs) | CPU µs per job: xargs / parallel / gamut / gamut -u |",
            "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    worst_x, worst_p, worst_u = 99.0, 99.0, 99.0
    for j in a.js:
        rate = {s: [] for s in sides}
        cpu = {s: [] for s in sides}
        names = list(sides)
        for r in range(a.rounds):
            for s in names[r % len(names):] + names[:r % len(names)]:
                wall, c, _ = run(sides[s](j), env=env)
                rate[s].append(a.run_n / wall)
                cpu[s].append(c / a.run_n * 1e6)
                log(f"section=run side={s} j={j} round={r} jobs_per_s={a.run_n / wall:.0f} cpu_us_per_job={c / a.run_n * 1e6:.0f}")
        gx, gp = med(rate["gamut"]) / med(rate["xargs"]), med(rate["gamut"]) / med(rate["parallel"])
        worst_x, worst_p = min(worst_x, gx), min(worst_p, gp)
        worst_u = min(worst_u, med(rate["gamut -u"]) / med(rate["xargs"]))
        rows.append(f"| {j} | {spread(rate['xargs'])} | {spread(rate['parallel'])} | {spread(rate['gamut'])} | {gx:.2f}× | {gp:.1f}× | "
                    f"{spread(rate['gamut -u'])} ({med(rate['gamut -u']) / med(rate['xargs']):.2f}×) | "
                    f"{med(cpu['xargs']):.0f} / {med(cpu['parallel']):.0f} / {med(cpu['gamut']):.0f} / {med(cpu['gamut -u']):.0f} |")
    goal("`gamut run` ≥ 1.0× `xargs -P` at every -j (like for like: `-u`, output not captured, as xargs)",
         f"lowest {worst_u:.2f}× with -u; {worst_x:.2f}× with output grouped (default) (-j {', '.join(map(str, a.js))})", worst_u >= 1.0)
    goal("`gamut run` ≥ 5× GNU parallel", f"lowest {worst_p:.1f}×", worst_p >= 5)
    section("`gamut run` beside `xargs -P` and GNU parallel", "\n".join(rows) + f"\n\n{a.run_n} jobs of `true`, inputs from a "
            f"file (`xargs -a`, `:::: file`); each tool launched directly (its own start-up counted); medians of {a.rounds} "
            f"interleaved rounds (min–max). `gamut run` by default groups each job's output (captures it, as GNU parallel "
            "does); `xargs` passes its children the terminal's descriptors, as `gamut run -u` does — that column is the "
            "like-for-like one for xargs, the default column for parallel. CPU is the whole process tree's (the tool and "
            f"every `true`). Load {before} → {load()}.")


def fanout(a, pb):
    """Many short commands from .NET: Gamut's Command vs raw Process vs CliWrap (same process, same loop)."""
    before = load()
    rows = ["| -j | Gamut jobs/s | raw `Process` jobs/s | CliWrap jobs/s | Gamut / Process | Gamut / CliWrap | CPU µs per job: Gamut / Process / CliWrap |",
            "| ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    worst = 99.0
    sides = ["gamut", "process", "cliwrap"]
    for j in (2, 8):
        rate = {s: [] for s in sides}
        cpu = {s: [] for s in sides}
        for r in range(a.rounds):
            for s in sides[r % 3:] + sides[:r % 3]:
                _, c, out = run(["dotnet", pb, "fanout", s, str(a.fan_n), str(j)])
                v = float(kv(out.strip().splitlines()[-1])["jobs_per_s"])
                rate[s].append(v)
                cpu[s].append(c / a.fan_n * 1e6)
                log(f"section=fanout side={s} j={j} round={r} jobs_per_s={v:.0f} cpu_us_per_job={c / a.fan_n * 1e6:.0f}")
        gc = med(rate["gamut"]) / med(rate["cliwrap"])
        worst = min(worst, gc)
        rows.append(f"| {j} | {spread(rate['gamut'])} | {spread(rate['process'])} | {spread(rate['cliwrap'])} | "
                    f"{med(rate['gamut']) / med(rate['process']):.2f}× | {gc:.2f}× | "
                    f"{med(cpu['gamut']):.0f} / {med(cpu['process']):.0f} / {med(cpu['cliwrap']):.0f} |")
    goal("many short commands from .NET ≥ 1.2× CliWrap", f"lowest {worst:.2f}× (-j 2 and 8)", worst >= 1.2)
    section("Many short commands from .NET (`bench/processes`)", "\n".join(rows) + f"\n\n{a.fan_n} runs of `/bin/true`, J at "
            "a time, one warm-up run each; Gamut with its defaults (stdout and stderr captured, as CliWrap does; raw "
            "`Process` captures nothing). CPU per job is the whole tree's, including the .NET runtime's own start-up "
            f"(the same for all three). Medians of {a.rounds} interleaved rounds. Load {before} → {load()}.")


def pipes(a, pb, setpipe):
    """MiB through cat: like for like (1 MiB pipes on every side, 1 MiB buffers), then each tool's defaults."""
    before = load()
    size = str(1 << 20)
    fair = [setpipe, size, "cat"]
    sides = {
        "gamut": lambda f: ["dotnet", pb, "pipe", "gamut", str(a.mib), size] + (fair if f else []),
        "process": lambda f: ["dotnet", pb, "pipe", "process", str(a.mib), size] + (fair if f else []),
        "cliwrap": lambda f: ["dotnet", pb, "pipe", "cliwrap", str(a.mib), size] + (fair if f else []),
        "python": lambda f: ["/usr/bin/python3", str(BENCH / "fair/python_pipe.py"), str(a.mib), size] + (fair if f else []),
    }
    defaults = {
        "gamut": ["dotnet", pb, "pipe", "gamut", str(a.mib)],                      # 1 MiB pipes and buffers: its default
        "process": ["dotnet", pb, "pipe", "process", str(a.mib)],                  # kernel's 64 KiB pipes, 64 KiB buffers
        "cliwrap": ["dotnet", pb, "pipe", "cliwrap", str(a.mib)],                  # the same
        "python": ["/usr/bin/python3", str(PEERS / "python_pipe.py")],             # the shared peer: 64 KiB pipes, 1 MiB reads
    }
    res = {(m, s): [] for m in ("fair", "default") for s in sides}
    cpu = {(m, s): [] for m in ("fair", "default") for s in sides}
    names = list(sides)
    for r in range(a.rounds):
        for s in names[r % 4:] + names[:r % 4]:
            for m in ("fair", "default"):
                if m == "default" and s == "python" and a.mib != 2048:
                    cmd = ["/usr/bin/python3", str(BENCH / "fair/python_pipe.py"), str(a.mib), size]  # default pipes, 1 MiB reads
                else:
                    cmd = sides[s](True) if m == "fair" else defaults[s]
                _, c, out = run(cmd)
                line = out.strip().splitlines()[-1]
                v = float(kv(line)["mb_per_s"]) if "mb_per_s=" in line else float(line.split()[-1])
                res[(m, s)].append(v)
                cpu[(m, s)].append(c / (a.mib / 1024))
                log(f"section=pipe mode={m} side={s} round={r} mb_per_s={v:.0f} cpu_s_per_gib={c / (a.mib / 1024):.2f}")
    rows = ["| terms | Gamut MB/s | Python `Popen` | raw `Process` | CliWrap | Gamut / Python / Process / CliWrap | CPU s per GiB: Gamut / Python / Process / CliWrap |",
            "| --- | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for m, label in (("fair", "like for like: 1 MiB pipes, 1 MiB buffers"), ("default", "each tool's defaults")):
        g = med(res[(m, "gamut")])
        ratios = [g / med(res[(m, s)]) for s in ("python", "process", "cliwrap")]
        rows.append(f"| {label} | {spread(res[(m, 'gamut')])} | {spread(res[(m, 'python')])} | {spread(res[(m, 'process')])} | "
                    f"{spread(res[(m, 'cliwrap')])} | {' / '.join(f'{x:.2f}×' for x in ratios)} | "
                    f"{' / '.join(f'{med(cpu[(m, s)]):.2f}' for s in ('gamut', 'python', 'process', 'cliwrap'))} |")
        if m == "fair":
            goal("pipe pump ≥ 1.25× Python, raw `Process`, CliWrap (equal pipes)", " / ".join(f"{x:.2f}×" for x in ratios), min(ratios) >= 1.25)
    section("Pumping bytes through `cat` (`bench/processes`)", "\n".join(rows) + f"\n\n{a.mib} MiB written to `cat`'s stdin "
            "while its stdout is read. Like for like: `cat` runs under `bench/fair/setpipe`, which sets both pipes to 1 MiB "
            "for every side, and every side writes and reads 1 MiB at a time (CliWrap's own copy to the output stream "
            "uses its internal buffer). Defaults: Gamut enlarges its pipes to 1 MiB itself; the others keep the kernel's "
            "64 KiB pipes (raw `Process` and CliWrap with 64 KiB buffers, Python with 1 MiB reads) — a feature shown, not "
            f"a like-for-like ratio. CPU per GiB includes each runtime's start-up. Medians of {a.rounds} interleaved "
            f"rounds. Load {before} → {load()}.")


POOL_ROWS = [
    ("pool_map_chunk1000 items_per_s", "`map`, chunk 1000 (items/s)", "hi"),
    ("pool_map_default_chunk items_per_s", "`map`, chunk 25,000 = Python's default here (items/s)", "hi"),
    ("pool_map_chunk1 items_per_s", "`map`, chunk 1 (items/s)", "hi"),
    ("submit items_per_s", "unbatched submit vs `Pool.apply_async` (jobs/s)", "hi"),
    ("apply_roundtrip_us", "one job's round trip vs `Pool.apply` (µs)", "lo"),
    ("pool_start_first_result_ms", "pool creation to first result (ms)", "lo"),
    ("pool_map_chunk1000_first items_per_s", "first map on a fresh pool, chunk 1000 (items/s)", "hi"),
    ("ipc_queue_100B msgs_per_s", "100-byte messages between two processes (msgs/s)", "hi"),
]


def pool(a, pbin):
    """Gamut's process pool (bench/pool/PoolBench) vs multiprocessing, the same warm-up on both sides."""
    before = load()
    g = {k: [] for k, _, _ in POOL_ROWS}
    p = {k: [] for k, _, _ in POOL_ROWS}
    p["ppe_submit items_per_s"] = []
    cpu_g, cpu_p = [], []

    def parse(out, into):
        for line in out.splitlines():
            parts = line.rsplit(" ", 1)
            if len(parts) == 2 and parts[0] in into:
                into[parts[0]].append(float(parts[1]))

    for r in range(a.rounds):
        sides = ["python", "gamut"] if r % 2 == 0 else ["gamut", "python"]
        for s in sides:
            if s == "python":
                _, c, out = run(["/usr/bin/python3", str(BENCH / "fair/multiprocessing_pool.py")], cwd="/tmp")
                parse(out, p)
                cpu_p.append(c)
            else:
                c = 0.0
                for mode in ("start", "pool", "queue"):
                    _, cc, out = run(["dotnet", pbin, mode], cwd=str(BENCH / "pool"))
                    parse(out, g)
                    c += cc
                cpu_g.append(c)
            log(f"section=pool side={s} round={r} cpu_s={c:.2f}")
    for k, _, _ in POOL_ROWS:
        log(f"section=pool figure={k.split()[0]} gamut={g[k]} python={p[k]}")
    rows = ["| what (x → x*x, 2 workers) | Python multiprocessing | Gamut | Gamut / Python |", "| --- | ---: | ---: | ---: |"]
    for k, label, _ in POOL_ROWS:
        fmt = "{:,.1f}" if k.endswith(("_us", "_ms")) else "{:,.0f}"
        rows.append(f"| {label} | {spread(p[k], fmt)} | {spread(g[k], fmt)} | {med(g[k]) / med(p[k]):.2f}× |")
    rows.append(f"| unbatched submit vs `ProcessPoolExecutor.submit` (jobs/s) | {spread(p['ppe_submit items_per_s'])} | "
                f"{spread(g['submit items_per_s'])} | {med(g['submit items_per_s']) / med(p['ppe_submit items_per_s']):.1f}× |")
    rows.append(f"| CPU s of the whole run (tree) | {med(cpu_p):.2f} | {med(cpu_g):.2f} | {med(cpu_g) / med(cpu_p):.2f}× |")
    rt = med(g["apply_roundtrip_us"]) / med(p["apply_roundtrip_us"])
    goal("pool round trip ≤ 0.2× `Pool.apply`", f"{rt:.2f}× ({med(g['apply_roundtrip_us']):.1f} µs vs {med(p['apply_roundtrip_us']):.0f} µs)", rt <= 0.2)
    st = med(g["pool_start_first_result_ms"])
    goal("pool creation to first result ≤ 100 ms", f"{st:.0f} ms (Python {med(p['pool_start_first_result_ms']):.0f} ms)", st <= 100)
    fm = med(g["pool_map_chunk1000_first items_per_s"]) / med(p["pool_map_chunk1000_first items_per_s"])
    goal("first map on a fresh pool ≥ 1.0× Python", f"{fm:.2f}×", fm >= 1.0)
    section("Process pool beside Python multiprocessing (`bench/pool`, `bench/fair/multiprocessing_pool.py`)", "\n".join(rows) +
            "\n\nBoth sides: 2 workers, the same sizes, the same warm-up (the first map measured cold on a fresh pool, then "
            "~1.5 s of maps before the steady figures, one warm pass before each figure), multiprocessing's fastest calls "
            f"(`apply_async` for unbatched submits; `ProcessPoolExecutor` shown too). Medians of {a.rounds} interleaved "
            f"rounds (min–max); the start-up figure is 3 fresh pools a round on Gamut's side. Load {before} → {load()}.")


def redis(a, rbin):
    """Gamut on Redis vs BullMQ and RQ: end to end N no-op jobs with 2 worker processes; enqueue at equal N."""
    before = load()
    port = 6398
    d = tempfile.mkdtemp(dir=a.tmp)
    srv = subprocess.Popen(["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--dir", d, "--save", "", "--appendonly", "no"],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(100):
            if subprocess.run(["redis-cli", "-p", str(port), "ping"], capture_output=True).returncode == 0:
                break
            time.sleep(0.1)
        url = f"redis://127.0.0.1:{port}"
        bull = os.environ.get("BULL_DIR", "/tmp/peer-bullmq")
        if not Path(bull, "node_modules/bullmq").exists():
            Path(bull).mkdir(parents=True, exist_ok=True)
            subprocess.run("npm init -y >/dev/null && npm install bullmq ioredis >/dev/null 2>&1", shell=True, cwd=bull, check=True)
        shutil.copy(BENCH / "redis/peers/bullmq.mjs", bull)
        flush = lambda: subprocess.run(["redis-cli", "-p", str(port), "flushall"], capture_output=True)
        e2e = {s: [] for s in ("gamut", "bullmq", "rq")}
        enq = {s: [] for s in ("gamut", "bullmq")}
        cpu = {s: [] for s in ("gamut", "bullmq", "rq")}
        env = dict(os.environ, N=str(a.redis_n), W="2", C="50", REDIS_PORT=str(port), PYTHONPATH=str(BENCH / "redis/peers"))
        names = ["gamut", "bullmq", "rq"]
        for r in range(a.rounds):
            for s in names[r % 3:] + names[:r % 3]:
                flush()
                if s == "gamut":
                    _, c, out = run([rbin, "e2e", url, "bench", str(a.redis_n), "2", "50"])
                    e2e[s].append(float(kv(out.strip().splitlines()[-1])["process_per_s"]))
                    flush()
                    _, _, out2 = run([rbin, "enqueue", url, "bench", str(a.redis_n)])
                    enq[s].append(float(kv(out2.strip().splitlines()[-1])["enqueue_per_s"]))
                elif s == "bullmq":
                    _, c, out = run(["node", "bullmq.mjs"], env=env, cwd=bull)
                    v = kv(out.strip().splitlines()[-1])
                    e2e[s].append(float(v["process_per_s"]))
                    enq[s].append(float(v["enqueue_per_s"]))
                else:
                    _, c, out = run(["bash", str(BENCH / "fair/rq_simple.sh"), str(a.redis_n), str(port)], env=env)
                    e2e[s].append(float(kv(out.strip().splitlines()[-1])["process_per_s"]))
                cpu[s].append(c / a.redis_n * 1e6)
                log(f"section=redis side={s} round={r} process_per_s={e2e[s][-1]:.0f} cpu_us_per_job={c / a.redis_n * 1e6:.0f}"
                    + (f" enqueue_per_s={enq[s][-1]:.0f}" if s in enq else ""))
    finally:
        srv.terminate()
        srv.wait()
        shutil.rmtree(d, ignore_errors=True)
    rows = ["| what | Gamut | BullMQ | RQ (SimpleWorker) | Gamut / BullMQ / RQ |", "| --- | ---: | ---: | ---: | ---: |",
            f"| {a.redis_n:,} no-op jobs end to end, 2 worker processes (jobs/s) | {spread(e2e['gamut'])} | {spread(e2e['bullmq'])} | "
            f"{spread(e2e['rq'])} | {med(e2e['gamut']) / med(e2e['bullmq']):.2f}× / {med(e2e['gamut']) / med(e2e['rq']):.1f}× |",
            f"| enqueue {a.redis_n:,} jobs in batches (jobs/s) | {spread(enq['gamut'])} | {spread(enq['bullmq'])} | — | "
            f"{med(enq['gamut']) / med(enq['bullmq']):.2f}× / — |",
            f"| CPU µs per job, whole tree (client + workers; not Redis) | {med(cpu['gamut']):.0f} | {med(cpu['bullmq']):.0f} | {med(cpu['rq']):.0f} | |"]
    section("Redis job queue beside BullMQ and RQ (`bench/redis`)", "\n".join(rows) + f"\n\nOne private `redis-server` "
            f"(no persistence), flushed before each side; BullMQ {Path(bull, 'node_modules/bullmq/package.json').exists() and json.loads(Path(bull, 'node_modules/bullmq/package.json').read_text())['version']} "
            "with 2 worker processes of concurrency 50 and `addBulk` in 1,000-job calls; Gamut with 2 worker processes of "
            "concurrency 50 and one batched enqueue call of the same N; RQ with 2 burst SimpleWorkers and `enqueue_many`. "
            f"Medians of {a.rounds} interleaved rounds. Load {before} → {load()}.")


def echo(a):
    """TCP echo: Gamut's loop with its defaults (blocked-loop watchdog on) vs C epoll, asyncio, Twisted."""
    before = load()
    _, _, out = run(["bash", str(BENCH / "echo/echo.sh"), "100", "64", str(a.echo_secs), str(a.rounds)], timeout=3600)
    res, cpu = {}, {}
    for line in out.splitlines():
        if line.startswith("peer="):
            v = kv(line)
            res.setdefault(v["peer"], []).append(float(v["msgs_per_s"]))
            cpu.setdefault(v["peer"], []).append(float(v["server_cpu_us_per_msg"]))
            log("section=echo " + line)
    peers = [p for p in ("gamut-loop", "gamut-loop-async", "c-epoll", "asyncio", "twisted") if p in res]
    rows = ["| server | messages/s | server CPU µs per message | CPU per message / C epoll's | Gamut loop's messages/s / this |",
            "| --- | ---: | ---: | ---: | ---: |"]
    for p in peers:
        rows.append(f"| {p} | {spread(res[p])} | {spread(cpu[p], '{:.2f}')} | {med(cpu[p]) / med(cpu['c-epoll']):.2f}× | "
                    f"{med(res['gamut-loop']) / med(res[p]):.2f}× |")
    section("TCP echo server (`bench/echo`)", "\n".join(rows) + f"\n\n100 connections × 64-byte ping-pong for {a.echo_secs} s "
            "under one C load client; Gamut's loop with its default options (blocked-loop watchdog on), each server "
            f"started fresh; {a.rounds} rounds, servers in the same order each round. Load {before} → {load()}.")


def run_pipe(a, gamut):
    """gamut run --pipe beside GNU parallel --pipe and split --filter, the same -j: an input through `wc -l` and `gzip -1`."""
    before = load()
    j, block = 2, "1M"
    tmp = Path(a.tmp)
    inp, gz = tmp / "pipe-input", tmp / "gz"
    subprocess.run(f"{{ seq 1 1000000000 || true; }} | head -c {a.runpipe_bytes} | awk 1 > {inp}", shell=True, check=True,
                   executable="/bin/bash", stderr=subprocess.DEVNULL)
    size = inp.stat().st_size
    lines = int(subprocess.run(["wc", "-l", str(inp)], capture_output=True, text=True, check=True).stdout.split()[0])
    subprocess.run(["cat", str(inp)], stdout=subprocess.DEVNULL, check=True)   # into the page cache
    env = dict(os.environ, PARALLEL_SHELL="/bin/bash")
    total = r'awk "{s+=\$1} END {print s}"'
    cmds = {
        "wc -l": {
            "split": f"split -n r/{j} --filter='wc -l' < {inp} | {total}",
            "parallel": f"parallel --will-cite -j{j} --pipe --block {block} wc -l < {inp} | {total}",
            "gamut": f"{gamut} run -j{j} --pipe --block {block} wc -l < {inp} | {total}"},
        "gzip -1": {   # each job (split: each filter process) writes its own file; checked after the timing
            "split": f"split -n r/{j} --filter='gzip -1 > {gz}/$FILE' < {inp}",
            "parallel": f"parallel --will-cite -j{j} --pipe --block {block} 'gzip -1 > {gz}/{{#}}' < {inp}",
            "gamut": f"{gamut} run -j{j} --pipe --block {block} 'gzip -1 > {gz}/{{#}}' < {inp}"},
    }
    rounds = a.runpipe_rounds
    rows = ["| filter (-j 2) | split --filter MB/s | GNU parallel --pipe MB/s | gamut run --pipe MB/s | gamut / split | gamut / parallel | CPU s per GiB: split / parallel / gamut |",
            "| --- | ---: | ---: | ---: | ---: | ---: | ---: |"]
    worst_s, worst_p = 99.0, 99.0
    names = ["split", "parallel", "gamut"]
    for f, sides in cmds.items():
        rate = {n: [] for n in names}
        cpu = {n: [] for n in names}
        for r in range(rounds):
            for n in names[r % 3:] + names[:r % 3]:
                shutil.rmtree(gz, ignore_errors=True)
                gz.mkdir()
                wall, c, out = run(["bash", "-c", sides[n]], env=env)
                got = out.strip() if f == "wc -l" else subprocess.run(f"cat {gz}/* | gzip -dc | wc -l", shell=True, capture_output=True,
                                                                      text=True, check=True).stdout.strip()
                if got != str(lines):
                    raise RuntimeError(f"{n} --pipe through {f} counted {got} lines, not {lines}")
                rate[n].append(size / wall / 1e6)
                cpu[n].append(c / (size / 2**30))
                log(f"section=runpipe filter={f.replace(' ', '')} side={n} round={r} mb_per_s={size / wall / 1e6:.0f} "
                    f"cpu_s_per_gib={c / (size / 2**30):.2f} load={load().split()[0]}")
        gs, gp = med(rate["gamut"]) / med(rate["split"]), med(rate["gamut"]) / med(rate["parallel"])
        worst_s, worst_p = min(worst_s, gs), min(worst_p, gp)
        rows.append(f"| `{f}` | {spread(rate['split'])} | {spread(rate['parallel'])} | {spread(rate['gamut'])} | {gs:.2f}× | {gp:.1f}× | "
                    f"{' / '.join(f'{med(cpu[n]):.2f}' for n in names)} |")
    shutil.rmtree(gz, ignore_errors=True)
    inp.unlink()
    goal("`gamut run --pipe` ≥ 1.0× `split --filter` and ≥ GNU parallel `--pipe` (same -j; `wc -l` and `gzip -1`)",
         f"lowest {worst_s:.2f}× split, {worst_p:.1f}× parallel ({size / 2**20:,.0f} MiB input)", worst_s >= 1.0 and worst_p >= 1.0)
    section("`gamut run --pipe` beside GNU parallel `--pipe` and `split --filter`", "\n".join(rows) + f"\n\nA {size / 2**20:,.0f} MiB "
            f"input ({lines:,} lines of `seq`, in the page cache) on standard input; gamut and parallel cut `--block {block}` "
            f"blocks, one job each, {j} at a time; `split -n r/{j}` hands lines round-robin to {j} filter processes (its fastest "
            "way to feed that many). `gzip -1` writes one file per job (split: per filter process); every round's line count "
            f"is checked (the `gzip -1` check, decompressing, after the timing). Medians of {rounds} interleaved rounds "
            "(min–max), rotating order; CPU is the whole process tree's (the tool, its shell, the filters). "
            f"Load {before} → {load()}. Standalone with its own knobs: `bench/cli/pipe.sh`.")


def run_results(a, gamut):
    """gamut run --results DIR beside GNU parallel --results DIR: N jobs of `echo {}`, the tree of files checked."""
    before = load()
    n, j = a.results_n, 2
    env = dict(os.environ, PARALLEL_SHELL="/bin/bash")
    seq = Path(a.tmp) / "results-input"
    seq.write_text("".join(f"{i}\n" for i in range(1, n + 1)))
    names = ["parallel", "gamut"]
    rate = {x: [] for x in names}
    cpu = {x: [] for x in names}
    trees = []
    floor = []
    for r in range(a.rounds):
        # The children alone (xargs -P, no files, no shell): what each job's own process costs on this machine, which
        # bounds the ratio (parallel's cost per job over gamut's, each paying for its children too).
        _, c, _ = run(["sh", "-c", f"xargs -P {j} -n 1 echo < {seq} > /dev/null"])
        floor.append(c / n * 1e3)
        for x in names[r % 2:] + names[:r % 2]:
            d = Path(a.tmp) / f"results-{x}-{r}"
            cmd = ["parallel", "--will-cite"] if x == "parallel" else [gamut, "run"]
            wall, c, _ = run(cmd + [f"-j{j}", "--results", str(d), "echo", "{}", "::::", str(seq)], env=env)
            files = sum(1 for _ in d.rglob("stdout"))
            if files != n:
                raise RuntimeError(f"{x} --results left {files} stdout files, not {n}")
            # Trees are removed after the last round, not between runs: ext4 allocates a new inode by scanning past
            # recently deleted ones (find_inode_bit / recently_deleted), so a run that starts right after 8,000
            # files were removed spends most of its time in the kernel — whichever side runs next pays for it.
            trees.append(d)
            rate[x].append(n / wall)
            cpu[x].append(c / n * 1e3)
            log(f"section=results side={x} round={r} jobs_per_s={n / wall:.0f} cpu_ms_per_job={c / n * 1e3:.2f} load={load().split()[0]}")
    for d in trees:
        shutil.rmtree(d)
    g = med(rate["gamut"]) / med(rate["parallel"])
    goal("`gamut run --results DIR`, 2,000 jobs, ≥ 5× GNU parallel's", f"{g:.1f}× ({n:,} jobs)", g >= 5 and n >= 2000)
    section("`gamut run --results DIR` beside GNU parallel", "\n".join([
        "| | GNU parallel --results | gamut run --results | gamut / parallel |", "| --- | ---: | ---: | ---: |",
        f"| {n:,} jobs of `echo {{}}`, -j {j} (jobs/s) | {spread(rate['parallel'])} | {spread(rate['gamut'])} | {g:.1f}× |",
        f"| CPU ms per job, whole tree | {med(cpu['parallel']):.2f} | {med(cpu['gamut']):.2f} | {med(cpu['gamut']) / med(cpu['parallel']):.2f}× |"])
        + f"\n\nThe children alone (`xargs -P {j} -n 1 echo`, no files, in the same rounds) cost {med(floor):.2f} CPU ms per job "
        f"here: that floor is in both tools' figures, so where starting a process is dear the ratio rises, where it is cheap it falls "
        f"(on 2026-12-07 at 14:41 UTC, on a build of this VM where a child cost about 1 ms, this harness measured 305 vs "
        f"1,108 jobs/s, 3.6×; there parallel's 5.5 ms per job over the child's own ~1 ms caps any tool near 5.5×)."
        + f"\n\nEach job leaves `stdout`, `stderr` and `seq` under DIR/1/VALUE/ (parallel's tree; the trees are the same, "
        f"checked in the differential suite); every round's tree is counted ({n:,} stdout files) after the timing, each round "
        f"into a fresh directory on the same file system (ext4 here), all removed after the last round (removing 8,000 "
        f"files just before a run makes ext4's inode allocation scan past them, and the next run, either side's, spends "
        f"most of its time in the kernel). Medians of {a.rounds} interleaved rounds (min–max). Load {before} → {load()}. Standalone: "
        "`bench/cli/results.sh`.")


def dashboard(a, gamut, dashbench):
    """The dashboard on 1,000,000 stored jobs: Redis commands/s and latency without and with it, page-load time."""
    sys.path.insert(0, str(BENCH / "dashboard"))
    import dashboard_bench
    md, goals = dashboard_bench.measure(dashbench, gamut, jobs=1_000_000, rounds=a.rounds, secs=a.dash_secs, log=log, tmp=a.tmp)
    for g, m, ok in goals:
        goal(g, m, ok)
    section("Dashboard on 1,000,000 jobs (`bench/dashboard`)", md)


ALL = ["startup", "run", "fanout", "pipe", "pool", "redis", "echo", "runpipe", "results", "dashboard"]
TAIL = ("Not in this script (their folders keep their own dated runs, not quoted as ratios here): the in-process "
        "executors and event-loop micro-benchmarks (`bench/executors`), the ring's per-instance cost (`bench/ring`), "
        "Celery and Hangfire (`bench/redis/run.sh`), the tick jitter of schedules (`bench/schedule`), the fault tallies (`bench/chaos`).")


def read_existing():
    """The page as a previous run left it: (header lines, goal rows {goal: row}, [(title, body)]), for a subset run."""
    path = OUT / "RESULTS.md"
    if not path.exists():
        return None
    header, goals, sections, cur = [], {}, [], None
    for line in path.read_text().splitlines():
        if line.startswith("## "):
            cur = line[3:]
            if cur != "Goals":
                sections.append([cur, []])
            continue
        if line.startswith(("Not in this script", "**This run stopped")):
            cur = "tail"
            continue
        if cur is None:
            header.append(line)
        elif cur == "Goals":
            if line.startswith("| ") and not line.startswith(("| goal |", "| --- |")):
                goals[line[2:].split(" | ", 1)[0]] = line
        elif cur != "tail":
            sections[-1][1].append(line)
    return header, goals, [(t, "\n".join(b).strip("\n")) for t, b in sections]


def write_results(a, started):
    cpu = next((l.split(":", 1)[1].strip() for l in Path("/proc/cpuinfo").read_text().splitlines() if l.startswith("model name")), "?")
    mem = int(next(l for l in Path("/proc/meminfo").read_text().splitlines() if l.startswith("MemTotal")).split()[1]) // 1024 // 1024
    ver = lambda c: subprocess.run(c, shell=True, capture_output=True, text=True).stdout.strip().splitlines()[0] if shutil.which(c.split()[0]) else "missing"
    only = [x for x in ALL if x in a.only.split(",")]
    machine = (f"Machine: {os.cpu_count()} cores ({cpu}), {mem} GiB, {platform.platform()}; "
               f".NET SDK {ver('dotnet --version')}, {ver('python3 --version')}, {ver('hyperfine --version')}, "
               f"GNU parallel {ver('parallel --version').split()[-1] if shutil.which('parallel') else '?'}, "
               f"Redis {ver('redis-server --version').split()[2].removeprefix('v=') if shutil.which('redis-server') else 'missing'}, node {ver('node --version')}.")
    existing = CONTEXT.get("existing")
    if existing:
        # A subset run (--only): the other sections stay as the last run wrote them; this run's replace theirs.
        header, old_goals, old_sections = existing
        stamp = (f"Updated {started} → {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}: "
                 + ", ".join(f"«{t}»" for t, _ in SECTIONS) + f" measured by `bench/run-all.sh{' --quick' if a.quick else ''} "
                 f"--only {','.join(only)}` ({'quick' if a.quick else 'full'} sizes, {a.rounds} rounds; load at the start "
                 f"{a.load_start}, at the end {load()}); the other sections are from the run above. {machine}")
        mine = {t for t, _ in SECTIONS}
        keep = [l for l in header if not (l.startswith("Updated ") and set(re.findall(r"«([^»]+)»", l)) <= mine)]
        while keep and not keep[-1].strip():
            keep.pop()
        lines = keep + ["", stamp, "", "## Goals", "", "| goal | measured | |", "| --- | --- | --- |"]
        new_goals = {g: f"| {g} | {m} | {ok} |" for g, m, ok in GOALS}
        lines += [new_goals.pop(g, row) for g, row in old_goals.items()] + list(new_goals.values())
        new_sections = dict(SECTIONS)
        for title, md in old_sections:
            lines += ["", f"## {title}", "", new_sections.pop(title, md)]
        for title, md in new_sections.items():
            lines += ["", f"## {title}", "", md]
        lines += ["", TAIL, ""]
        (OUT / "RESULTS.md").write_text("\n".join(lines))
        (OUT / "results").mkdir(parents=True, exist_ok=True)
        (OUT / "results/raw.txt").write_text("\n".join(CONTEXT.get("raw_before", []) + RAW) + "\n")
        return
    lines = ["# Gamut beside its peers", "",
             "Written by `bench/run-all.sh" + (" --quick" if a.quick else "") + "` from its own measurements (raw lines: "
             "`bench/results/raw.txt`); rerun that one command to regenerate this page. Every comparison is like for like "
             "(same pipe and buffer sizes, same warm-up, the peer's fastest idiomatic API, default settings on both sides), "
             "rounds interleaved, medians with their spread (min–max of the rounds), CPU time of the whole process tree "
             "beside wall time; each tool's defaults, where shown, are labelled so. `--only` runs update their sections "
             "in place and say so under this paragraph.", "",
             f"Run {started} → {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, {'quick' if a.quick else 'full'} sizes, "
             f"{a.rounds} rounds. {machine} "
             f"Load average (1/5/15 min) at the start: {a.load_start}; at the end: {load()}. The machine is shared; "
             "figures on a busy machine favour whichever side uses less CPU.", "",
             "## Goals", "", "| goal | measured | |", "| --- | --- | --- |"]
    lines += [f"| {g} | {m} | {ok} |" for g, m, ok in GOALS]
    for title, md in SECTIONS:
        lines += ["", f"## {title}", "", md]
    if len(SECTIONS) >= len(only) and CONTEXT.get("previous"):
        # Sections this script does not write (added from a harness run on its own, e.g. bench/schedule) stay.
        mine = {t for t, _ in SECTIONS}
        for title, md in CONTEXT["previous"][2]:
            if title not in mine:
                lines += ["", f"## {title}", "", md]
    if len(SECTIONS) < len(only):
        lines += ["", f"**This run stopped or was limited after {len(SECTIONS)} of {len(only)} sections**; the goals of the "
                  "sections missing here are not measured by it. Rerun `bench/run-all.sh` for all of them."]
    lines += ["", TAIL, ""]
    (OUT / "RESULTS.md").write_text("\n".join(lines))
    (OUT / "results").mkdir(parents=True, exist_ok=True)
    (OUT / "results/raw.txt").write_text("\n".join(RAW) + "\n")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="smaller sizes, 3 rounds (about 8 minutes on a quiet 2-core machine)")
    ap.add_argument("--only", default=",".join(ALL), help="comma list of sections (" + ",".join(ALL) + "); a subset updates "
                    "its sections of an existing RESULTS.md in place and keeps the others")
    ap.add_argument("--tmp", required=True)
    ap.add_argument("--gamut", required=True)
    ap.add_argument("--jit", required=True)
    ap.add_argument("--processbench", required=True)
    ap.add_argument("--poolbench", required=True)
    ap.add_argument("--redisbench", required=True)
    ap.add_argument("--setpipe", required=True)
    ap.add_argument("--dashbench", required=True, help="bench/dashboard's DashboardBench.dll")
    ap.add_argument("--no-write", action="store_true", help="measure and print, but leave bench/RESULTS.md alone")
    a = ap.parse_args()
    q = a.quick
    a.rounds = int(os.environ.get("ROUNDS", 3 if q else 5))
    a.hf_runs = 20 if q else 50
    a.run_n = 1000 if q else 2000
    a.js = [1, 2, 4, 8, 16]
    a.fan_n = 1000 if q else 2000
    a.mib = 512 if q else 2048
    a.redis_n = 5000 if q else 10000
    a.echo_secs = 3 if q else 5
    a.runpipe_bytes = (256 if q else 2048) << 20   # the 2 GiB at full size
    a.runpipe_rounds = min(a.rounds, 3)            # at 2 GiB, GNU parallel's gzip pipe takes minutes a round
    a.results_n = 2000                             # the goal is stated at 2,000 jobs
    a.dash_secs = 10
    a.load_start = load()
    started = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    log(f"# start {started} load {a.load_start} quick={q} rounds={a.rounds}")
    only = set(a.only.split(","))
    if only - set(ALL):
        ap.error(f"--only: unknown section(s) {','.join(sorted(only - set(ALL)))}; the sections are {','.join(ALL)}")
    CONTEXT.update(write=not a.no_write, args=a, started=started)
    CONTEXT["previous"] = read_existing()
    if only != set(ALL) and not a.no_write and (existing := CONTEXT["previous"]):
        CONTEXT["existing"] = existing
        raw = OUT / "results/raw.txt"
        CONTEXT["raw_before"] = raw.read_text().splitlines() if raw.exists() else []
    if "startup" in only: startup(a, a.gamut, a.jit)
    if "run" in only: gamut_run(a, a.gamut)
    if "fanout" in only: fanout(a, a.processbench)
    if "pipe" in only: pipes(a, a.processbench, a.setpipe)
    if "pool" in only: pool(a, a.poolbench)
    if "redis" in only: redis(a, a.redisbench)
    if "echo" in only: echo(a)
    if "runpipe" in only: run_pipe(a, a.gamut)
    if "results" in only: run_results(a, a.gamut)
    if "dashboard" in only: dashboard(a, a.gamut, a.dashbench)
    log(f"# end {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} load {load()}")
    for g, m, ok in GOALS:
        print(f"goal: {g}: {m}: {ok}")


if __name__ == "__main__":
    main()
