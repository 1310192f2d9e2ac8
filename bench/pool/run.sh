#!/usr/bin/env bash
# The process pool and the Ipc queue beside Python's multiprocessing, in one run on this machine.
# Usage: bench/pool/run.sh   (prints both sides' figures; copy them into bench/pool/RESULTS.md)
set -euo pipefail
cd "$(dirname "$0")"
dotnet build PoolBench -c Release -nologo -v q -clp:ErrorsOnly >&2
echo "== machine: $(nproc) cores, $(uname -r), load: $(cut -d' ' -f1-3 /proc/loadavg), $(date -u +%Y-%m-%dT%H:%MZ)"
echo "== Python $(/usr/bin/python3 --version 2>&1 | cut -d' ' -f2) multiprocessing (/work/shared/bench/peers/multiprocessing_pool.py)"
(cd /tmp && /usr/bin/python3 "${PEERS:-/work/shared/bench/peers}/multiprocessing_pool.py")
echo "== Gamut process pool and Ipc queue"
for i in 1 2 3; do dotnet PoolBench/bin/Release/net10.0/PoolBench.dll start; done
dotnet PoolBench/bin/Release/net10.0/PoolBench.dll pool
dotnet PoolBench/bin/Release/net10.0/PoolBench.dll queue
