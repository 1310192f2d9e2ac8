#!/usr/bin/env bash
# Gamut on Redis beside BullMQ, RQ, Celery and Hangfire: the same machine, the same private redis-server, one run.
#   bench/redis/run.sh            N=10000 jobs per figure (the issue's size)
#   N=2000 bench/redis/run.sh     a quicker run
#   PEERS=0 bench/redis/run.sh    Gamut only
# Each figure is one "peer=… key=value" line; RESULTS.md keeps a run with machine, date and load.
set -u
here=$(cd "$(dirname "$0")" && pwd)
N=${N:-10000}
export REDIS_PORT=${REDIS_PORT:-6399} N
source "$here/peers/redis-common.sh"
out=$(mktemp -d /tmp/gamut-bench-redis.XXXXXX)
trap 'rm -rf "$out"; [ -n "${REDIS_PID:-}" ] && kill $REDIS_PID 2>/dev/null' EXIT
echo "# $(date -u '+%Y-%m-%d %H:%M UTC')  $(nproc) cores  $(uname -r)  $(redis-server --version | cut -d' ' -f3)  load $(cut -d' ' -f1-3 /proc/loadavg)"

# Gamut: a ReadyToRun build, as ./gamut is.
dotnet publish "$here/RedisBench" -c Release -r linux-x64 --self-contained false -p:PublishReadyToRun=true \
  -o "$out/gamut" -nologo -v quiet -clp:ErrorsOnly </dev/null >&2 || exit 1
G="$out/gamut/Gamut.Bench"; U="redis://127.0.0.1:$REDIS_PORT"
"$G" enqueue "$U" bench 100000
for _ in 1 2 3; do "$G" e2e "$U" bench "$N" 2 50; done
for _ in 1 2 3; do "$G" warm "$U" bench "$N" 2 50; done
"$G" latency "$U" bench 5000
"$G" memory "$U" bench "$N"
# A chord of N no-op members and a counting callback (issue 17), beside the warm end-to-end rate above.
for _ in 1 2 3; do "$G" chord "$U" bench "$N" 2 50; done
flush
[ "${PEERS:-1}" = 0 ] && exit 0

# BullMQ (npm into /tmp), 1 and 2 worker processes of concurrency 50, and its memory per queued job.
bash "$here/peers/bullmq.sh"
bash "$here/peers/bullmq.sh"
# BullMQ's flow (a parent with N children), 2 worker processes of concurrency 50, as Gamut's chord.
flush; cp "$here/peers/bullmq_flow.mjs" "${BULL_DIR:-/tmp/peer-bullmq}/" && (cd "${BULL_DIR:-/tmp/peer-bullmq}" && N=$N W=2 C=50 REDIS_PORT=$REDIS_PORT node bullmq_flow.mjs)
flush; cp "$here/peers/bullmq_memory.mjs" "${BULL_DIR:-/tmp/peer-bullmq}/" && (cd "${BULL_DIR:-/tmp/peer-bullmq}" && node bullmq_memory.mjs)

# RQ and Celery (Debian packages: python3-rq, python3-celery, python3-redis).
bash "$here/peers/rq.sh"
bash "$here/peers/celery.sh"
bash "$here/peers/celery_chord.sh"

# Hangfire 1.8 on Redis (Hangfire.Redis.StackExchange), 2 and 10 workers; built outside the repository's props.
cp -r "$here/peers/dotnet" "$out/hangfire"
dotnet build -c Release -o "$out/hangfire/bin" "$out/hangfire/DotnetPeers.csproj" -nologo -v quiet -clp:ErrorsOnly </dev/null >&2 || exit 1
for w in 2 10; do flush; dotnet "$out/hangfire/bin/DotnetPeers.dll" hangfire "$N" "$w" "$REDIS_PORT"; done
