#!/usr/bin/env bash
# The Redis work per job on one instance and on a ring of three, per instance (bench/ring/RESULTS.md):
#   bench/ring/run.sh            N=10000 no-op jobs per figure
#   N=2000 bench/ring/run.sh     a quicker run
# Three private redis-servers on loopback (ports PORT..PORT+2, default 6421); two worker processes of concurrency 50.
# Each instance's INFO commandstats, total_reads_processed (read events: one per batch of commands a client sent,
# so round trips) and used_cpu are read before and after the load. Each figure is one "key=value" line.
set -u
here=$(cd "$(dirname "$0")" && pwd)
N=${N:-10000}
PORT=${PORT:-6421}
out=$(mktemp -d /tmp/gamut-bench-ring.XXXXXX)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
  wait 2>/dev/null
  rm -rf "$out"
}
trap cleanup EXIT
echo "# $(date -u '+%Y-%m-%d %H:%M UTC')  $(nproc) cores  $(uname -r)  $(redis-server --version | cut -d' ' -f3)  load $(cut -d' ' -f1-3 /proc/loadavg)"

dotnet publish "$here/RingBench" -c Release -r linux-x64 --self-contained false -p:PublishReadyToRun=true \
  -o "$out/bin" -nologo -v quiet -clp:ErrorsOnly </dev/null >&2 || exit 1
B="$out/bin/Gamut.RingBench"

for i in 0 1 2; do
  port=$((PORT + i))
  mkdir -p "$out/redis$i"
  redis-server --port "$port" --bind 127.0.0.1 --dir "$out/redis$i" --save "" --appendonly no --daemonize no \
    --logfile "$out/redis$i/log" </dev/null >/dev/null 2>&1 &
  pids+=($!)
done
for i in 0 1 2; do
  until redis-cli -p $((PORT + i)) PING >/dev/null 2>&1; do sleep 0.1; done
done
one="redis://127.0.0.1:$PORT"
three="redis://127.0.0.1:$PORT,127.0.0.1:$((PORT + 1)),127.0.0.1:$((PORT + 2))"
flush() { for i in 0 1 2; do redis-cli -p $((PORT + i)) FLUSHALL >/dev/null; done; }

for mode in batch submit; do
  flush; "$B" measure "$one" b1 "$N" 2 50 "$mode"
  flush; "$B" measure "$three" b3 "$N" 2 50 "$mode"
done

# The ring's balance beyond what this machine can run: the busiest instance bounds a ring's capacity.
"$B" shares 32 50
