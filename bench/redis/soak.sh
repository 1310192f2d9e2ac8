#!/usr/bin/env bash
# The Redis fault scenarios at their full size (RELIABILITY.md: 10,000 jobs for RQ-1 and RQ-3, 1,000 per crash
# point for RQ-2), with the tallies printed: the same tests as ./test runs, at 5x the CI size.
#   bench/redis/soak.sh                      RQ-1, RQ-2, RQ-3, RQ-6
#   GAMUT_CHAOS_SEED=123 bench/redis/soak.sh replays RQ-1's kill schedule
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
dotnet build tests/Gamut.Redis.Tests -c Release -nologo -v quiet -clp:ErrorsOnly </dev/null >&2
GAMUT_SOAK=1 dotnet test tests/Gamut.Redis.Tests -c Release --no-build -nologo \
  --filter "FullyQualifiedName~WorkerFaultTests|FullyQualifiedName~PersistenceTests" \
  --logger "console;verbosity=detailed" 2>&1 | grep -E "seed=|kills=|submitted=|torn tail|Passed |Failed |Total tests|Passed:|Failed:"
