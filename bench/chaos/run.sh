#!/usr/bin/env bash
# The fault scenarios of RELIABILITY.md §4 (Redis queue and fail-over), run with their ledger, and their one-line
# tallies written into docs/reliability.md with the machine and the date.
#   bench/chaos/run.sh            soak size: 10,000-100,000 jobs per scenario, minutes of faults
#   bench/chaos/run.sh ci         the CI size that ./test runs (about 2,000 jobs per scenario)
#   GAMUT_CHAOS_SEED=123 bench/chaos/run.sh   replays the fault schedules of seed 123
#   GAMUT_CHAOS_FILTER='FullyQualifiedName~NetworkToxics' bench/chaos/run.sh   one scenario only (not written to the docs)
set -euo pipefail
size=${1:-soak}
case "$size" in ci|soak) ;; *) echo "usage: bench/chaos/run.sh [ci|soak]" >&2; exit 2 ;; esac
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
dotnet build tests/Gamut.Redis.Tests -c Release -nologo -v quiet -clp:ErrorsOnly </dev/null >&2
# Kept after the run, so the table can be written again: python3 bench/chaos/tallies.py FILE docs/reliability.md SIZE SECONDS
tallies=${TMPDIR:-/tmp}/gamut-chaos-$size.txt
rm -f "$tallies"
filter=${GAMUT_CHAOS_FILTER:-"FullyQualifiedName~Gamut.Redis.Tests.Chaos|FullyQualifiedName~WorkerFaultTests|FullyQualifiedName~PersistenceTests|FullyQualifiedName~ChordChaosTests|FullyQualifiedName~ScheduleFaultTests"}
start=$(date +%s)
log=$(mktemp /tmp/gamut-chaos-log.XXXXXX)
trap 'rm -f "$log"' EXIT
status=0
GAMUT_CHAOS_SIZE=$size GAMUT_CHAOS_TALLIES=$tallies dotnet test tests/Gamut.Redis.Tests -c Release --no-build -nologo \
  --filter "$filter" </dev/null >"$log" 2>&1 || status=1
grep -E "Passed!|Failed!|^\s+Failed |Error Message" -A2 "$log" >&2 || true
seconds=$(( $(date +%s) - start ))
sort "$tallies"
if [ -z "${GAMUT_CHAOS_FILTER:-}" ] && [ -s "$tallies" ]; then
  python3 bench/chaos/tallies.py "$tallies" docs/reliability.md "$size" "$seconds"
  echo "bench/chaos: $size tallies written to docs/reliability.md ($seconds s)" >&2
fi
exit $status
