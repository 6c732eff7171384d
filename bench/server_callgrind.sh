#!/usr/bin/env bash
# Instructions a server executes per request (valgrind --tool=callgrind, every thread of the
# process), for a redis-benchmark command: steady where timings on a shared 2-core VM are not.
# The server runs twice under callgrind, serving N and then 2N requests after the same set-up;
# the difference over N is the cost of one request, without the start-up and shutdown.
#
#   bench/server_callgrind.sh SERVER N [--setup "CMD ARGS"]... -- REDIS-BENCHMARK ARGS
#
# SERVER is a larderd binary (run with --io-threads 1) or `redis-server` (appendonly yes, as
# the server group compares them). Examples (the figures in docs/benchmarks.md):
#   bench/server_callgrind.sh build-bench/bin/larderd 20000 -- -c 10 -r 10000 -t incr
#   bench/server_callgrind.sh redis-server 10000 --setup "xgroup create q g $ mkstream" -- \
#     -c 4 XADD q '*' p 0123456789abcdef
set -euo pipefail
server=$1
n=$2
shift 2
setup=()
while [ $# -gt 0 ] && [ "$1" != -- ]; do
  [ "$1" = --setup ] || { echo "unexpected argument: $1" >&2; exit 2; }
  setup+=("$2")
  shift 2
done
[ "${1:-}" = -- ] && shift
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

free_port() { python3 -c "import socket; s = socket.socket(); s.bind(('127.0.0.1', 0)); print(s.getsockname()[1])"; }

# run REQUESTS -> instructions the server executed in all
run() {
  local requests=$1 port dir pid
  shift
  port=$(free_port)
  dir=$work/data-$requests
  mkdir -p "$dir"
  if [ "$(basename "$server")" = redis-server ]; then
    valgrind --tool=callgrind --callgrind-out-file="$work/cg.out" "$server" --port "$port" \
      --bind 127.0.0.1 --dir "$dir" --appendonly yes --save "" >/dev/null 2>"$work/cg.err" &
  else
    valgrind --tool=callgrind --callgrind-out-file="$work/cg.out" "$server" --port "$port" \
      --dir "$dir" --io-threads 1 --loglevel warning >/dev/null 2>"$work/cg.err" &
  fi
  pid=$!
  for _ in $(seq 100); do redis-cli -p "$port" ping >/dev/null 2>&1 && break; sleep 0.2; done
  set -f  # a set-up command is split into words, never globbed
  for cmd in "${setup[@]}"; do
    # shellcheck disable=SC2086
    redis-cli -p "$port" $cmd >/dev/null
  done
  set +f
  redis-benchmark -p "$port" -n "$requests" -q "$@" >/dev/null
  redis-cli -p "$port" shutdown nosave >/dev/null 2>&1 || true
  wait "$pid" || { cat "$work/cg.err" >&2; exit 1; }
  grep -m1 '^summary:' "$work/cg.out" | cut -d' ' -f2
}

one=$(run "$n" "$@")
two=$(run $((2 * n)) "$@")
echo "$(basename "$server"): $(((two - one) / n)) instructions per request ($n requests: $one; $((2 * n)): $two)"
