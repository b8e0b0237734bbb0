#!/usr/bin/env bash
# Benchmark over real databases (DESIGN.md §6): 16 local shards (8 PostgreSQL + 8 MariaDB,
# 20,000 rows each, 10,000 returned each, 160,000 merged and sorted to NDJSON), scatter's
# `--once --format ndjson > /dev/null` against `psql` and `mariadb` run one shard after another,
# then both again with 200 ms of latency added per shard (pg_sleep / SLEEP in the query).
#
#   bench/shards.sh            # needs hyperfine, psql, mariadb; creates the shards when absent
#
# Targets: scatter < 0.8 x the sequential clients; +200 ms per shard costs scatter <= +250 ms.
set -euo pipefail
cd "$(dirname "$0")/.."

RUNS=${RUNS:-10}
PG_URL=${SHARDS_PG_URL:-postgres://postgres@127.0.0.1:5432}
read -r -a MY_ARGS <<<"${SHARDS_MYSQL_ARGS:--h 127.0.0.1 -P 3306 -u root}"
MY_CLIENT=$(command -v mariadb || command -v mysql)
command -v hyperfine >/dev/null || { echo "$0: needs hyperfine (apt install hyperfine)" >&2; exit 1; }

COLUMNS="id, sku, type, manufacturer, model, price, weight_kg, in_stock, released, updated_at, specs, thumbnail, notes"
QUERY="SELECT $COLUMNS FROM products WHERE id % 2 = 0"
# The sleep runs once per query: a function in FROM (PostgreSQL), a one-row
# derived table (MariaDB, materialized), neither referenced by the selected columns.
PG_SLOW="SELECT $COLUMNS FROM products, pg_sleep(0.2) WHERE id % 2 = 0"
MY_SLOW="SELECT $COLUMNS FROM products CROSS JOIN (SELECT SLEEP(0.2) AS z) AS s WHERE id % 2 = 0"

rows=$(psql "$PG_URL/scatter_shard_08" -XAtqc "SELECT count(*) FROM products" 2>/dev/null || echo 0)
if [[ $rows != 20000 ]]; then
    assets/shards/create.sh 8 20000
fi
cargo build --release --locked -q
BIN=$PWD/target/release/scatter

WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
cp assets/shards/shards.toml "$WORK/fast.toml"
# The slow config: each source gets its own query with the added latency.
awk -v pg="$PG_SLOW" -v my="$MY_SLOW" '
    { print }
    /^kind = "postgres"/ { printf "query = \"%s\"\n", pg }
    /^kind = "mysql"/ { printf "query = \"%s\"\n", my }
' assets/shards/shards.toml >"$WORK/slow.toml"

cat >"$WORK/sequential.sh" <<EOF
#!/usr/bin/env bash
# psql then mariadb, one shard after another: \$1 and \$2 are the two queries.
set -e
for i in 01 02 03 04 05 06 07 08; do
    psql "$PG_URL/scatter_shard_\$i" -XAtq -c "\$1"
done
for i in 01 02 03 04 05 06 07 08; do
    "$MY_CLIENT" ${MY_ARGS[*]} --batch scatter_shard_\$i -e "\$2"
done
EOF
chmod +x "$WORK/sequential.sh"

"$BIN" -c "$WORK/fast.toml" --once --format ndjson >"$WORK/out.ndjson" 2>"$WORK/summary.txt"
got=$(wc -l <"$WORK/out.ndjson")
[[ $got == 160000 ]] || { echo "$0: expected 160000 rows, got $got" >&2; cat "$WORK/summary.txt" >&2; exit 1; }

hyperfine --warmup 2 --runs "$RUNS" --style basic --export-json "$WORK/result.json" \
    -n scatter "$BIN -c $WORK/fast.toml --once --format ndjson --log-file $WORK/log > /dev/null 2>&1" \
    -n sequential "$WORK/sequential.sh '$QUERY' '$QUERY' > /dev/null" \
    -n scatter+200ms "$BIN -c $WORK/slow.toml --once --format ndjson --log-file $WORK/log > /dev/null 2>&1" \
    -n sequential+200ms "$WORK/sequential.sh '$PG_SLOW' '$MY_SLOW' > /dev/null"

jq -r '
    (.results | map({(.command): .mean}) | add) as $m
    | "",
      "scatter            \($m["scatter"] * 1000 | floor) ms",
      "sequential         \($m["sequential"] * 1000 | floor) ms   (scatter / sequential = \($m["scatter"] / $m["sequential"] * 100 | floor / 100); target < 0.8)",
      "scatter+200ms      \($m["scatter+200ms"] * 1000 | floor) ms   (+\(($m["scatter+200ms"] - $m["scatter"]) * 1000 | floor) ms; target <= +250 ms)",
      "sequential+200ms   \($m["sequential+200ms"] * 1000 | floor) ms"
' "$WORK/result.json"
