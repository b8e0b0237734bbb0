#!/usr/bin/env python3
"""Hedging against a heavy tail (issue 11's target).

100 sim sources, latency "5ms..15ms", tail = 0.02 with tail_latency = "1s", 2 replicas each
(`replicas = 2`: two independent copies beside the source's own), gathered 200 times with
`--once --format json`, once without hedging and once with `hedge_after = "30ms"`. Prints the
p50/p99/max of the gather's wall time (`elapsed_ms`), the p99 ratio, and the extra requests
the hedges and retries made, as a share of the first requests.

Usage: bench/hedge.py [BINARY] [GATHERS] [EXTRA_TOML]
  BINARY defaults to target/release/scatter, else target/debug/scatter.
  EXTRA_TOML is added to [gather], e.g. 'max_extra_load = 0.05'.
Target: p99 at least 10x lower with hedging, hedges at most 6 % more requests.
"""
import json
import math
import os
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def config(hedge: bool, extra: str) -> str:
    head = '[gather]\ntimeout = "5s"\nconcurrency = 0\n'
    if hedge:
        head += 'hedge_after = "30ms"\n'
    head += extra + "\n"
    block = ('[[source]]\nname = "shard-{n}"\nkind = "sim"\nlatency = "5ms..15ms"\nrows = 10\n'
             'tail = 0.02\ntail_latency = "1s"\nreplicas = 2\neach = { n = "001..100" }\n')
    return head + block


def percentile(sorted_values, p):
    rank = math.ceil(p * len(sorted_values))
    return sorted_values[min(max(rank, 1), len(sorted_values)) - 1]


def run(binary, path, gathers):
    walls, first, extra, hedges = [], 0, 0, 0
    for _ in range(gathers):
        out = subprocess.run([binary, "-c", path, "--once", "--format", "json"],
                             capture_output=True, check=False).stdout
        doc = json.loads(out)
        walls.append(doc["elapsed_ms"])
        for s in doc["sources"]:
            kinds = [a["kind"] for a in s["attempts"]]
            first += kinds.count("first")
            extra += len(kinds) - kinds.count("first")
            hedges += kinds.count("hedge")
    walls.sort()
    return walls, first, extra, hedges


def main():
    binary = sys.argv[1] if len(sys.argv) > 1 else None
    if binary is None:
        release = os.path.join(ROOT, "target/release/scatter")
        binary = release if os.path.exists(release) else os.path.join(ROOT, "target/debug/scatter")
    gathers = int(sys.argv[2]) if len(sys.argv) > 2 else 200
    extra = sys.argv[3] if len(sys.argv) > 3 else ""
    print(f"binary {binary}, {gathers} gathers each, load {os.getloadavg()[0]:.2f}")
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        for hedge in (False, True):
            path = os.path.join(tmp, f"hedge-{hedge}.toml")
            with open(path, "w") as f:
                f.write(config(hedge, extra))
            walls, first, more, hedges = run(binary, path, gathers)
            results[hedge] = walls
            label = "hedge_after 30ms" if hedge else "no hedging     "
            print(f"{label}: p50 {percentile(walls, 0.5)} ms  p99 {percentile(walls, 0.99)} ms  "
                  f"max {walls[-1]} ms  requests {first} first + {more} extra "
                  f"({100 * more / first:.2f} %, {hedges} hedges)")
    ratio = percentile(results[False], 0.99) / max(percentile(results[True], 0.99), 1)
    print(f"p99 ratio {ratio:.1f}x (target >= 10x); load now {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
