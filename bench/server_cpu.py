#!/usr/bin/env python3
"""Server CPU time per request: larderd in one or more configurations against redis-server.

Throughput ratios on a 2-core machine move by 10-30% from run to run (redis-benchmark shares the
cores); the server's own CPU time per request moves far less. This runs each workload on every
server in turn (alternating, --rounds times), reads each server's user and system time from
/proc/PID/stat around the run, and prints the medians: ops/s, user and system microseconds per
request. appendfsync everysec on both sides (redis-server: appendonly yes).

  bench/server_cpu.py --bin build/bin --larderd "io1=--io-threads 1" --larderd "io2=--io-threads 2"
  bench/server_cpu.py --bin build/bin --larderd "new=" --larderd "old@/tmp/old-bin="  (two builds)

The figures of docs/server.md ("Threads") and docs/benchmarks.md ("Server") come from it.
"""
import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from server_bench import Larderd, RedisServer, bench  # noqa: E402

TICKS = os.sysconf("SC_CLK_TCK")
WORKLOADS = {"SET": ("set", 1, 200_000), "GET": ("get", 1, 200_000),
             "SET -P 16": ("set", 16, 1_000_000), "GET -P 16": ("get", 16, 1_000_000),
             "SPOP -P 16": ("spop", 16, 600_000), "INCR": ("incr", 1, 200_000),
             "HSET": ("hset", 1, 200_000), "MSET (10 keys)": ("mset", 1, 100_000),
             "ZADD": ("zadd", 1, 200_000), "ZADD -P 16": ("zadd", 16, 300_000),
             "RPUSH -P 16": ("rpush", 16, 600_000), "SADD -P 16": ("sadd", 16, 600_000),
             "LPUSH -P 16": ("lpush", 16, 600_000), "LPOP -P 16": ("lpop", 16, 600_000),
             "RPOP -P 16": ("rpop", 16, 600_000), "ZPOPMIN -P 16": ("zpopmin", 16, 300_000),
             "LRANGE_100": ("lrange_100", 1, 100_000), "LRANGE_600": ("lrange_600", 1, 30_000)}
# Pops of a set or sorted set that an untimed fill just populated, as many as it holds (the
# workloads above pop a fixed count, mostly of an empty key once the earlier fill is used up):
# name -> (fill test, pop test, pipeline, fill requests).
FILLED = {"ZPOPMIN -P 16 (filled)": ("zadd", "zpopmin", 16, 300_000),
          "SPOP -P 16 (filled)": ("sadd", "spop", 16, 300_000)}
DEFAULT_WORKLOADS = "SET,GET,SET -P 16,INCR,HSET,MSET (10 keys)"


def members(port, test):
    """The size of the set or sorted set redis-benchmark's `test` fills."""
    key = {"zadd": "myzset", "sadd": "myset"}[test]
    card = {"zadd": "zcard", "sadd": "scard"}[test]
    out = subprocess.run(["redis-cli", "-p", str(port), card, key], capture_output=True,
                         text=True, check=True).stdout
    return int(out.strip())


def run_one(srv, workload):
    """(ops/s, user µs, system µs per request) of one timed run; a FILLED workload's fill runs
    untimed first."""
    if workload in FILLED:
        fill, test, pipeline, fill_n = FILLED[workload]
        bench(srv.port, fill, pipeline, fill_n)
        n = members(srv.port, fill)
    else:
        test, pipeline, n = WORKLOADS[workload]
    u0, s0 = cpu_seconds(srv.proc.pid)
    rps = bench(srv.port, test, pipeline, n)["rps"]
    u1, s1 = cpu_seconds(srv.proc.pid)
    return rps, (u1 - u0) * 1e6 / n, (s1 - s0) * 1e6 / n


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return int(fields[11]) / TICKS, int(fields[12]) / TICKS  # utime, stime


def disk_bytes_written(pid):
    """Bytes the process has caused to be sent to storage (/proc/PID/io write_bytes)."""
    with open(f"/proc/{pid}/io") as f:
        for line in f:
            if line.startswith("write_bytes:"):
                return int(line.split()[1])
    raise RuntimeError(f"/proc/{pid}/io has no write_bytes")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--bin", required=True, help="the build's bin dir (larderd)")
    ap.add_argument("--larderd", action="append", default=[],
                    help="NAME[@BIN_DIR]=DIRECTIVES, a larderd to compare (repeatable; BIN_DIR, "
                    "which must hold larderd and larder, defaults to --bin); "
                    "default: 'larderd='")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--workloads", default=DEFAULT_WORKLOADS,
                    help="comma-separated, of: " + ", ".join([*WORKLOADS, *FILLED]))
    args = ap.parse_args()
    data = tempfile.mkdtemp(prefix="server-cpu-")
    servers = {}
    try:
        for spec in args.larderd or ["larderd="]:
            name, _, directives = spec.partition("=")
            name, _, bin_dir = name.partition("@")
            os.makedirs(os.path.join(data, name))
            servers[name] = Larderd(bin_dir or args.bin, args=["--appendfsync", "everysec"] +
                                    directives.split(), data_dir=os.path.join(data, name)).start()
        os.makedirs(os.path.join(data, "redis"))
        servers["redis-server"] = RedisServer(
            args=["--appendonly", "yes", "--appendfsync", "everysec"],
            data_dir=os.path.join(data, "redis")).start()
        samples = {}
        for _ in range(args.rounds):
            for workload in args.workloads.split(","):
                for name, srv in servers.items():
                    samples.setdefault((workload, name), []).append(run_one(srv, workload))
        print(f"{'workload':22} {'server':14} {'ops/s':>9} {'user us':>8} {'sys us':>8}")
        for (workload, name), runs in samples.items():
            med = [statistics.median(r[i] for r in runs) for i in range(3)]
            print(f"{workload:22} {name:14} {med[0]:9.0f} {med[1]:8.2f} {med[2]:8.2f}")
    finally:
        for srv in servers.values():
            srv.stop()
        shutil.rmtree(data, ignore_errors=True)


if __name__ == "__main__":
    main()
