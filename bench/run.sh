#!/usr/bin/env bash
# Runs the comparison benchmark of a Release build directory (see docs/benchmarks.md).
# Usage: bench/run.sh BUILD_DIR [--quick] [bench_driver flags...]
#        bench/run.sh BUILD_DIR --micro [Google Benchmark flags...]   (bolt_bench only)
# --quick is a smoke run (tiny sizes, one round) that writes into BUILD_DIR/bench-quick/, not docs/.
set -euo pipefail
build=${1:-build-bench}
shift || true

if [ "${1:-}" = "--micro" ]; then
  shift
  exec "$build/bin/bolt_bench" "$@"
fi

# Go bbolt's runner, built offline against Debian's packaged source (as tests/interop).
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$build/gocache"
gocache=$(cd "$build/gocache" && pwd)
bin=$(cd "$build/bin" && pwd)
(cd "$here/bbolt" && env GO111MODULE=off GOPATH=/usr/share/gocode GOCACHE="$gocache" GOFLAGS= \
  GOPROXY=off GOENV=off CGO_ENABLED=0 go build -o "$bin/bench_bbolt" main.go)

exec "$build/bin/bench_driver" --bin "$build/bin" --data "$build/bench-data" "$@"
