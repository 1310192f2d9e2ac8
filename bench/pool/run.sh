#!/usr/bin/env bash
# The process pool and the Ipc queue beside Python's multiprocessing, in one run on this machine: both sides RUNS
# times (default 3), interleaved, then the median of each figure side by side (bench/pool/summarize.py).
# Usage: bench/pool/run.sh   (copy the table into bench/pool/RESULTS.md)
set -euo pipefail
cd "$(dirname "$0")"
runs=${RUNS:-3}
dotnet build PoolBench -c Release -nologo -v q -clp:ErrorsOnly >&2
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
echo "== machine: $(nproc) cores, $(uname -r), .NET $(dotnet --list-runtimes | grep NETCore.App | tail -1 | cut -d' ' -f2), Python $(/usr/bin/python3 --version 2>&1 | cut -d' ' -f2)"
echo "== start: load $(cut -d' ' -f1-3 /proc/loadavg), $(date -u +%Y-%m-%dT%H:%MZ)"
for i in $(seq "$runs"); do
  (cd /tmp && /usr/bin/python3 "${PEERS:-/work/shared/bench/peers}/multiprocessing_pool.py") >>"$out/python"
  for j in 1 2 3; do dotnet PoolBench/bin/Release/net10.0/PoolBench.dll start; done >>"$out/gamut"
  dotnet PoolBench/bin/Release/net10.0/PoolBench.dll pool >>"$out/gamut"
  dotnet PoolBench/bin/Release/net10.0/PoolBench.dll queue >>"$out/gamut"
done
echo "== end: load $(cut -d' ' -f1-3 /proc/loadavg), $(date -u +%Y-%m-%dT%H:%MZ)"
/usr/bin/python3 summarize.py "$out/python" "$out/gamut"
