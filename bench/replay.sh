#!/usr/bin/env bash
# Replay benchmark (issue 11): a recorded 1,000-source run replayed under another deadline, the
# whole process (start-up, reading and checking the recording, the virtual-time replay, the
# JSON comparison written), against the 200 ms target.
#
#   bench/replay.sh                 # release build, records once (about 30 s), then measures
#   SCATTER_BIN=path bench/replay.sh
#
# The recording: 1,000 sim sources of 0.9 to 1.1 s at concurrency 34, so the gather itself takes
# about 30 s of real time; 2 % of the sources fail and 5 hang until their 3 s timeout.
set -euo pipefail
cd "$(dirname "$0")/.."
if [[ -z "${SCATTER_BIN:-}" ]]; then cargo build --release --locked --quiet; fi
bin=${SCATTER_BIN:-target/release/scatter}
data=bench/data/replay
mkdir -p "$data"
log=$(mktemp)
python3 - "$data/fleet.toml" <<'PY'
import sys
with open(sys.argv[1], "w") as f:
    f.write('query = "q"\n[gather]\ntimeout = "3s"\nconcurrency = 34\n')
    for i in range(1000):
        extra = 'hang = true\n' if i % 200 == 7 else ('fail = 1.0\n' if i % 50 == 3 else '')
        f.write(f'[[source]]\nname = "sim-{i:04}"\nkind = "sim"\nlatency = "900ms..1100ms"\n'
                f'rows = 10\nseed = {i}\n{extra}')
PY
if [[ ! -s "$data/rec.jsonl" ]]; then
  start=$(date +%s.%N)
  "$bin" -c "$data/fleet.toml" --once --format ndjson --record "$data/rec.jsonl" --log-file "$log" >/dev/null 2>&1 || true
  echo "recorded 1,000 sources in $(python3 -c "print(f'{$(date +%s.%N) - $start:.1f}')") s of real time ($(wc -c <"$data/rec.jsonl") bytes)"
fi
echo "load: $(uptime | sed 's/.*load average: //')"
python3 bench/measure.py "replay 1,000 sources, --deadline 10s" 200 0 10 -- \
  "$bin" replay "$data/rec.jsonl" --deadline 10s --format json --log-file "$log"
python3 bench/measure.py "replay 1,000 sources, --concurrency 8" 200 0 10 -- \
  "$bin" replay "$data/rec.jsonl" --concurrency 8 --format json --log-file "$log"
if command -v hyperfine >/dev/null; then
  hyperfine --warmup 2 --runs 20 -N \
    "$bin replay $data/rec.jsonl --deadline 10s --format json --log-file $log" 2>/dev/null |
    grep -E "Time|Range"
fi
"$bin" replay "$data/rec.jsonl" --deadline 10s --log-file "$log" | sed -n '2,10p'
