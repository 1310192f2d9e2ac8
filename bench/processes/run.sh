#!/usr/bin/env bash
# Gamut's subprocess layer beside its peers, in ONE run, side by side (medians of R rounds, peers interleaved):
#   fan-out: N runs of /bin/true at -j 2 and 8 — Gamut vs xargs -P, raw System.Diagnostics.Process, CliWrap
#            (Gamut with its defaults, which capture stdout and stderr as CliWrap does; and with output not
#            redirected, as the raw Process loop)
#   pipe:    MiB pumped through cat (parent writes stdin, reads stdout) — Gamut vs Python Popen, raw Process,
#            CliWrap, and the shell's two-hop pipe `head -c … /dev/zero | cat | cat >/dev/null`
#   in flight: 1,000 commands at once capturing small outputs — Gamut's peak managed heap
# Usage: bench/processes/run.sh [N=2000] [MiB=2048] [R=3]      Prints peer lines, then a summary with ratios.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
n=${1:-2000} mib=${2:-2048} rounds=${3:-3}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
dotnet build -c Release -o "$out/bin" "$here/ProcessBench.csproj" >"$out/build.log" 2>&1 || { tail -20 "$out/build.log"; exit 1; }
bench() { dotnet "$out/bin/ProcessBench.dll" "$@"; }
rate() { local s e; s=$(date +%s.%N); bash -c "$1" >/dev/null 2>&1; e=$(date +%s.%N); echo "$n / ($e - $s)" | bc -l | cut -d. -f1; }
seq "$n" >"$out/seq"
{
  echo "# $(date -u +%Y-%m-%dT%H:%MZ) $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), kernel $(uname -r), $(ldd --version | head -1 | awk '{print $NF}' | sed 's/^/glibc /'), dotnet $(dotnet --version)"
  echo "# load before: $(cut -d' ' -f1-3 /proc/loadavg)"
  for r in $(seq "$rounds"); do
    for j in 2 8; do
      echo "peer=xargs runs=$n j=$j jobs_per_s=$(rate "xargs -P$j -n1 /bin/true <$out/seq")"
      bench fanout gamut "$n" "$j"
      bench fanout gamut-inherit "$n" "$j"
      bench fanout process "$n" "$j"
      bench fanout cliwrap "$n" "$j"
    done
    bench pipe gamut "$mib"
    bench pipe process "$mib"
    bench pipe cliwrap "$mib"
    /usr/bin/python3 "$here/python_pipe.py" "$mib" | awk -v m="$mib" '{print "peer=python-pipe mib=" m " mb_per_s=" $3}'
    s=$(date +%s.%N); head -c "${mib}M" /dev/zero | cat | cat >/dev/null; e=$(date +%s.%N)
    echo "peer=shell-two-hop-pipe mib=$mib mb_per_s=$(echo "$mib * 1.048576 / ($e - $s)" | bc -l | cut -d. -f1)"
  done
  bench inflight 1000
  echo "# load after: $(cut -d' ' -f1-3 /proc/loadavg)"
} | tee "$out/lines"
/usr/bin/python3 - "$out/lines" <<'PY'
import re, statistics, sys
rows = {}
for line in open(sys.argv[1]):
    if not line.startswith("peer="): continue
    kv = dict(p.split("=", 1) for p in line.split())
    key = (kv["peer"], kv.get("j", ""))
    value = kv.get("jobs_per_s") or kv.get("mb_per_s")
    if value: rows.setdefault(key, []).append(float(value))
med = {k: statistics.median(v) for k, v in rows.items()}
print("\nsummary (medians):")
for j in ("2", "8"):
    g = med[("gamut", j)]
    gi = med[("gamut-inherit", j)]
    print(f"  fan-out -j{j}: gamut {g:.0f}/s | xargs {med[('xargs', j)]:.0f} ({g/med[('xargs', j)]:.2f}x) | "
          f"process {med[('process', j)]:.0f} ({g/med[('process', j)]:.2f}x) | cliwrap {med[('cliwrap', j)]:.0f} ({g/med[('cliwrap', j)]:.2f}x)")
    print(f"               gamut with output not redirected (as the raw Process loop) {gi:.0f}/s: {gi/med[('process', j)]:.2f}x process")
g = med[("gamut-pipe", "")]
print(f"  pipe: gamut {g:.0f} MB/s | python {med[('python-pipe', '')]:.0f} ({g/med[('python-pipe', '')]:.2f}x) | "
      f"process {med[('process-pipe', '')]:.0f} ({g/med[('process-pipe', '')]:.2f}x) | cliwrap {med[('cliwrap-pipe', '')]:.0f} ({g/med[('cliwrap-pipe', '')]:.2f}x) | "
      f"shell two-hop {med[('shell-two-hop-pipe', '')]:.0f} ({g/med[('shell-two-hop-pipe', '')]:.2f}x)")
PY
