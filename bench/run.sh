#!/usr/bin/env bash
# Runs the comparison benchmark of a Release build directory (see docs/benchmarks.md).
# Usage: bench/run.sh BUILD_DIR [--quick] [bench_driver flags...]
#        bench/run.sh BUILD_DIR --micro [Google Benchmark flags...]   (bolt_bench only)
#        bench/run.sh BUILD_DIR --server [--quick] [server_bench.py flags...]  (larderd only)
#        bench/run.sh BUILD_DIR --lsm [--quick] [lsm_compare.py flags...]  (LSM engine only)
#        bench/run.sh BUILD_DIR --tsdb [--quick]   (time-series engine only, bench/tsdb_bench.cc)
# --quick is a smoke run (tiny sizes, one round) that writes into BUILD_DIR/bench-quick/, not docs/.
set -euo pipefail
build=${1:-build-bench}
shift || true

if [ "${1:-}" = "--micro" ]; then
  shift
  exec "$build/bin/bolt_bench" "$@"
fi

here=$(cd "$(dirname "$0")" && pwd)
# The server group: redis-benchmark against larderd and redis-server (bench/server_bench.py).
# The lock and queue benchmarks (bench/lock_bench.py, bench/queue_bench.py) belong to the same group.
if [ "${1:-}" = "--server" ]; then
  shift
  /usr/bin/python3 "$here/server_bench.py" --bin "$build/bin" "$@"
  squick=""
  for a in "$@"; do [ "$a" = --quick ] && squick=--quick; done
  /usr/bin/python3 "$here/queue_bench.py" --bin "$build/bin" $squick
  exec /usr/bin/python3 "$here/lock_bench.py" --bin "$build/bin" $squick
fi
# The LSM group: larder's LSM engine against RocksDB and LevelDB (bench/lsm_compare.py).
if [ "${1:-}" = "--lsm" ]; then
  shift
  exec /usr/bin/python3 "$here/lsm_compare.py" --bin "$build/bin" --data "$build/bench-lsm" "$@"
fi
# The time-series group: bench/tsdb_bench.cc (synthetic data sets, 1,000 series, Prometheus's
# TSDB fed the same samples, the /proc recording in bench/fixtures); a few minutes, --quick
# seconds. Its tables go to BUILD_DIR/bench-tsdb/report.md (docs/benchmarks.md quotes them).
tsdb_group() {
  local args="--series 1000 --prometheus 20"
  [ "${1:-}" = --quick ] && args="--series 10 --prometheus 1"
  mkdir -p "$build/bench-tsdb"
  # shellcheck disable=SC2086
  "$build/bin/tsdb_bench" --dir "$build/bench-tsdb/data" $args \
    --proc "$here/fixtures/proc-metrics.csv.zst" | tee "$build/bench-tsdb/report.md"
}
if [ "${1:-}" = "--tsdb" ]; then
  shift
  tsdb_group "$@"
  exit 0
fi
quick=""
for a in "$@"; do [ "$a" = --quick ] && quick=--quick; done

# Go bbolt's runner, built offline against Debian's packaged source (as tests/interop).
mkdir -p "$build/gocache"
gocache=$(cd "$build/gocache" && pwd)
bin=$(cd "$build/bin" && pwd)
(cd "$here/bbolt" && env GO111MODULE=off GOPATH=/usr/share/gocode GOCACHE="$gocache" GOFLAGS= \
  GOPROXY=off GOENV=off CGO_ENABLED=0 go build -o "$bin/bench_bbolt" main.go)

# --groups/--peers/... select driver runs only; a full or --quick run also runs the server group.
"$build/bin/bench_driver" --bin "$build/bin" --data "$build/bench-data" "$@"
if [ $# -eq 0 ] || [ "$*" = --quick ]; then
  /usr/bin/python3 "$here/server_bench.py" --bin "$build/bin" $quick
  /usr/bin/python3 "$here/lock_bench.py" --bin "$build/bin" $quick
  /usr/bin/python3 "$here/queue_bench.py" --bin "$build/bin" $quick
  /usr/bin/python3 "$here/lsm_compare.py" --bin "$build/bin" --data "$build/bench-lsm" $quick \
    --out "$build/bench-lsm/report.md"
  if [ -z "$quick" ]; then
    # The 10M-key subset: 100-byte values, the mixed case, one round (about 6 minutes).
    /usr/bin/python3 "$here/lsm_compare.py" --bin "$build/bin" --data "$build/bench-lsm-10m" \
      --values 100 --cases mixed --num-scale 10 --rounds 1 --out "$build/bench-lsm-10m/report.md"
  fi
  tsdb_group $quick
fi
