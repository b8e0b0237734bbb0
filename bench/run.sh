#!/usr/bin/env bash
# Prints each performance figure of DESIGN.md §6 against its target, measured the same way
# every time: release build, inputs generated under bench/data, each command run 5 times
# after a warm-up, median wall time and peak RSS of the whole process; the two comparisons
# with DuckDB alternate 9 runs of each (the VM varies by about 10 % from run to run).
#
#   bench/run.sh            fan-out, CSV merge, fleets (no server needed)
#   bench/run.sh --all      also the frame benchmark (criterion) and, when the shard
#                           databases exist, bench/shards.sh
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --locked --quiet
bin=target/release/scatter
python3 bench/gen.py
log=$(mktemp)
echo "scatter benchmarks on $(nproc) cores, $(date -u +%F)"
python3 bench/measure.py "fan-out 1,000 sim x 50 ms x 100 rows" 150 0 5 -- \
  "$bin" -c bench/data/fanout.toml --once --format ndjson --log-file "$log"
python3 bench/measure.py "merge 100 CSV x 10,000 rows -> NDJSON" 700 250 5 -- \
  "$bin" -c bench/data/csv.toml --once --format ndjson --log-file "$log"
# Side by side with DuckDB on the same files (alternating runs, Python's start-up and
# `import duckdb` counted for DuckDB as the process start-up is for scatter; measured alone below).
python3 bench/versus.py "merge 1 M rows vs DuckDB ORDER BY" 0.6 9 -- \
  "$bin" -c bench/data/csv.toml --once --format ndjson --log-file "$log" \
  --vs python3 bench/duckdb_run.py merge bench/data/csv
# The SQL step: GROUP BY a text column of 1,000 values over the same kind of 1 M rows. The
# plain merge prints one row (--limit 1) so that neither side pays for writing 1 M rows.
group_by="SELECT model, count(*) AS n, sum(price) AS total, avg(price) AS mean FROM results GROUP BY model ORDER BY model"
python3 bench/measure.py "merge 1 M rows, 1 row out" 0 0 5 -- \
  "$bin" -c bench/data/groups.toml --once --format csv --limit 1 --log-file "$log"
python3 bench/measure.py "merge 1 M rows + SQL GROUP BY" 0 0 5 -- \
  "$bin" -c bench/data/groups.toml --once --format csv --sql "$group_by" --log-file "$log"
python3 bench/versus.py "SQL GROUP BY vs DuckDB" 1.0 9 -- \
  "$bin" -c bench/data/groups.toml --once --format csv --sql "$group_by" --log-file "$log" \
  --vs python3 bench/duckdb_run.py groups bench/data/groups
python3 bench/measure.py "python3 + import duckdb alone" 0 0 5 -- \
  python3 bench/duckdb_run.py --import-only
python3 bench/measure.py "fleet 10,000 sim x 10 ms x 10 rows" 300 150 5 \
  "Go errgroup 1.7 s (measured by the issue's author; no Go toolchain here)" -- \
  "$bin" -c bench/data/fleet.toml --once --format ndjson --log-file "$log"
python3 bench/measure.py "fleet 10,000 sim x 10 ms x 1 row" 300 150 5 -- \
  "$bin" -c bench/data/fleet-1row.toml --once --format ndjson --log-file "$log"
# The whole process, start-up and 10,000 JSON objects written included; the 50 ms target of
# expanding and validating is the criterion figure below it.
python3 bench/measure.py "--list-sources, each to 10,000" 100 0 5 -- \
  "$bin" -c bench/data/fleet-list.toml --list-sources --format json --log-file "$log"
cargo bench --bench fleet_config -- --noplot 2>/dev/null | grep -E "time:|fleet"
if [[ "${1:-}" == "--all" ]]; then
  if [[ -f benches/frame.rs ]]; then cargo bench --bench frame -- --noplot 2>/dev/null | grep -E "time:|frame"; fi
  if [[ -x bench/shards.sh ]]; then bench/shards.sh; fi
fi
