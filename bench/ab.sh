#!/usr/bin/env bash
# Before/after of two bench_larder builds, run alternately (old, new, old, new, ...) on the
# same workloads; prints a markdown table of medians and the median per-pair ratio new/old.
# Usage: [AB_STEPS=...] bench/ab.sh OLD_BENCH_LARDER NEW_BENCH_LARDER [RUNS] [DATA_DIR]
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

# run BIN DIR ARGS... -> "ops_per_sec max_rss_kb"
run() {
  local bin=$1 dir=$2
  shift 2
  local out
  out=$( { /usr/bin/time -f 'RSS %M' "$bin" --dir "$dir" "$@"; } 2>&1)
  local ops secs rss
  ops=$(grep -o '"ops":[0-9]*' <<<"$out" | head -1 | cut -d: -f2)
  secs=$(grep -o '"seconds":[0-9.]*' <<<"$out" | head -1 | cut -d: -f2)
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
for ((r = 1; r <= runs; r++)); do
  for which in old new; do
    bin=${!which}
    dir="$data/$which"
    rm -rf "$dir" "$dir-rnd" "$dir-d8"
    for step in "${steps[@]}"; do
      read -r w rest <<<"$step"
      d=$dir
      [ "$w" = fill_rnd ] && d=$dir-rnd
      [ "$w" = durable8 ] && d=$dir-d8
      # shellcheck disable=SC2086
      read -r ops rss < <(run "$bin" "$d" --workload "$w" $rest)
      results[$which,$w,$r]=$ops
      results[$which,$w,rss,$r]=$rss
    done
    results[$which,size,$r]=$(du -sk "$dir" | cut -f1)
    rm -rf "$dir" "$dir-rnd" "$dir-d8"
  done
done

echo "| workload | before (ops/s) | after (ops/s) | after/before (median of per-round ratios) |"
echo "|---|---:|---:|---:|"
for step in "${steps[@]}"; do
  read -r w _ <<<"$step"
  b=$(for ((r = 1; r <= runs; r++)); do echo "${results[old,$w,$r]}"; done | median)
  a=$(for ((r = 1; r <= runs; r++)); do echo "${results[new,$w,$r]}"; done | median)
  q=$(for ((r = 1; r <= runs; r++)); do
    awk -v x="${results[new,$w,$r]}" -v y="${results[old,$w,$r]}" 'BEGIN { print x / y }'
  done | median)
  printf "| %s | %.0f | %.0f | %.2fx |\n" "$w" "$b" "$a" "$q"
done
for w in read_tx scan; do
  b=$(for ((r = 1; r <= runs; r++)); do echo "${results[old,$w,rss,$r]}"; done | median)
  a=$(for ((r = 1; r <= runs; r++)); do echo "${results[new,$w,rss,$r]}"; done | median)
  printf "| peak RSS of %s (MiB) | %.1f | %.1f | %.2fx |\n" "$w" "$(echo "$b/1024" | bc -l)" \
    "$(echo "$a/1024" | bc -l)" "$(echo "$a/$b" | bc -l)"
done
b=$(for ((r = 1; r <= runs; r++)); do echo "${results[old,size,$r]}"; done | median)
a=$(for ((r = 1; r <= runs; r++)); do echo "${results[new,size,$r]}"; done | median)
printf "| file after fill_seq + overwrite (MiB) | %.1f | %.1f | %.2fx |\n" "$(echo "$b/1024" | bc -l)" \
  "$(echo "$a/1024" | bc -l)" "$(echo "$a/$b" | bc -l)"
