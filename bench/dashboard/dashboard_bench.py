#!/usr/bin/env python3
"""The dashboard on 1,000,000 stored jobs: what it costs Redis, and how fast its pages load (issue 16, "Scale and cost").

  1. A fresh redis-server on a free loopback port (nothing persisted) is filled with JOBS jobs across four queues by
     Gamut's own batched enqueue (EnqueueManyAsync, bench/dashboard/DashboardBench): per queue 1% of JOBS (10,000) dead-lettered
     (failed by a real worker: one attempt each, then the dead-letter list), 4% (40,000) delayed (a day ahead), the rest
     queued.
  2. Interleaved rounds, in rotating order, of two windows of SECS seconds each:
       without: no dashboard;
       with:    `gamut dashboard --redis URL --listen 127.0.0.1:PORT`, started for the window, and 10 clients that
                each load the page and its assets, open the live feed (/api/events, Server-Sent Events, held for the
                whole window) and one jobs page (queued, delayed and dead-letter pages of the four queues, one of them
                100,000 jobs deep).
     In each window: Redis commands/s from INFO commandstats deltas (the latency samplers' own PINGs and this
     script's INFO calls taken out), Redis CPU (INFO cpu deltas), `redis-cli --latency` over the window (min/avg/max)
     and this script's own PING round trips every 10 ms (median, p99, max).
  3. The dashboard's per-poll commands: MONITOR for a few seconds while it runs with its 10 clients (not timed),
     cut into polls by the gaps between bursts; the commands it sends (no KEYS or SCAN may appear; commands run
     inside scripts count in commandstats too, so the windows' deltas check that as well).
  4. Page-load time in Debian's headless Chromium while the 10 clients watch: the overview until its queue table shows
     figures, and a jobs page until its rows show (the page's own clock from navigation start).

Standalone: bench/dashboard/run.sh (builds what it needs). bench/run_all.py calls measure() for its "dashboard"
section. Prints `section=dashboard …` lines.
"""
import argparse, http.client, os, re, shutil, signal, socket, statistics, subprocess, sys, tempfile, threading, time
from pathlib import Path

QUEUES = ["emails", "reports", "images", "webhooks"]


def load():
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cli(port, *args):
    return subprocess.run(["redis-cli", "-p", str(port), *args], capture_output=True, text=True, check=True).stdout


def info(port, section):
    out = {}
    for line in cli(port, "info", section).splitlines():
        if ":" in line and not line.startswith("#"):
            k, v = line.strip().split(":", 1)
            out[k] = v
    return out


def commandstats(port):
    """{command: calls} from INFO commandstats."""
    return {k.removeprefix("cmdstat_"): int(re.search(r"calls=(\d+)", v).group(1)) for k, v in info(port, "commandstats").items()}


def redis_cpu(port):
    c = info(port, "cpu")
    return float(c["used_cpu_sys"]) + float(c["used_cpu_user"])


def proc_cpu(pid):
    """CPU seconds of one process (utime + stime), from /proc."""
    f = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(f[11]) + int(f[12])) / os.sysconf("SC_CLK_TCK")


class PingSampler(threading.Thread):
    """PING on one connection every 10 ms; round trips in µs."""

    def __init__(self, port, stop):
        super().__init__(daemon=True)
        self.port, self.stop, self.rtts = port, stop, []

    def run(self):
        s = socket.create_connection(("127.0.0.1", self.port))
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        while not self.stop.is_set():
            t0 = time.perf_counter()
            s.sendall(b"PING\r\n")
            buf = b""
            while not buf.endswith(b"\r\n"):
                buf += s.recv(64)
            self.rtts.append((time.perf_counter() - t0) * 1e6)
            self.stop.wait(0.01)
        s.close()


class Client(threading.Thread):
    """One browser's worth: the page and its assets, the live feed held open, one jobs page."""

    def __init__(self, port, jobs_query, stop):
        super().__init__(daemon=True)
        self.port, self.jobs_query, self.stop = port, jobs_query, stop
        self.events, self.page_ms, self.jobs_ms, self.error, self.first_event = 0, None, None, None, threading.Event()

    def get(self, path):
        c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        t0 = time.perf_counter()
        c.request("GET", path)
        r = c.getresponse()
        body = r.read()
        ms = (time.perf_counter() - t0) * 1e3
        c.close()
        if r.status != 200:
            raise RuntimeError(f"GET {path}: HTTP {r.status}")
        return ms, body

    def run(self):
        try:
            self.page_ms, html = self.get("/")
            for asset in re.findall(rb'(?:src|href)="(/assets/[^"]+)"', html) or [b"/assets/app.js", b"/assets/app.css"]:
                self.get(asset.decode())
            c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)
            c.request("GET", "/api/events", headers={"Accept": "text/event-stream"})
            r = c.getresponse()
            if r.status != 200:
                raise RuntimeError(f"GET /api/events: HTTP {r.status}")
            self.jobs_ms, body = self.get("/api/jobs?" + self.jobs_query)
            if b'"rows"' not in body:
                raise RuntimeError(f"/api/jobs?{self.jobs_query} answered without rows: {body[:200]!r}")
            c.sock.settimeout(0.5)
            while not self.stop.is_set():
                try:
                    line = r.readline()
                except (socket.timeout, TimeoutError):
                    continue
                if not line:
                    break
                if line.startswith(b"data:"):
                    self.events += 1
                    self.first_event.set()
            c.close()
        except Exception as e:  # reported by the caller
            self.error = e
            self.first_event.set()


def wait_http(port, proc, secs=120):
    until = time.time() + secs
    while time.time() < until:
        if proc.poll() is not None:
            raise RuntimeError(f"gamut dashboard exited {proc.returncode}")
        try:
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            c.request("GET", "/")
            if c.getresponse().status == 200:
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("gamut dashboard did not answer within 120 s")


def stop_proc(p):
    if p.poll() is None:
        p.send_signal(signal.SIGINT)
        try:
            p.wait(15)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()


class Dashboard:
    """`gamut dashboard` and its 10 clients, from start until every client got its first live event."""

    def __init__(self, gamut, url, workdir, clients=10):
        self.port = free_port()
        self.log = open(Path(workdir) / "dashboard.log", "a")
        t0 = time.perf_counter()
        self.proc = subprocess.Popen([gamut, "dashboard", "--redis", url, "--listen", f"127.0.0.1:{self.port}"],
                                     stdout=self.log, stderr=self.log, stdin=subprocess.DEVNULL)
        wait_http(self.port, self.proc)
        self.start_ms = (time.perf_counter() - t0) * 1e3
        self.stop = threading.Event()
        lists = [("queued", 0), ("delayed", 0), ("dead", 0), ("queued", 100_000)]
        self.clients = [Client(self.port, f"queue={QUEUES[i % 4]}&list={lists[i % 4][0]}&offset={lists[i % 4][1]}&count=25", self.stop)
                        for i in range(clients)]
        for c in self.clients:
            c.start()
        for c in self.clients:
            if not c.first_event.wait(120) or c.error:
                raise RuntimeError(f"a client failed: {c.error}")

    def close(self):
        self.stop.set()
        for c in self.clients:
            c.join(5)
        stop_proc(self.proc)
        self.log.close()


def window(port, secs, dash=None):
    """One measured window: commands, Redis CPU, latency (redis-cli --latency and our PINGs), dashboard CPU."""
    stop = threading.Event()
    pinger = PingSampler(port, stop)
    s0, cpu0 = commandstats(port), redis_cpu(port)
    d0 = proc_cpu(dash.proc.pid) if dash else 0.0
    ev0 = sum(c.events for c in dash.clients) if dash else 0
    t0 = time.perf_counter()
    pinger.start()
    lat = subprocess.run(["redis-cli", "-p", str(port), "--latency", "-i", str(secs), "--raw"], capture_output=True, text=True, check=True).stdout.split()
    stop.set()
    pinger.join()
    wall = time.perf_counter() - t0
    s1, cpu1 = commandstats(port), redis_cpu(port)
    d1 = proc_cpu(dash.proc.pid) if dash else 0.0
    ev1 = sum(c.events for c in dash.clients) if dash else 0
    delta = {k: s1.get(k, 0) - s0.get(k, 0) for k in s1}
    # Ours: our PINGs and redis-cli's (ping), and the INFO calls reading these figures (info) — taken out.
    theirs = {k: v for k, v in delta.items() if v and k not in ("ping", "info")}
    rtts = sorted(pinger.rtts)
    return {
        "secs": wall,
        "cmds_per_s": sum(theirs.values()) / wall,
        "by_cmd": {k: v / wall for k, v in sorted(theirs.items(), key=lambda kv: -kv[1])},
        "keys_scan": sum(delta.get(k, 0) for k in ("keys", "scan", "sscan", "hscan", "zscan")),
        "redis_cpu_ms_per_s": (cpu1 - cpu0) / wall * 1e3,
        "dash_cpu_ms_per_s": (d1 - d0) / wall * 1e3,
        "events": ev1 - ev0,
        "cli_min_ms": float(lat[0]), "cli_max_ms": float(lat[1]), "cli_avg_ms": float(lat[2]), "cli_samples": int(lat[3]),
        "ping_p50_us": rtts[len(rtts) // 2], "ping_p99_us": rtts[min(len(rtts) - 1, int(len(rtts) * 0.99))], "ping_max_us": rtts[-1],
        "pings": len(rtts),
    }


def monitor_polls(port, secs, poll_ms):
    """MONITOR while the dashboard runs: commands per poll (bursts split by gaps), and the distinct commands."""
    p = subprocess.Popen(["redis-cli", "-p", str(port), "monitor"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    time.sleep(secs)
    p.send_signal(signal.SIGINT)
    out = p.communicate(timeout=30)[0]
    stamps, names = [], {}
    for line in out.splitlines():
        m = re.match(r'^(\d+\.\d+) \[\d+ ([^\]]+)\] "([^"]+)"', line)
        if not m:
            continue
        cmd = m.group(3).lower()
        if cmd in ("monitor", "ping", "info"):
            continue
        stamps.append(float(m.group(1)))
        key = cmd + (" (in a script)" if m.group(2) == "lua" else "")
        names[key] = names.get(key, 0) + 1
    bursts, last = [], None
    for t in stamps:
        if last is None or (t - last) * 1e3 > poll_ms / 3:
            bursts.append(0)
        bursts[-1] += 1
        last = t
    whole = bursts[1:-1] if len(bursts) > 2 else bursts   # the first and last may be cut by the window
    return whole, names


def measure(bench_dll, gamut, jobs=1_000_000, rounds=3, secs=10, clients=10, pageloads=5, log=print, tmp=None):
    """Runs the whole benchmark; returns (markdown, goals [(goal, measured, met)]). Per queue: 1% of JOBS dead, 4% delayed."""
    before = load()
    work = Path(tempfile.mkdtemp(prefix="gamut-dash-", dir=tmp))
    port = free_port()
    url = f"redis://127.0.0.1:{port}"
    srv = subprocess.Popen(["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--dir", str(work), "--save", "",
                            "--appendonly", "no", "--protected-mode", "no"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    dash = None
    try:
        for _ in range(200):
            if subprocess.run(["redis-cli", "-p", str(port), "ping"], capture_output=True).returncode == 0:
                break
            time.sleep(0.05)
        t0 = time.perf_counter()
        fill = subprocess.run(["dotnet", bench_dll, "fill", url, ",".join(QUEUES), str(jobs), str(jobs // 100), str(jobs // 25)],
                              capture_output=True, text=True, timeout=1200)
        if fill.returncode != 0:
            raise RuntimeError(f"fill failed: {fill.stderr[-2000:]}")
        fill_s = time.perf_counter() - t0
        f = dict(p.split("=", 1) for l in fill.stdout.splitlines() for p in l.split()[1:] if "=" in p)
        mem = info(port, "memory")
        stored = {k: int(f[k]) for k in ("queued", "delayed", "dead", "total")}
        log(f"section=dashboard what=fill jobs={jobs} queued={stored['queued']} delayed={stored['delayed']} dead={stored['dead']} "
            f"total={stored['total']} seconds={fill_s:.1f} enqueue_per_s={f.get('enqueue_per_s')} dead_phase_s={f.get('dead_phase_s')} "
            f"dbsize={cli(port, 'dbsize').strip()} used_memory={mem['used_memory_human']} load={load()}")
        if stored["total"] != jobs:
            raise RuntimeError(f"the fill stored {stored['total']} jobs, not {jobs}")
        res = {"without": [], "with": []}
        starts = []
        for r in range(rounds):
            for side in (["without", "with"] if r % 2 == 0 else ["with", "without"]):
                if side == "with":
                    dash = Dashboard(gamut, url, work, clients)
                    starts.append(dash.start_ms)
                w = window(port, secs, dash)
                if side == "with":
                    w["page_ms"] = statistics.median(c.page_ms for c in dash.clients)
                    w["jobs_ms"] = statistics.median(c.jobs_ms for c in dash.clients)
                    w["jobs_deep_ms"] = max(c.jobs_ms for c in dash.clients if "offset=100000" in c.jobs_query)
                    dash.close()
                    dash = None
                res[side].append(w)
                log(f"section=dashboard round={r} side={side} cmds_per_s={w['cmds_per_s']:.1f} redis_cpu_ms_per_s={w['redis_cpu_ms_per_s']:.1f} "
                    f"cli_latency_ms_min/avg/max={w['cli_min_ms']}/{w['cli_avg_ms']:.2f}/{w['cli_max_ms']} ping_us_p50/p99/max="
                    f"{w['ping_p50_us']:.0f}/{w['ping_p99_us']:.0f}/{w['ping_max_us']:.0f} keys_scan={w['keys_scan']} "
                    f"dash_cpu_ms_per_s={w['dash_cpu_ms_per_s']:.1f} sse_events={w['events']} "
                    f"by_cmd={','.join(f'{k}:{v:.1f}' for k, v in w['by_cmd'].items())} load={load()}")
        # Per-poll commands (MONITOR, not timed) and page loads in Chromium, with the 10 clients watching.
        dash = Dashboard(gamut, url, work, clients)
        time.sleep(1)
        bursts, names = monitor_polls(port, 5, 500)
        log(f"section=dashboard what=monitor polls={len(bursts)} per_poll={bursts} commands={names} load={load()}")
        pl = subprocess.run(["dotnet", bench_dll, "pageload", f"http://127.0.0.1:{dash.port}/", QUEUES[0], str(pageloads)],
                            capture_output=True, text=True, timeout=600)
        if pl.returncode != 0:
            raise RuntimeError(f"pageload failed: {pl.stderr[-2000:]}")
        loads = [dict(p.split("=", 1) for p in l.split()[1:]) for l in pl.stdout.splitlines() if l.startswith("pageload ")]
        for l in loads:
            log(f"section=dashboard what=pageload {' '.join(f'{k}={v}' for k, v in l.items())} load={load()}")
        bf = [float(x) for l in pl.stdout.splitlines() if l.startswith("bfcache ") for x in l.split("=", 1)[1].split(",")]
        log(f"section=dashboard what=pageload_bfcache loads_ms={','.join(f'{x:.0f}' for x in bf)} load={load()}")
        dash.close()
        dash = None
    finally:
        if dash:
            dash.close()
        srv.terminate()
        srv.wait()
        shutil.rmtree(work, ignore_errors=True)
    after = load()
    return summarize(jobs, stored, fill_s, f, mem, res, starts, bursts, names, loads, bf, rounds, secs, clients, before, after)


def summarize(jobs, stored, fill_s, f, mem, res, starts, bursts, names, loads, bf, rounds, secs, clients, before, after):
    med = statistics.median

    def sp(xs, fmt="{:,.0f}"):
        return f"{fmt.format(med(xs))} ({fmt.format(min(xs))}–{fmt.format(max(xs))})"

    wo, wi = res["without"], res["with"]
    col = lambda side, k: [w[k] for w in side]
    keys_scan = sum(col(wi, "keys_scan")) + sum(n for c, n in names.items() if c.split()[0] in ("keys", "scan"))
    with_cmds = {}
    for w in wi:
        for k, v in w["by_cmd"].items():
            with_cmds.setdefault(k, []).append(v)
    top = ", ".join(f"`{k.upper()}` {med(v):,.1f}/s" for k, v in sorted(with_cmds.items(), key=lambda kv: -med(kv[1])))
    rows = ["| | without the dashboard | with the dashboard and 10 clients |", "| --- | ---: | ---: |",
            f"| Redis commands/s (besides the samplers' PING and INFO) | {sp(col(wo, 'cmds_per_s'), '{:,.1f}')} | {sp(col(wi, 'cmds_per_s'), '{:,.1f}')} |",
            f"| Redis CPU, ms per s | {sp(col(wo, 'redis_cpu_ms_per_s'), '{:.1f}')} | {sp(col(wi, 'redis_cpu_ms_per_s'), '{:.1f}')} |",
            f"| `redis-cli --latency`, avg ms over the window | {sp(col(wo, 'cli_avg_ms'), '{:.2f}')} | {sp(col(wi, 'cli_avg_ms'), '{:.2f}')} |",
            f"| `redis-cli --latency`, max ms | {sp(col(wo, 'cli_max_ms'), '{:.0f}')} | {sp(col(wi, 'cli_max_ms'), '{:.0f}')} |",
            f"| PING round trip every 10 ms, median µs | {sp(col(wo, 'ping_p50_us'))} | {sp(col(wi, 'ping_p50_us'))} |",
            f"| PING round trip, p99 µs | {sp(col(wo, 'ping_p99_us'))} | {sp(col(wi, 'ping_p99_us'))} |",
            f"| KEYS / SCAN calls (commandstats, scripts included) | {sum(col(wo, 'keys_scan'))} | {sum(col(wi, 'keys_scan'))} |",
            f"| dashboard process CPU, ms per s | — | {sp(col(wi, 'dash_cpu_ms_per_s'), '{:.1f}')} |"]
    per_poll = f"{med(bursts):.0f} (min {min(bursts)}, max {max(bursts)}, {len(bursts)} polls)" if bursts else "— (no whole poll seen)"
    o = [float(l["overview_ms"]) for l in loads]
    j = [float(l["jobs_ms"]) for l in loads]
    rows2 = ["| page (Chromium headless, while the 10 clients watch) | ms from navigation start: median (min–max) |", "| --- | ---: |",
             f"| overview, until its queue table shows the figures | {sp(o, '{:.0f}')} |",
             f"| a queue's first page of queued jobs, until its rows show | {sp(j, '{:.0f}')} |",
             f"| the clients' requests (Python, no rendering): `/` · `/api/jobs` first page · `/api/jobs` 100,000 deep | "
             f"{sp([w['page_ms'] for w in wi], '{:.1f}')} · {sp([w['jobs_ms'] for w in wi], '{:.1f}')} · {sp([w['jobs_deep_ms'] for w in wi], '{:.1f}')} |",
             f"| `gamut dashboard` start until it answers | {sp(starts, '{:.0f}')} |",
             f"| seven overview loads in one browser, back-forward cache on (Chromium's default) | {', '.join(f'{x:,.0f}' for x in bf)} |"]
    md = ("\n".join(rows) + "\n\n" + "\n".join(rows2) + "\n\n"
          f"Redis (a fresh `redis-server` on a loopback port, nothing persisted) held {stored['total']:,} jobs: "
          f"{stored['queued']:,} queued, {stored['delayed']:,} delayed, {stored['dead']:,} dead-lettered, across {len(QUEUES)} "
          f"queues ({mem['used_memory_human']} used), filled in {fill_s:.0f} s by Gamut's own batched enqueue "
          f"(`EnqueueManyAsync` from `bench/dashboard/DashboardBench`, {int(float(f.get('enqueue_per_s', 0))):,} jobs/s) "
          f"after a real worker had failed the dead-lettered ones ({f.get('dead_phase_s')} s). {rounds} interleaved rounds "
          f"of a {secs} s window without and with `gamut dashboard` (started for each window) and {clients} clients, each "
          "holding the live feed (`/api/events`) open after loading the page, its assets and one jobs page; medians "
          "(min–max) of the rounds. Commands/s are INFO commandstats deltas without the samplers' own PING and INFO; "
          "`redis-cli --latency -i` samples for the whole window; the PING round trips are this script's own, one "
          f"every 10 ms. Per poll (MONITOR for 5 s, not in a timed window, cut at gaps): **{per_poll} commands**; "
          f"what the dashboard sent: {', '.join(f'`{k}` {v}' for k, v in sorted(names.items(), key=lambda kv: -kv[1]))}. "
          f"Commands/s with it, by command: {top}. Page loads: `bench/dashboard/DashboardBench pageload`, one warm-up, then "
          f"{len(loads)} loads of each page from about:blank, timed by the page's own `performance.now()` at the first "
          f"frame showing the element, with Chromium's back-forward cache off; the last row, with it on, shows whether pages "
          "left behind keep their live feed's connection open (HTTP/1.1 allows a browser six per host: a seventh load then "
          f"waits for one to close). Load {before} → {after}; the machine is shared, so latency figures carry its noise.")
    goals = [("the dashboard's polls send no KEYS and no SCAN (1,000,000 jobs stored)",
              f"{keys_scan} KEYS/SCAN calls; {per_poll} commands per poll", keys_scan == 0)]
    return md, goals


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bench", required=True, help="DashboardBench.dll")
    ap.add_argument("--gamut", required=True, help="the gamut CLI (./gamut)")
    ap.add_argument("--jobs", type=int, default=1_000_000)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--secs", type=int, default=10)
    a = ap.parse_args()
    md, goals = measure(a.bench, a.gamut, a.jobs, a.rounds, a.secs)
    print("\n## Dashboard on 1,000,000 jobs\n")
    print(md)
    for g, m, ok in goals:
        print(f"goal: {g}: {m}: {'met' if ok else 'not met'}")


if __name__ == "__main__":
    sys.exit(main())
