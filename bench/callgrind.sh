#!/usr/bin/env bash
# Instruction counts (valgrind --tool=callgrind, the whole process) of runner builds on small
# fixed workloads: noise-free where bench/ab.sh's timings are not. Each binary gets its own
# database, filled outside valgrind; every count is of one process doing one workload.
# Usage: bench/callgrind.sh BIN_A BIN_B [DATA_DIR] [-- EXTRA ARGS FOR EVERY RUN]
# BIN_* are runners (bench_larder ...) taking workload.h's command line. Prints a markdown table.
set -euo pipefail
a=$1
b=$2
data=${3:-build-bench/cg-data}
shift 3 || shift $#
[ "${1:-}" = -- ] && shift
extra=("$@")
n=200000

# count BIN DIR ARGS... -> instructions executed
count() {
  local bin=$1 dir=$2
  shift 2
  local out=$data/cg.out
  valgrind --tool=callgrind --callgrind-out-file="$out" "$bin" --dir "$dir" "$@" "${extra[@]}" \
    >/dev/null 2>"$data/cg.err" || { cat "$data/cg.err" >&2; exit 1; }
  grep -m1 '^summary:' "$out" | cut -d' ' -f2
}

steps=("read_tx --n $n --ops 100000" "read_txper --n $n --ops 100000" "scan --n $n --ops 1000000"
  "delete --n $n --ops 20000" "fill_rnd --n 50000")
mkdir -p "$data"
declare -A ir
for which in a b; do
  bin=${!which}
  dir=$data/$which
  rm -rf "$dir" "$dir-rnd"
  "$bin" --dir "$dir" --workload fill_seq --n $n "${extra[@]}" >/dev/null
  for step in "${steps[@]}"; do
    read -r w _ <<<"$step"
    d=$dir
    [ "$w" = fill_rnd ] && d=$dir-rnd
    # shellcheck disable=SC2086
    ir[$which,$w]=$(count "$bin" "$d" --workload $step)
  done
  rm -rf "$dir" "$dir-rnd"
done
echo "| workload (instructions, whole process) | A | B | B/A |"
echo "|---|---:|---:|---:|"
for step in "${steps[@]}"; do
  read -r w _ <<<"$step"
  printf "| %s | %s | %s | %.4f |\n" "$step" "${ir[a,$w]}" "${ir[b,$w]}" \
    "$(echo "${ir[b,$w]}/${ir[a,$w]}" | bc -l)"
done
