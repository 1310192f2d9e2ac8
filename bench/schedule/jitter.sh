#!/usr/bin/env bash
# Tick jitter of a 1-second schedule: how late after each tick its job is created (the scheduler's precision) and
# started on a worker, for Gamut (`gamut schedule` kept by one `gamut worker`) and, when BullMQ is installed (as
# bench/redis/peers/bullmq.sh installs it), for a BullMQ job scheduler with the same cron pattern.
# usage: bench/schedule/jitter.sh [SECONDS]   (default 60; env GAMUT = the gamut binary, default ./gamut)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd); root=$(cd "$here/../.." && pwd)
secs=${1:-60}; gamut=${GAMUT:-$root/gamut}; bull=${BULL_DIR:-/tmp/peer-bullmq}
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
dir=$(mktemp -d); url=redis://127.0.0.1:$port
redis-server --port "$port" --bind 127.0.0.1 --dir "$dir" --save '' --appendonly no --daemonize no --logfile "$dir/redis.log" &
rpid=$!; worker=""
cleanup() { [ -n "$worker" ] && kill "$worker" 2>/dev/null; kill "$rpid" 2>/dev/null; wait 2>/dev/null; rm -rf "$dir"; }
trap cleanup EXIT
until redis-cli -p "$port" ping >/dev/null 2>&1; do sleep 0.05; done
load_start=$(cut -d' ' -f1-3 /proc/loadavg)

# Gamut: one worker keeps the schedule and runs its jobs (the command `true`).
"$gamut" worker --redis "$url" -j 4 2>"$dir/worker.log" & worker=$!
"$gamut" schedule add jitter --cron '* * * * * *' --misfire each --redis "$url" -- true >/dev/null
sleep "$secs"
"$gamut" schedule remove jitter --redis "$url" >/dev/null
sleep 2; kill -TERM "$worker"; wait "$worker" || true; worker=""
gamut_stats=$(redis-cli -p "$port" --scan --pattern 'gamut:{default}:job:sched.jitter.*' | while read -r key; do
  echo "$key $(redis-cli -p "$port" hmget "$key" c st | tr '\n' ' ')"; done | python3 "$here/stats.py" gamut)

bull_stats="BullMQ: not installed in $bull (bench/redis/peers/bullmq.sh installs it)"
if [ -d "$bull/node_modules/bullmq" ]; then
  redis-cli -p "$port" flushall >/dev/null
  cp "$here/bullmq_scheduler.mjs" "$bull/"
  bull_stats=$(cd "$bull" && SECS=$secs REDIS_PORT=$port node bullmq_scheduler.mjs | python3 "$here/stats.py" bullmq)
fi
load_end=$(cut -d' ' -f1-3 /proc/loadavg)
echo "$gamut_stats"
echo "$bull_stats"
echo "$(date -u '+%Y-%m-%d %H:%M UTC'), $secs s each, $(nproc) cores, Redis $(redis-server --version | sed 's/.*v=\([^ ]*\).*/\1/'); load $load_start -> $load_end"
