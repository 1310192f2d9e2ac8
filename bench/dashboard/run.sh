#!/usr/bin/env bash
# The dashboard on 1,000,000 stored jobs, on its own (bench/run-all.sh runs the same as its "dashboard" section and
# writes the figures into bench/RESULTS.md; this prints them). What it measures: dashboard_bench.py's docstring.
#   bench/dashboard/run.sh              JOBS=1000000 ROUNDS=3 SECS=10 (about 3-5 minutes)
# Needs (Debian): redis-server, chromium, chromium-driver; the .NET SDK.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
tmp=$(mktemp -d /tmp/gamut-dashboard-bench.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
"$root/gamut" --version >/dev/null   # built once, outside the timings
dotnet build "$root/bench/dashboard/DashboardBench" -c Release -o "$tmp/bin" -nologo -v quiet -clp:ErrorsOnly </dev/null >&2
/usr/bin/python3 "$root/bench/dashboard/dashboard_bench.py" --bench "$tmp/bin/DashboardBench.dll" --gamut "$root/gamut" \
  --jobs "${JOBS:-1000000}" --rounds "${ROUNDS:-3}" --secs "${SECS:-10}"
