#!/usr/bin/env python3
"""Runs two commands side by side (alternating, after a warm-up of each) and prints both medians
and their ratio against a target ratio.

usage: versus.py LABEL MAX_RATIO RUNS -- command A ... --vs command B ...
The ratio is A / B; the verdict is ok when it is at most MAX_RATIO. Output goes to /dev/null.
"""
import statistics
import sys

from measure import run_once


def main():
    label, max_ratio, runs = sys.argv[1], float(sys.argv[2]), int(sys.argv[3])
    args = sys.argv[sys.argv.index("--") + 1:]
    split = args.index("--vs")
    a, b = args[:split], args[split + 1:]
    run_once(a)
    run_once(b)
    walls_a, walls_b = [], []
    for _ in range(runs):
        walls_a.append(run_once(a)[0])
        walls_b.append(run_once(b)[0])
    med_a, med_b = statistics.median(walls_a), statistics.median(walls_b)
    ratio = med_a / med_b
    verdict = "ok" if ratio <= max_ratio else "MISSED"
    print(f"{label:<34} scatter {med_a:8.1f} ms  peer {med_b:8.1f} ms  ratio {ratio:4.2f} "
          f"(target <= {max_ratio:.2f})  {verdict}")


if __name__ == "__main__":
    main()
