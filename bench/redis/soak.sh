#!/usr/bin/env bash
# Superseded by bench/chaos/run.sh (every fault scenario, its tallies written to docs/reliability.md).
exec "$(dirname "$0")/../chaos/run.sh" "$@"
