#!/usr/bin/env python3
"""Turns the fault scenarios' tally lines into a table in docs/reliability.md, between the markers
<!-- tallies:SIZE --> and <!-- /tallies:SIZE -->, with the machine and the date.
usage: tallies.py TALLY_FILE DOC SIZE SECONDS"""
import datetime, os, platform, re, subprocess, sys

tally_file, doc, size, seconds = sys.argv[1:5]
main = ["submitted", "acked", "indeterminate", "executed", "lost", "lost_result", "duplicates", "unexpected",
        "stuck", "dead_lettered", "reported_duplicates"]
rows = []
for line in sorted(open(tally_file).read().splitlines()):
    name, _, rest = line.partition(": ")
    parts = [p.strip() for p in rest.split(" | ")]
    fields = dict(re.findall(r"(\w+)=(\S+)", parts[0]))
    extra = dict(re.findall(r"(\w+)=(\S+)", parts[1])) if len(parts) > 1 else {}
    note = " | ".join(parts[2:]) if len(parts) > 2 else ""
    shown = [f"{k}={v}" for k, v in extra.items() if v != "0" and k not in ("records", "enqueued")]
    cells = [name, fields.get("seed", "")] + [fields.get(k, "") for k in main] + ["; ".join(shown + ([note] if note else [])).replace("|", "/")]
    rows.append("| " + " | ".join(cells) + " |")


def sh(cmd):
    try:
        return subprocess.run(cmd, shell=True, capture_output=True, text=True, timeout=10).stdout.strip()
    except Exception:
        return "?"


cpu = sh("grep -m1 'model name' /proc/cpuinfo | cut -d: -f2").strip() or platform.processor()
now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
redis = sh(r"redis-server --version | sed 's/.*v=\([^ ]*\).*/\1/'")
load = sh("cut -d' ' -f1-3 /proc/loadavg")
command = "bench/chaos/run.sh" + ("" if size == "soak" else " ci")
header = (f"Run {now} on {os.cpu_count()} cores ({cpu}), {sh('uname -sr')}, Redis {redis}, "
          f"load average at the end {load}; {len(rows)} tallies in {seconds} s (`{command}`).") + "\n\n"
table = ("| scenario | seed | " + " | ".join(main) + " | also (non-zero) and faults injected |\n"
         "|" + "---|" * (len(main) + 3) + "\n" + "\n".join(rows) + "\n")
text = open(doc).read()
begin, end = f"<!-- tallies:{size} -->", f"<!-- /tallies:{size} -->"
if begin not in text or end not in text:
    sys.exit(f"{doc} has no {begin} … {end} section")
before, _, after = text.partition(begin)
_, _, after = after.partition(end)
open(doc, "w").write(before + begin + "\n" + header + table + end + after)
