"""Median of each figure over the runs, Python's multiprocessing beside Gamut's pool, with the ratio and the goal."""
import statistics
import sys


def read(path):
    figures = {}
    for line in open(path):
        parts = line.split()
        if len(parts) >= 2:
            figures.setdefault(parts[0], []).append(float(parts[-1]))
    return figures


py, gamut = read(sys.argv[1]), read(sys.argv[2])
# (label, python figure, gamut figure, goal: ("ratio", minimum of gamut/python) or ("max", most gamut may be), lower is better)
rows = [
    ("pool creation to first result (ms)", "pool_start_first_result_ms", "pool_start_first_result_ms", ("max", 150), True),
    ("map x*x, chunk 1000 (items/s)", "pool_map_chunk1000", "pool_map_chunk1000", ("ratio", 2), False),
    ("map x*x, chunk 25,000 = Python's default here (items/s)", "pool_map_default_chunk", "pool_map_default_chunk", ("ratio", 2), False),
    ("map x*x, chunk 1 (items/s)", "pool_map_chunk1", "pool_map_chunk1", ("ratio", 2), False),
    ("map x*x, chunk 1000, first map on a fresh pool (items/s)", "pool_map_chunk1000", "pool_map_chunk1000_first", None, False),
    ("map x*x, Gamut's automatic chunks (items/s)", None, "pool_map_auto_chunk", None, False),
    ("unbatched submit (ProcessPoolExecutor.submit) (items/s)", "ppe_submit", "submit", ("ratio", 2), False),
    ("one job's round trip (Pool.apply) (us)", "pool_apply_roundtrip_us", "apply_roundtrip_us", ("ratio", 0.5), True),
    ("queue, 100-byte messages, 1 producer + 1 consumer process (msgs/s)", "mp_queue_100B", "ipc_queue_100B", ("ratio", 2), False),
]


def median(figures, name):
    values = figures.get(name)
    return (statistics.median(values), len(values)) if values else (None, 0)


def spread(figures, name):
    values = figures.get(name) if name else None
    if not values or len(values) < 2:
        return ""
    return f" ({fmt(min(values))}–{fmt(max(values))})"


def fmt(v):
    if v is None:
        return "—"
    if v >= 1e6:
        return f"{v / 1e6:.2f} M"
    if v >= 1e4:
        return f"{v / 1e3:.0f} k"
    return f"{v:.1f}"


print("| what (tiny jobs x -> x*x, 2 workers) | Python median (min–max) | Gamut median (min–max) | Gamut / Python | goal |")
print("| --- | --- | --- | --- | --- |")
for label, pname, gname, goal, lower in rows:
    p, pn = median(py, pname) if pname else (None, 0)
    g, gn = median(gamut, gname)
    ratio = g / p if p and g else None
    verdict = ""
    if goal and g is not None:
        kind, bound = goal
        if kind == "max":
            verdict = f"<= {bound} ms: {'met' if g <= bound else 'NOT met'}"
        elif ratio is not None:
            ok = ratio <= bound if lower else ratio >= bound
            verdict = f"{'<=' if lower else '>='} {bound}x: {'met' if ok else 'NOT met'}"
    print(f"| {label} | {fmt(p)}{spread(py, pname)} | {fmt(g)}{spread(gamut, gname)} | {f'{ratio:.2f}x' if ratio else '—'} | {verdict} |")
print()
print("runs per figure (gamut/python): " + ", ".join(f"{g}={len(gamut.get(g, []))}/{len(py.get(p, [])) if p else 0}" for _, p, g, _, _ in rows))
