#!/usr/bin/env bash
# gamut run beside its peers, in one run: N jobs of `true` and of `echo {}` at -j 2 and -j 8 through
# xargs -P (C), GNU parallel and gamut run (the published ReadyToRun binary, launched directly, so its own
# start-up is counted); then the time from launch to the first job started.
# Rounds are interleaved (xargs, parallel, gamut, xargs, …) and each figure is the median of R rounds, so a
# burst of load from elsewhere hits all three alike. Usage: bench/cli/run.sh   (N=2000 R=5 J="2 8")
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
N=${N:-2000}; R=${R:-5}; JS=${J:-2 8}
command -v parallel >/dev/null || { echo "GNU parallel missing: apt-get install -y parallel" >&2; exit 1; }
mkdir -p "$HOME/.parallel" && touch "$HOME/.parallel/will-cite"
"$root/gamut" --version >/dev/null   # publish once (Release, ReadyToRun) into .build/gamut
gamut="$root/.build/gamut/Gamut.Cli"
export PARALLEL_SHELL=/bin/bash

seconds() { local s e; s=$(date +%s%N); bash -c "$1" >/dev/null 2>&1; e=$(date +%s%N); echo $(( (e - s) / 1000 )); }
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

echo "# machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), load before: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "# date: $(date -u +%Y-%m-%dT%H:%MZ)  N=$N  rounds=$R (median)"
for workload in true echo; do
  for J in $JS; do
    if [ "$workload" = true ]; then
      declare -A cmds=(
        [xargs]="seq $N | xargs -P$J -n1 true"
        [parallel]="seq $N | parallel -j$J true"
        [gamut]="seq $N | $gamut run -j$J true")
    else
      declare -A cmds=(
        [xargs]="seq $N | xargs -P$J -n1 echo"
        [parallel]="seq $N | parallel -j$J echo {}"
        [gamut]="seq $N | $gamut run -j$J echo {}")
    fi
    declare -A times=([xargs]="" [parallel]="" [gamut]="")
    for ((r = 0; r < R; r++)); do
      for peer in xargs parallel gamut; do
        times[$peer]+="$(seconds "${cmds[$peer]}") "
      done
    done
    declare -A rate=()
    for peer in xargs parallel gamut; do
      us=$(echo "${times[$peer]}" | tr ' ' '\n' | grep . | median)
      rate[$peer]=$(( N * 1000000 / us ))
    done
    printf 'workload=%-5s j=%s  xargs=%6s jobs/s  parallel=%6s jobs/s  gamut=%6s jobs/s  gamut/xargs=%.2f  gamut/parallel=%.1f\n' \
      "$workload" "$J" "${rate[xargs]}" "${rate[parallel]}" "${rate[gamut]}" \
      "$(echo "${rate[gamut]} / ${rate[xargs]}" | bc -l)" "$(echo "${rate[gamut]} / ${rate[parallel]}" | bc -l)"
    unset cmds times rate
  done
done

# Launch to first job started: the job writes the clock as its first act; a shell that runs the same `date`
# directly is the floor (the cost of starting `date` itself).
first=() floor=()
tmp=$(mktemp)
for ((r = 0; r < R * 2; r++)); do
  s=$(date +%s%N); "$gamut" run "date +%s%N >$tmp #{}" ::: 1; e=$(cat "$tmp"); first+=($(( (e - s) / 1000 )))
  s=$(date +%s%N); bash -c 'date +%s%N >'"$tmp"; e=$(cat "$tmp"); floor+=($(( (e - s) / 1000 )))
done
rm -f "$tmp"
printf 'first-job: launch to first job started %s ms (median of %s; starting date itself through bash: %s ms)\n' \
  "$(printf '%s\n' "${first[@]}" | median | awk '{printf "%.1f", $1/1000}')" "${#first[@]}" \
  "$(printf '%s\n' "${floor[@]}" | median | awk '{printf "%.1f", $1/1000}')"
echo "# load after: $(cut -d' ' -f1-3 /proc/loadavg)"
