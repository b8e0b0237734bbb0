#!/usr/bin/env python3
"""Runs a command several times; prints the median and best wall time and the peak RSS.

usage: measure.py LABEL TARGET_MS TARGET_MIB RUNS [PEER] -- command args...
TARGET_MS 0: a figure for comparison, without a target of its own.
PEER, when given, is printed after the figures (what another tool takes for the same work).
Output goes to /dev/null; a non-zero exit other than 3 (partial) fails the measurement.
"""
import os
import resource
import statistics
import subprocess
import sys
import time


def run_once(cmd):
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    code = os.waitstatus_to_exitcode(status)
    if code not in (0, 3):
        sys.exit(f"{cmd[0]} exited {code}")
    return wall * 1000.0, usage.ru_maxrss / 1024.0


def main():
    label, target_ms, target_mib, runs = sys.argv[1], float(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4])
    dash = sys.argv.index("--")
    peer = f"  peer: {sys.argv[5]}" if dash > 5 else ""
    cmd = sys.argv[dash + 1:]
    run_once(cmd)  # warm the page cache
    results = [run_once(cmd) for _ in range(runs)]
    walls = [w for w, _ in results]
    peak = max(m for _, m in results)
    med = statistics.median(walls)
    verdict = "ok" if med <= target_ms and (target_mib <= 0 or peak <= target_mib) else "MISSED"
    if target_ms <= 0:
        verdict = "(no target of its own)"
    mem = f"  peak {peak:7.1f} MiB (target <= {target_mib:.0f})" if target_mib > 0 else f"  peak {peak:7.1f} MiB"
    print(f"{label:<34} median {med:8.1f} ms  best {min(walls):8.1f} ms (target <= {target_ms:.0f}){mem}  {verdict}{peer}")


if __name__ == "__main__":
    main()
