#!/usr/bin/env bash
# Runs the executor and loop benchmarks (BenchmarkDotNet; Task.Run+await is the Threads baseline in the same run),
# then the TCP echo comparison (Gamut's loop beside C epoll, asyncio and Twisted under one C client).
# Usage: bench/executors/run.sh [BDN filter, default '*']     Results: bench/executors/RESULTS.md (by hand).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
uptime
dotnet build "$here/Gamut.Bench.csproj" -c Release -nologo -v quiet -clp:ErrorsOnly
(cd "$here" && dotnet bin/Release/net10.0/Gamut.Bench.dll --filter "${1:-*}")
"$here/../echo/echo.sh" 100 64 5 3
uptime
