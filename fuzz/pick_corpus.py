#!/usr/bin/env python3
"""Picks a small corpus from a large one: the inputs that give the most libFuzzer features per
byte, within a byte budget (greedy set cover).

  build-fuzz/bin/fuzz_check -merge=1 -merge_control_file=/tmp/ctl /tmp/empty BIG_CORPUS_DIR
  fuzz/pick_corpus.py /tmp/ctl 250000 fuzz/corpus/check

The control file lists the inputs (line 3 on) and, per input, the features it reaches
("FT <index> <feature>..."). The inputs of the merge's first directory (their count is line 2)
are always kept: pass the current corpus there to add to it rather than replace it. Prints how
many of all features the picked inputs keep.
"""
import os
import shutil
import sys


def main():
    control, budget, out_dir = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    lines = open(control).read().split("\n")
    count = int(lines[0])
    files = lines[2:2 + count]
    features = {}
    for line in lines[2 + count:]:
        parts = line.split()
        if parts and parts[0] == "FT":
            features[int(parts[1])] = set(map(int, parts[2:]))
    every = set().union(*features.values()) if features else set()
    covered, used, chosen = set(), 0, []
    for i in range(int(lines[1])):
        chosen.append(i)
        covered |= features.get(i, set())
        used += os.path.getsize(files[i])
    while True:
        best, best_value = None, 0.0
        for i, f in features.items():
            gain = len(f - covered)
            size = os.path.getsize(files[i])
            if i in chosen or gain == 0 or used + size > budget:
                continue
            value = gain / (size + 512)  # 512: a file costs something even when tiny
            if value > best_value:
                best, best_value = i, value
        if best is None:
            break
        chosen.append(best)
        covered |= features[best]
        used += os.path.getsize(files[best])
    os.makedirs(out_dir, exist_ok=True)
    for i in chosen:
        if os.path.dirname(os.path.abspath(files[i])) != os.path.abspath(out_dir):
            shutil.copy(files[i], out_dir)
    print(f"{len(chosen)} inputs, {used} bytes, {len(covered)} of {len(every)} features")


if __name__ == "__main__":
    main()
