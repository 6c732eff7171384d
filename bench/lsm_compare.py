#!/usr/bin/python3
"""The LSM comparison: larder's LSM engine against RocksDB 7.8.3 and LevelDB 1.23.

Every engine runs db_bench's workloads through the same runner (tools/larder/db_bench.h):
`larder lsm bench` for larder, bench/lsm_bench_rocksdb and bench/lsm_bench_leveldb (one kv::Store
adapter, bench/lsm_kv_adapter.h) for the peers; with --db-bench, Debian's own /usr/bin/db_bench
runs too (RocksDB without the adapter, a check of the adapter's cost). Each run is a child
process (its peak RSS is the child's ru_maxrss, which counts the file pages it maps; its peak
anonymous RSS, sampled from /proc/PID/status every 20 ms, does not); engines ALTERNATE within each case and round,
the order rotating per round, so a change in the machine's load hits every engine alike. The
figure kept is the median over rounds.

Cases, for each value size (16-byte keys, values of 100 B, 1 KiB, 16 KiB; --num keys):
  fill     fillseq on a fresh database
  mixed    fillrandom, overwrite, readrandom, readseq, readwhilewriting, seekrandom in one
           process on one database; its write amplification (bytes the process wrote / key
           and value bytes it was given), space amplification (database size / live key and
           value bytes, at the end) and peak RSS
  delete   fillseq, then deleterandom (only the latter is reported)
  sync1    fillrandom with --sync, 1 writer
  sync8    fillrandom with --sync, 8 writers (group commit)

Usage: bench/lsm_compare.py --bin BUILD/bin [--quick] [--rounds N] [--engines a,b] [--out FILE]
"""
import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import threading
import time

MIXED = "fillrandom,overwrite,readrandom,readseq,readwhilewriting,seekrandom"
VALUE_SIZES = [100, 1024, 16384]
# Keys per value size: about 100 MiB of values at 1 KiB and 16 KiB (1M keys of 16 KiB would be
# 16 GiB), the 1M keys of db_bench's default at 100 B. --quick: a smoke run.
FULL_NUM = {100: 1_000_000, 1024: 100_000, 16384: 6_400}
QUICK_NUM = {100: 20_000, 1024: 4_000, 16384: 400}


def engine_commands(bin_dir, names):
    """The command prefix of each engine that can run here."""
    cmds = {}
    for name in names:
        if name == "larder":
            larder = os.path.join(bin_dir, "larder")
            # A real runner refuses an unknown benchmark as bad usage (2) before it opens
            # anything; a build without the engine's DB fails (1).
            probe = subprocess.run([larder, "lsm", "bench", "--benchmarks=nosuch"],
                                   capture_output=True)
            if probe.returncode != 2:
                print("lsm_compare: larder has no LSM engine in this build; skipped",
                      file=sys.stderr)
                continue
            cmds[name] = [larder, "lsm", "bench"]
        elif name in ("rocksdb", "leveldb"):
            path = os.path.join(bin_dir, f"lsm_bench_{name}")
            if os.path.exists(path):
                cmds[name] = [path]
        elif name == "db_bench":
            if os.path.exists("/usr/bin/db_bench"):
                cmds[name] = ["/usr/bin/db_bench"]
    return cmds


def sample_anon_rss(pid, peak, done):
    """Keeps peak[0] at the largest RssAnon (KiB) of /proc/PID/status seen every 20 ms: the
    process's own memory, without the file pages it maps (ru_maxrss counts both; an engine that
    reads its tables through mmap shows the page cache it touches there)."""
    while not done.is_set():
        try:
            with open(f"/proc/{pid}/status") as f:
                for line in f:
                    if line.startswith("RssAnon:"):
                        peak[0] = max(peak[0], int(line.split()[1]))
                        break
        except OSError:
            return
        done.wait(0.02)


def run_child(cmd, stats_file):
    """Runs cmd; returns (stdout, peak RSS in KiB, peak anonymous RSS in KiB, parsed stats JSON
    or None)."""
    with tempfile.TemporaryFile() as out:
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.PIPE)
        anon, done = [0], threading.Event()
        sampler = threading.Thread(target=sample_anon_rss, args=(proc.pid, anon, done))
        sampler.start()
        _, status, usage = os.wait4(proc.pid, 0)
        done.set()
        sampler.join()
        err = proc.stderr.read().decode(errors="replace")
        proc.stderr.close()
        out.seek(0)
        text = out.read().decode(errors="replace")
    code = os.waitstatus_to_exitcode(status)
    if code != 0:
        raise RuntimeError(f"{' '.join(cmd)} exited {code}: {err.strip()}")
    stats = None
    if stats_file and os.path.exists(stats_file):
        with open(stats_file) as f:
            stats = json.load(f)
    return text, usage.ru_maxrss, anon[0], stats


def parse_lines(text):
    """db_bench result lines -> {benchmark: ops/sec}."""
    result = {}
    for line in text.splitlines():
        if " ops/sec" not in line or " : " not in line:
            continue
        name, rest = line.split(" : ", 1)
        fields = rest.split()
        result[name.strip()] = float(fields[fields.index("ops/sec") - 1])
    return result


def case_flags(case, value_size, num, reads):
    common = [f"--value_size={value_size}", "--key_size=16", f"--reads={reads}",
              "--compression_ratio=0.5", "--seed=301"]
    if case == "fill":
        return common + [f"--num={num}", "--benchmarks=fillseq"]
    if case == "mixed":
        return common + [f"--num={num}", f"--benchmarks={MIXED}"]
    if case == "delete":
        return common + [f"--num={num}", "--benchmarks=fillseq,deleterandom"]
    sync_num = max(200, num // 500)  # synced writes are slow: a slice of the keys
    if case == "sync1":
        return common + [f"--num={sync_num}", "--benchmarks=fillrandom", "--sync=1",
                         "--threads=1"]
    return common + [f"--num={max(25, sync_num // 8)}", "--benchmarks=fillrandom", "--sync=1",
                     "--threads=8"]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--bin", required=True, help="build directory's bin/")
    ap.add_argument("--data", default=None, help="where the databases go (default: a temp dir)")
    ap.add_argument("--quick", action="store_true", help="small --num, one round")
    ap.add_argument("--rounds", type=int, default=None, help="rounds (default 3; 1 with --quick)")
    ap.add_argument("--engines", default="larder,rocksdb,leveldb")
    ap.add_argument("--db-bench", action="store_true", help="also run Debian's db_bench")
    ap.add_argument("--values", default=",".join(str(v) for v in VALUE_SIZES))
    ap.add_argument("--cases", default="fill,mixed,delete,sync1,sync8")
    ap.add_argument("--num-scale", type=float, default=1.0, help="multiplies every --num")
    ap.add_argument("--out", default=None, help="also write the report (markdown) here")
    args = ap.parse_args()

    names = args.engines.split(",") + (["db_bench"] if args.db_bench else [])
    cmds = engine_commands(args.bin, names)
    if not cmds:
        sys.exit("lsm_compare: no engine to run")
    rounds = args.rounds or (1 if args.quick else 3)
    nums = QUICK_NUM if args.quick else FULL_NUM
    data = args.data or tempfile.mkdtemp(prefix="lsm-compare-")
    os.makedirs(data, exist_ok=True)
    load_before = os.getloadavg()
    started = time.time()

    # results[(case, value_size, engine)] = list of {bench: ops/sec}, rss list, stats list
    results = {}
    engines = list(cmds)
    for value_size in [int(v) for v in args.values.split(",")]:
        num = max(100, int(nums[value_size] * args.num_scale))
        reads = min(num, 200_000)
        for case in args.cases.split(","):
            for r in range(rounds):
                order = engines[r % len(engines):] + engines[:r % len(engines)]
                for engine in order:
                    db = os.path.join(data, f"{engine}-{case}-{value_size}")
                    stats_file = os.path.join(data, f"{engine}.json")
                    if os.path.exists(stats_file):
                        os.remove(stats_file)
                    cmd = cmds[engine] + case_flags(case, value_size, num, reads) + [f"--db={db}"]
                    if engine != "db_bench":
                        cmd.append(f"--stats_file={stats_file}")
                    else:
                        cmd += ["--use_existing_db=0", "--bloom_bits=10",
                                "--cache_size=33554432"]
                    text, rss, anon, stats = run_child(
                        cmd, stats_file if engine != "db_bench" else None)
                    entry = results.setdefault((case, value_size, engine),
                                               {"ops": [], "rss": [], "anon_rss": [], "stats": []})
                    entry["ops"].append(parse_lines(text))
                    entry["rss"].append(rss)
                    entry["anon_rss"].append(anon)
                    if stats:
                        entry["stats"].append(stats)
                    subprocess.run(["rm", "-rf", db])
                    print(f"lsm_compare: {case} {value_size} B {engine} round {r + 1}: "
                          f"{parse_lines(text)}", file=sys.stderr)

    report = render(results, engines, rounds, nums, args, load_before, os.getloadavg(),
                    time.time() - started)
    print(report)
    if args.out:
        with open(args.out, "w") as f:
            f.write(report)
    with open(os.path.join(data, "results.json"), "w") as f:
        json.dump({f"{c}|{v}|{e}": x for (c, v, e), x in results.items()}, f)


def render(results, engines, rounds, nums, args, load_before, load_after, seconds):
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True,
                            text=True, cwd=os.path.dirname(os.path.abspath(__file__))).stdout.strip()
    lines = [
        f"Commit {commit}; {platform.node()}, {os.cpu_count()} cores, "
        f"load average {load_before[0]:.2f} before and {load_after[0]:.2f} after "
        f"({seconds / 60:.1f} minutes); {rounds} round(s), median shown; "
        f"--num {', '.join(f'{n} at {v} B' for v, n in nums.items())}"
        f"{' x ' + str(args.num_scale) if args.num_scale != 1 else ''}.",
        "",
        "Throughput (operations per second; higher is better):",
        "",
        "| case | value | benchmark | " + " | ".join(engines) + " |",
        "|---|---|---|" + "---|" * len(engines),
    ]
    keys = sorted({(c, v) for (c, v, _) in results}, key=lambda k: (k[1], k[0]))
    for case, value in keys:
        benches = []
        for e in engines:
            for run in results.get((case, value, e), {}).get("ops", []):
                benches += [b for b in run if b not in benches]
        for bench in benches:
            if case == "delete" and bench != "deleterandom":
                continue
            cells = []
            for e in engines:
                vals = [run[bench] for run in results.get((case, value, e), {}).get("ops", [])
                        if bench in run]
                cells.append(f"{statistics.median(vals):,.0f}" if vals else "-")
            label = bench + (" (sync, 8 writers)" if case == "sync8" else
                             " (sync, 1 writer)" if case == "sync1" else "")
            lines.append(f"| {case} | {value} B | {label} | " + " | ".join(cells) + " |")
    lines += ["", "The mixed case's amplification and memory (median over rounds):", "",
              "| value | engine | write amp. | space amp. | peak RSS (MiB) | peak anonymous RSS (MiB) |",
              "|---|---|---|---|---|---|"]
    for case, value in keys:
        if case != "mixed":
            continue
        for e in engines:
            entry = results.get((case, value, e))
            if not entry:
                continue
            wa = [s["process_write_bytes"] / s["user_bytes_written"] for s in entry["stats"]
                  if s.get("process_write_bytes", -1) >= 0 and s.get("user_bytes_written")]
            sa = [s["db_bytes"] / s["live_bytes"] for s in entry["stats"] if s.get("live_bytes")]
            rss = statistics.median(entry["rss"]) / 1024
            anon = statistics.median(entry.get("anon_rss") or [0]) / 1024
            fmt = lambda v: f"{statistics.median(v):.2f}" if v else "-"
            lines.append(f"| {value} B | {e} | {fmt(wa)} | {fmt(sa)} | {rss:.0f} | {anon:.0f} |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
