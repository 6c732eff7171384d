#!/usr/bin/env bash
# Runs the benchmarks of a Release build directory. Usage: bench/run.sh BUILD_DIR [--quick]
set -euo pipefail
build=${1:-build-bench}
shift || true
args=()
if [ "${1:-}" = "--quick" ]; then args+=(--benchmark_min_time=0.05); fi
"$build/bin/bolt_bench" "${args[@]}"
