#!/usr/bin/python3
"""Writes the RESP stream behind docs/benchmarks.md's "bolt: leaves cut during the transaction"
row: ROUNDS x (one GEOADD of POINTS random points into `mypoints`, then DEL mypoints), the shape
of Redis's geo fuzz tests. Seeded, so every run sends the same bytes.

    python3 bench/geoadd_pipe.py > /tmp/geoadd.resp
    build/bin/larderd --port 6380 --dir "$(mktemp -d)" &
    time redis-cli -p 6380 --pipe < /tmp/geoadd.resp
"""
import argparse
import random
import sys


def resp(args):
    out = [f"*{len(args)}\r\n"]
    for a in args:
        out.append(f"${len(a.encode())}\r\n{a}\r\n")
    return "".join(out)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--points", type=int, default=20000)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()
    rng = random.Random(a.seed)
    add = ["GEOADD", "mypoints"]
    for j in range(a.points):
        add += [f"{rng.uniform(-180, 180):.6f}", f"{rng.uniform(-85, 85):.6f}", f"place:{j}"]
    command = resp(add) + resp(["DEL", "mypoints"])
    for _ in range(a.rounds):
        sys.stdout.write(command)


if __name__ == "__main__":
    main()
