"""Reads lines 'ID CREATED_MS STARTED_MS' (the tick is in the id: ...yyyyMMddTHHmmssZ, or BullMQ's repeat:KEY:MS)
and prints the median, p99 and max of created - tick and started - tick, in ms."""
import datetime, statistics, sys

who = sys.argv[1]
created, started = [], []
for line in sys.stdin:
    parts = line.split()
    if len(parts) < 3:
        continue
    key = parts[0]
    tail = key.rsplit(".", 1)[-1] if who == "gamut" else key.rsplit(":", 1)[-1]
    tick = (datetime.datetime.strptime(tail, "%Y%m%dT%H%M%SZ").replace(tzinfo=datetime.timezone.utc).timestamp() * 1000
            if who == "gamut" else float(tail))
    if parts[1] not in ("", "-"):
        created.append(float(parts[1]) - tick)
    if parts[2] not in ("", "-"):
        started.append(float(parts[2]) - tick)


def show(xs):
    if not xs:
        return "none"
    xs = sorted(xs)
    p99 = xs[min(len(xs) - 1, int(round(0.99 * (len(xs) - 1))))]
    return f"median {statistics.median(xs):.1f} ms, p99 {p99:.1f} ms, max {xs[-1]:.1f} ms"


print(f"{who}: {len(started)} ticks; created after the tick: {show(created)}; started after the tick: {show(started)}")
