#!/usr/bin/env bash
# gamut run --results DIR beside GNU parallel --results DIR: N jobs of `echo {}` (each leaving stdout, stderr and
# seq files under DIR/1/VALUE/), at -j J. Each figure is the median of R interleaved rounds (parallel, gamut, …),
# each into a fresh directory (all removed at the end, not between runs); every round's tree is checked for N stdout files. gamut runs through ./gamut.
# Usage: bench/cli/results.sh   (N=2000 J=2 R=3)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
N=${N:-2000}; J=${J:-2}; R=${R:-3}
command -v parallel >/dev/null || { echo "GNU parallel missing: apt-get install -y parallel" >&2; exit 1; }
mkdir -p "$HOME/.parallel" && touch "$HOME/.parallel/will-cite"
"$root/gamut" --version >/dev/null
gamut="$root/gamut"
export PARALLEL_SHELL=/bin/bash
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT

us() { local s e; s=$(date +%s%N); bash -c "$1" >/dev/null 2>&1; e=$(date +%s%N); echo $(( (e - s) / 1000 )); }
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

echo "# machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), load before: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "# date: $(date -u +%Y-%m-%dT%H:%MZ)  N=$N  J=$J  rounds=$R (median)"
declare -A times=([parallel]="" [gamut]="")
for ((r = 0; r < R; r++)); do
  for peer in parallel gamut; do
    dir="$work/$peer-$r"
    if [ "$peer" = parallel ]; then cmd="seq $N | parallel -j$J --results $dir echo {}"; else cmd="seq $N | $gamut run -j$J --results $dir echo {}"; fi
    times[$peer]+="$(us "$cmd") "
    files=$(find "$dir" -name stdout | wc -l)
    [ "$files" = "$N" ] || { echo "$peer left $files stdout files, not $N" >&2; exit 1; }
    # Kept until the end: removing 8,000 files right before a run makes ext4's inode allocation scan past them
    # (recently_deleted), and the next run, whichever side, spends most of its time in the kernel.
  done
done
declare -A rate=()
for peer in parallel gamut; do
  t=$(echo "${times[$peer]}" | tr ' ' '\n' | grep . | median)
  rate[$peer]=$(( N * 1000000 / t ))
done
printf 'results N=%s j=%s  parallel=%5s jobs/s  gamut=%5s jobs/s  gamut/parallel=%.1f  load=%s\n' \
  "$N" "$J" "${rate[parallel]}" "${rate[gamut]}" "$(echo "${rate[gamut]} / ${rate[parallel]}" | bc -l)" "$(cut -d' ' -f1 /proc/loadavg)"
