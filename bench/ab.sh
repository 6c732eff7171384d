#!/usr/bin/env bash
# Before/after of two bench_larder builds on the same workloads, each workload run on old and new
# back to back; prints a markdown table of medians and the median per-pair ratio new/old.
# Usage: [AB_STEPS=...] [AB_RANGES=1] [AB_CPU=1] \
#   bench/ab.sh OLD_BENCH_LARDER NEW_BENCH_LARDER [RUNS] [DATA_DIR]
# Build the old one from an earlier commit, e.g.:
#   git archive OLD_COMMIT | tar -x -C /tmp/old && cd /tmp/old && cmake -S . -B build -G Ninja \
#     -DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_FLAGS_RELEASE="-O2 -DNDEBUG" -DLARDER_BUILD_TESTS=OFF \
#     -DLARDER_BUILD_BENCH=ON && cmake --build build --target bench_larder
set -euo pipefail
old=$1
new=$2
runs=${3:-5}
data=${4:-build-bench/ab-data}
n=1000000
# AB_CPU=1: rates per second of the process's CPU time instead of wall-clock time (a machine
# shared with other work slows the wall clock of both builds by different amounts).
secs_field=seconds
[ -n "${AB_CPU:-}" ] && secs_field=cpu_seconds

# run BIN DIR ARGS... -> "ops_per_sec max_rss_kb"
run() {
  local bin=$1 dir=$2
  shift 2
  local out
  out=$( { /usr/bin/time -f 'RSS %M' "$bin" --dir "$dir" "$@"; } 2>&1)
  local ops secs rss
  ops=$(grep -o '"ops":[0-9]*' <<<"$out" | head -1 | cut -d: -f2)
  secs=$(grep -o "\"$secs_field\":[0-9.]*" <<<"$out" | head -1 | cut -d: -f2)
  rss=$(grep -o 'RSS [0-9]*' <<<"$out" | cut -d' ' -f2)
  echo "$(awk -v o="$ops" -v s="$secs" 'BEGIN { printf "%.0f", o / s }') $rss"
}

median() { sort -g | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }

declare -A results
steps=("fill_seq --n $n" "read_tx --n $n --ops 200000" "read_txper --n $n --ops 200000"
  "scan --n $n --ops 5000000" "fill_rnd --n 200000" "overwrite --n $n --ops 50000"
  "durable8 --n 1 --commits 4000 --seconds 1")
# AB_STEPS="fill_seq --n 1000000;fill_rnd --n 1000000" replaces the list (';'-separated).
if [ -n "${AB_STEPS:-}" ]; then IFS=';' read -ra steps <<<"$AB_STEPS"; fi
# Each step runs on both builds back to back (old first in odd rounds, new first in even ones),
# so that a burst of load from elsewhere on the machine falls on both sides of a pair.
for ((r = 1; r <= runs; r++)); do
  order=(old new)
  ((r % 2 == 0)) && order=(new old)
  for which in old new; do rm -rf "$data/$which" "$data/$which-rnd" "$data/$which-d8"; done
  for step in "${steps[@]}"; do
    read -r w rest <<<"$step"
    for which in "${order[@]}"; do
      bin=${!which}
      d=$data/$which
      [ "$w" = fill_rnd ] && d=$d-rnd
      [ "$w" = durable8 ] && d=$d-d8
      # shellcheck disable=SC2086
      read -r ops rss < <(run "$bin" "$d" --workload "$w" $rest)
      results[$which,$w,$r]=$ops
      results[$which,$w,rss,$r]=$rss
    done
  done
  for which in old new; do
    results[$which,size,$r]=$(du -sk "$data/$which" | cut -f1)
    rm -rf "$data/$which" "$data/$which-rnd" "$data/$which-d8"
  done
done

# values old|new|ratio WORKLOAD -> the rounds' figures, one a line
values() {
  local which=$1 w=$2 r
  for ((r = 1; r <= runs; r++)); do
    if [ "$which" = ratio ]; then
      awk -v x="${results[new,$w,$r]}" -v y="${results[old,$w,$r]}" 'BEGIN { print x / y }'
    else
      echo "${results[$which,$w,$r]}"
    fi
  done
}
# range FORMAT -> "min–max" of the numbers on stdin, each printed with FORMAT
range() { sort -g | awk -v f="$1" 'NR == 1 { lo = $1 } { hi = $1 } END { printf f "–" f, lo, hi }'; }

# AB_RANGES=1 adds the range (min–max over the rounds) of each column.
if [ -n "${AB_RANGES:-}" ]; then
  echo "| workload | before (ops/s) | after (ops/s) | after/before (median of per-round ratios) |" \
    "before: range | after: range | ratios: range |"
  echo "|---|---:|---:|---:|---:|---:|---:|"
  pad=" | | |"
else
  echo "| workload | before (ops/s) | after (ops/s) | after/before (median of per-round ratios) |"
  echo "|---|---:|---:|---:|"
  pad=""
fi
for step in "${steps[@]}"; do
  read -r w _ <<<"$step"
  printf "| %s | %.0f | %.0f | %.2fx |" "$w" "$(values old "$w" | median)" \
    "$(values new "$w" | median)" "$(values ratio "$w" | median)"
  if [ -n "${AB_RANGES:-}" ]; then
    printf " %s | %s | %s |" "$(values old "$w" | range %.0f)" "$(values new "$w" | range %.0f)" \
      "$(values ratio "$w" | range %.2fx)"
  fi
  echo
done
for w in read_tx scan; do
  b=$(for ((r = 1; r <= runs; r++)); do echo "${results[old,$w,rss,$r]}"; done | median)
  a=$(for ((r = 1; r <= runs; r++)); do echo "${results[new,$w,rss,$r]}"; done | median)
  printf "| peak RSS of %s (MiB) | %.1f | %.1f | %.2fx%s |\n" "$w" "$(echo "$b/1024" | bc -l)" \
    "$(echo "$a/1024" | bc -l)" "$(echo "$a/$b" | bc -l)" "$pad"
done
b=$(for ((r = 1; r <= runs; r++)); do echo "${results[old,size,$r]}"; done | median)
a=$(for ((r = 1; r <= runs; r++)); do echo "${results[new,size,$r]}"; done | median)
printf "| file after fill_seq + overwrite (MiB) | %.1f | %.1f | %.2fx%s |\n" "$(echo "$b/1024" | bc -l)" \
  "$(echo "$a/1024" | bc -l)" "$(echo "$a/$b" | bc -l)" "$pad"
