#!/usr/bin/env bash
# gamut run --pipe beside GNU parallel --pipe and split --filter, at the same number of jobs: a SIZE input (lines
# of `seq`, in the page cache) through `wc -l` and through `gzip -1`. parallel and gamut cut --block $BLOCK blocks,
# one job each, J at a time; split -n r/J hands lines round-robin to J filter processes (its fastest way to feed J
# consumers). Each figure is the median of R interleaved rounds (split, parallel, gamut, split, …), and every
# round's total line count is checked. gamut is run through ./gamut (built once beforehand).
# Usage: bench/cli/pipe.sh   (SIZE=2G J=2 R=3 BLOCK=1M; SIZE in bytes or with K/M/G)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
SIZE=${SIZE:-2G}; J=${J:-2}; R=${R:-3}; BLOCK=${BLOCK:-1M}
command -v parallel >/dev/null || { echo "GNU parallel missing: apt-get install -y parallel" >&2; exit 1; }
mkdir -p "$HOME/.parallel" && touch "$HOME/.parallel/will-cite"
"$root/gamut" --version >/dev/null   # build once, outside the timings
gamut="$root/gamut"
export PARALLEL_SHELL=/bin/bash
bytes=$(numfmt --from=iec "$SIZE")
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
input="$work/input"
{ seq 1 1000000000 || true; } | head -c "$bytes" | awk 1 >"$input"   # whole lines (seq stops on SIGPIPE)
lines=$(wc -l <"$input")
cat "$input" >/dev/null                                   # into the page cache

us() { local s e; s=$(date +%s%N); bash -c "$1" >"$work/out" 2>/dev/null; e=$(date +%s%N); echo $(( (e - s) / 1000 )); }
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

echo "# machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), load before: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "# date: $(date -u +%Y-%m-%dT%H:%MZ)  input: $bytes bytes, $lines lines  J=$J  block=$BLOCK  rounds=$R (median)"
for filter in "wc -l" "gzip -1"; do
  # gzip's output goes to a file per job (split: per filter process), then all of it is counted.
  if [ "$filter" = "wc -l" ]; then
    check='awk "{s+=\$1} END {print s}"'
    declare -A cmds=(
      [split]="split -n r/$J --filter='wc -l' <$input | $check"
      [parallel]="parallel -j$J --pipe --block $BLOCK wc -l <$input | $check"
      [gamut]="$gamut run -j$J --pipe --block $BLOCK wc -l <$input | $check")
  else
    check="cat $work/gz/* | gzip -dc | wc -l; rm -f $work/gz/*"
    mkdir -p "$work/gz"
    declare -A cmds=(
      [split]="split -n r/$J --filter='gzip -1 >$work/gz/\$FILE' <$input; $check"
      [parallel]="parallel -j$J --pipe --block $BLOCK 'gzip -1 >$work/gz/{#}' <$input; $check"
      [gamut]="$gamut run -j$J --pipe --block $BLOCK 'gzip -1 >$work/gz/{#}' <$input; $check")
  fi
  declare -A times=([split]="" [parallel]="" [gamut]="")
  for ((r = 0; r < R; r++)); do
    for peer in split parallel gamut; do
      times[$peer]+="$(us "${cmds[$peer]}") "
      got=$(cat "$work/out")
      [ "$got" = "$lines" ] || { echo "$peer through $filter counted $got lines, not $lines" >&2; exit 1; }
    done
  done
  declare -A rate=()
  for peer in split parallel gamut; do
    t=$(echo "${times[$peer]}" | tr ' ' '\n' | grep . | median)
    rate[$peer]=$(( bytes / t ))   # bytes per microsecond = MB/s
  done
  printf 'filter=%-8s j=%s  split=%5s MB/s  parallel=%5s MB/s  gamut=%5s MB/s  gamut/split=%.2f  gamut/parallel=%.2f  load=%s\n' \
    "$filter" "$J" "${rate[split]}" "${rate[parallel]}" "${rate[gamut]}" \
    "$(echo "${rate[gamut]} / ${rate[split]}" | bc -l)" "$(echo "${rate[gamut]} / ${rate[parallel]}" | bc -l)" "$(cut -d' ' -f1 /proc/loadavg)"
  unset cmds times rate
done
