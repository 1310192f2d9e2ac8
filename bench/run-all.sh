#!/usr/bin/env bash
# Every comparison of Gamut with its peers, interleaved, and bench/RESULTS.md regenerated from this run's output.
#   bench/run-all.sh            full sizes, 5 rounds (about 40 minutes on a quiet 2-core machine)
#   bench/run-all.sh --quick    smaller sizes, 3 rounds (about 15 minutes)
#   --only startup,run,fanout,pipe,pool,redis,echo,runpipe,results,dashboard   a subset: its sections of bench/RESULTS.md
#          are replaced in place, the others kept (the page says which were updated when);
#   --no-write   leave RESULTS.md alone;  ROUNDS=n
# Needs (Debian): hyperfine, parallel, redis-server, python3-rq, python3-twisted, clang + zlib1g-dev (./gamut's native build), cc,
# bc, chromium + chromium-driver (the dashboard's page loads); node/npm for BullMQ (installed into /tmp/peer-bullmq).
# Missing Debian packages are installed when root.
# The rules it follows (like for like, interleaved rounds, medians with spread, CPU of the process tree, load) are
# written at the top of bench/run_all.py.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
need=()
for p in hyperfine parallel redis-server bc chromium; do command -v "$p" >/dev/null 2>&1 || need+=("$p"); done
command -v chromedriver >/dev/null 2>&1 || need+=(chromium-driver)
/usr/bin/python3 -c 'import rq' 2>/dev/null || need+=(python3-rq)
/usr/bin/python3 -c 'import twisted' 2>/dev/null || need+=(python3-twisted)
if ((${#need[@]})) && [ "$(id -u)" = 0 ]; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >&2
fi
mkdir -p "$HOME/.parallel" && touch "$HOME/.parallel/will-cite"
tmp=$(mktemp -d /tmp/gamut-run-all.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
# Build only what the chosen sections use (--only): each build takes minutes on a busy machine.
only="startup,run,fanout,pipe,pool,redis,echo,runpipe,results,dashboard"
prev=""
for arg in "$@"; do
  case "$arg" in --only=*) only="${arg#--only=}" ;; esac
  [ "$prev" = --only ] && only="$arg"
  prev="$arg"
done
wants() { [[ ",$only," == *",$1,"* ]]; }
echo "run-all: building what $only needs…" >&2
"$root/gamut" --version >/dev/null
build() { dotnet build "$1" -c Release -o "$2" -nologo -v quiet -clp:ErrorsOnly </dev/null >&2; }
if wants fanout || wants pipe; then build "$root/bench/processes/ProcessBench.csproj" "$tmp/processbench"; fi
if wants pool; then build "$root/bench/pool/PoolBench" "$tmp/poolbench"; fi
if wants redis; then
  dotnet publish "$root/bench/redis/RedisBench" -c Release -r linux-x64 --self-contained false -p:PublishReadyToRun=true \
    -o "$tmp/redisbench" -nologo -v quiet -clp:ErrorsOnly </dev/null >&2
fi
if wants dashboard; then build "$root/bench/dashboard/DashboardBench" "$tmp/dashbench"; fi
if wants pipe; then cc -O2 -o "$tmp/setpipe" "$root/bench/fair/setpipe.c"; fi
/usr/bin/python3 "$root/bench/run_all.py" --tmp "$tmp" --gamut "$root/.build/gamut/Gamut.Cli" \
  --jit "$root/.build/gamut/jit/Gamut.Cli" --processbench "$tmp/processbench/ProcessBench.dll" \
  --poolbench "$tmp/poolbench/PoolBench.dll" --redisbench "$tmp/redisbench/Gamut.Bench" --setpipe "$tmp/setpipe" \
  --dashbench "$tmp/dashbench/DashboardBench.dll" "$@"
