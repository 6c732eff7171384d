#!/usr/bin/env bash
# Runs each libFuzzer target for SECONDS (default 60) on its corpus in fuzz/corpus/<name>.
set -euo pipefail
build=${1:-build-fuzz}
seconds=${2:-60}
root=$(cd "$(dirname "$0")/.." && pwd)
for target in "$build"/bin/fuzz_*; do
  name=$(basename "$target")
  corpus="$root/fuzz/corpus/${name#fuzz_}"
  mkdir -p "$corpus"
  echo "== $name for ${seconds}s (corpus $corpus)"
  "$target" -max_total_time="$seconds" -max_len=262144 -timeout=10 "$corpus"
done
