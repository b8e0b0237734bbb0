#!/usr/bin/env bash
# One source at the speed of its own client (DESIGN.md §6): the same 100,000 rows x 19 mixed
# columns (bench/single_gen.py) read by scatter's `sqlite`, `postgres` and `mysql` sources
# (`--once --format csv > /dev/null`, the whole process) beside `sqlite3 -csv`, `psql --csv`
# and `mariadb -B` printing the same rows; median of RUNS runs each (hyperfine), side by side.
#
#   bench/single.sh            # needs hyperfine, sqlite3, psql, mariadb, jq
#   SCATTER_BIN=path bench/single.sh    # measure that binary instead of building one
#
# Targets: scatter <= 1.2 x sqlite3, 1.3 x psql, 1.4 x mariadb.
# The tables are created once and kept (idempotent: re-created only when their row count is
# not 100,000): bench/data/single.db, and scatter_bench_single_v1 in the PostgreSQL and
# MariaDB databases below. SINGLE_DROP=1 drops the server tables afterwards.
set -euo pipefail
cd "$(dirname "$0")/.."

RUNS=${RUNS:-10}
PG_URL=${SINGLE_PG_URL:-postgres://postgres@127.0.0.1:5432/test}
MY_URL=${SINGLE_MYSQL_URL:-mysql://root@127.0.0.1:3306/test}
read -r -a MY_ARGS <<<"${SINGLE_MYSQL_ARGS:--h 127.0.0.1 -P 3306 -u root test}"
MY_CLIENT=$(command -v mariadb || command -v mysql)
TABLE=scatter_bench_single_v1
ROWS=100000
for tool in hyperfine sqlite3 psql jq; do
    command -v "$tool" >/dev/null || { echo "$0: needs $tool" >&2; exit 1; }
done

COLUMNS="id, sku, name, category, manufacturer, price, cost, qty, weight_kg, in_stock, released, \
updated_at, rating, description, color, supplier_id, discount, ean, notes"
mkdir -p bench/data
DB=bench/data/single.db
CSV=bench/data/single.csv

# The data: generated, never downloaded; loaded where it is missing or incomplete.
if [[ ! -f $DB ]] || [[ $(sqlite3 "$DB" "SELECT count(*) FROM items" 2>/dev/null) != "$ROWS" ]]; then
    python3 bench/single_gen.py sqlite "$DB"
fi
if [[ $(psql "$PG_URL" -XAtqc "SELECT count(*) FROM $TABLE" 2>/dev/null) != "$ROWS" ]]; then
    [[ -f $CSV ]] || python3 bench/single_gen.py csv "$CSV"
    psql "$PG_URL" -Xq -v ON_ERROR_STOP=1 \
        -c "DROP TABLE IF EXISTS $TABLE" \
        -c "$(python3 bench/single_gen.py ddl postgres $TABLE)" \
        -c "\\copy $TABLE FROM '$CSV' WITH (FORMAT csv, HEADER true, NULL '\\N')" \
        -c "ANALYZE $TABLE"
fi
if [[ $("$MY_CLIENT" "${MY_ARGS[@]}" -NBe "SELECT count(*) FROM $TABLE" 2>/dev/null) != "$ROWS" ]]; then
    [[ -f $CSV ]] || python3 bench/single_gen.py csv "$CSV"
    "$MY_CLIENT" "${MY_ARGS[@]}" --local-infile=1 -e "DROP TABLE IF EXISTS $TABLE;
        $(python3 bench/single_gen.py ddl mysql $TABLE);
        LOAD DATA LOCAL INFILE '$CSV' INTO TABLE $TABLE
            FIELDS TERMINATED BY ',' OPTIONALLY ENCLOSED BY '\"' IGNORE 1 LINES;"
fi

BIN=${SCATTER_BIN:-}
if [[ -z $BIN ]]; then
    cargo build --release --locked -q
    BIN=$PWD/target/release/scatter
fi
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
QUERY_SQLITE="SELECT $COLUMNS FROM items"
QUERY_SERVER="SELECT $COLUMNS FROM $TABLE"
config() { # name kind key target query
    printf '[gather]\ntimeout = "60s"\n[[source]]\nname = "%s"\nkind = "%s"\n%s = "%s"\nquery = "%s"\n' \
        "$1" "$2" "$3" "$4" "$5" >"$WORK/$1.toml"
}
config sqlite sqlite path "$PWD/$DB" "$QUERY_SQLITE"
config postgres postgres url "$PG_URL" "$QUERY_SERVER"
config mysql mysql url "$MY_URL" "$QUERY_SERVER"

# Same rows out of each: a header and 100,000 lines (descriptions hold no newlines).
for kind in sqlite postgres mysql; do
    got=$("$BIN" -c "$WORK/$kind.toml" --once --format csv --log-file "$WORK/log" | wc -l)
    [[ $got == $((ROWS + 1)) ]] || { echo "$0: scatter $kind printed $got lines" >&2; exit 1; }
done
got=$(sqlite3 -csv -header "$DB" "$QUERY_SQLITE" | wc -l)
[[ $got == $((ROWS + 1)) ]] || { echo "$0: sqlite3 printed $got lines" >&2; exit 1; }

scatter() { echo "$BIN -c $WORK/$1.toml --once --format csv --log-file $WORK/log > /dev/null"; }
hyperfine --warmup 2 --runs "$RUNS" --style basic --export-json "$WORK/result.json" \
    -n "scatter sqlite" "$(scatter sqlite)" \
    -n "sqlite3 -csv" "sqlite3 -csv -header $DB '$QUERY_SQLITE' > /dev/null" \
    -n "scatter postgres" "$(scatter postgres)" \
    -n "psql --csv" "psql '$PG_URL' -Xq --csv -c '$QUERY_SERVER' > /dev/null" \
    -n "scatter mysql" "$(scatter mysql)" \
    -n "mariadb -B" "$MY_CLIENT ${MY_ARGS[*]} -B -e '$QUERY_SERVER' > /dev/null" >&2

echo
echo "one source vs its own client: $ROWS rows x 19 columns, median of $RUNS runs, $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
# Wall time is what the targets are about; CPU time (user + system) is printed beside it
# because it stays meaningful when other work shares the machine.
jq -r '
    (.results | map({(.command): {wall: .median, cpu: (.user + .system)}}) | add) as $m
    | def ms: . * 1000 | round | tostring | " " * (5 - length) + .;
      def pad($n): . + " " * $n | .[:$n];
      def row($kind; $client; $target):
        $m["scatter " + $kind] as $s | $m[$client] as $c | ($s.wall / $c.wall) as $ratio
        | "\($kind | pad(9)) scatter \($s.wall | ms) ms (cpu \($s.cpu | ms))   "
          + "\($client | pad(13)) \($c.wall | ms) ms (cpu \($c.cpu | ms))   "
          + "\($ratio * 100 | round / 100)x, target <= \($target)x: \(if $ratio <= $target then "ok" else "MISSED" end)";
      row("sqlite"; "sqlite3 -csv"; 1.2),
      row("postgres"; "psql --csv"; 1.3),
      row("mysql"; "mariadb -B"; 1.4)
' "$WORK/result.json"

if [[ ${SINGLE_DROP:-0} == 1 ]]; then
    psql "$PG_URL" -Xqc "DROP TABLE IF EXISTS $TABLE"
    "$MY_CLIENT" "${MY_ARGS[@]}" -e "DROP TABLE IF EXISTS $TABLE"
fi
