#!/usr/bin/env python3
"""Records this machine's real metrics from /proc at 1 s for the time-series benchmark.

Usage: bench/record_proc.py [--seconds N] [--out FILE]   (default 300 s, stdout)

Every numeric field of /proc/stat (cpu lines, the intr total, ctxt, processes, procs_*,
softirq), /proc/meminfo, /proc/vmstat, /proc/diskstats, /proc/net/dev and /proc/loadavg is
one series. The output is the fixture format of docs/benchmarks.md ("Time-series engine"):
a wide CSV, first line `time_ms,<series name>,...`, then one line per second:
the sample's time in Unix milliseconds (the scheduled whole second, as a collector aligned to
its interval stores it) and each series' value as read (integers, or the decimals /proc
prints). A series that appears mid-recording (a new device) is not added; one that vanishes
leaves its cell empty. Compress with `zstd -19` for bench/fixtures/.
"""
import argparse
import sys
import time

DISK_FIELDS = [
    "reads", "reads_merged", "sectors_read", "read_ms", "writes", "writes_merged",
    "sectors_written", "write_ms", "io_in_progress", "io_ms", "weighted_io_ms",
    "discards", "discards_merged", "sectors_discarded", "discard_ms", "flushes", "flush_ms",
]
NET_FIELDS = [
    "rx_bytes", "rx_packets", "rx_errs", "rx_drop", "rx_fifo", "rx_frame", "rx_compressed",
    "rx_multicast", "tx_bytes", "tx_packets", "tx_errs", "tx_drop", "tx_fifo", "tx_colls",
    "tx_carrier", "tx_compressed",
]
CPU_FIELDS = ["user", "nice", "system", "idle", "iowait", "irq", "softirq", "steal", "guest",
              "guest_nice"]


def read(path):
    with open(path) as f:
        return f.read()


def sample():
    """One reading: {series name: value text}."""
    out = {}
    for line in read("/proc/stat").splitlines():
        f = line.split()
        if not f:
            continue
        if f[0].startswith("cpu"):
            for name, v in zip(CPU_FIELDS, f[1:]):
                out[f"stat.{f[0]}.{name}"] = v
        elif f[0] == "intr":
            out["stat.intr"] = f[1]
        elif f[0] == "softirq":
            for i, v in enumerate(f[1:]):
                out[f"stat.softirq.{i}"] = v
        elif len(f) == 2 and f[0] != "btime":
            out[f"stat.{f[0]}"] = f[1]
    for line in read("/proc/meminfo").splitlines():
        f = line.split()
        out["meminfo." + f[0].rstrip(":")] = f[1]
    for line in read("/proc/vmstat").splitlines():
        f = line.split()
        out["vmstat." + f[0]] = f[1]
    for line in read("/proc/diskstats").splitlines():
        f = line.split()
        for name, v in zip(DISK_FIELDS, f[3:]):
            out[f"disk.{f[2]}.{name}"] = v
    for line in read("/proc/net/dev").splitlines()[2:]:
        dev, rest = line.split(":", 1)
        for name, v in zip(NET_FIELDS, rest.split()):
            out[f"net.{dev.strip()}.{name}"] = v
    f = read("/proc/loadavg").split()
    out["loadavg.1m"], out["loadavg.5m"], out["loadavg.15m"] = f[0], f[1], f[2]
    running, total = f[3].split("/")
    out["loadavg.running"], out["loadavg.tasks"] = running, total
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=int, default=300)
    ap.add_argument("--out")
    a = ap.parse_args()
    out = open(a.out, "w") if a.out else sys.stdout
    start = int(time.time()) + 1
    names = None
    for k in range(a.seconds):
        due = start + k
        time.sleep(max(0.0, due - time.time()))
        s = sample()
        if names is None:
            names = list(s)
            out.write("time_ms," + ",".join(names) + "\n")
        out.write(f"{due * 1000}," + ",".join(s.get(n, "") for n in names) + "\n")
    out.flush()


if __name__ == "__main__":
    main()
