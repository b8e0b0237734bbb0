#!/usr/bin/env bash
# Creates N shard databases on the local PostgreSQL and N on the local MariaDB, each with the same
# `products` table holding different rows (ROWS per shard) and a few awkward types: NUMERIC,
# timestamps with time zone, JSON, bytes, NULLs and non-ASCII text.
#
#   assets/shards/create.sh [N] [ROWS]      # default: 8 shards of 20000 rows on each server
#   assets/shards/create.sh --drop [N]      # remove them again
#
# Databases are named scatter_shard_01 .. scatter_shard_NN on both servers; ids are
# shard * 1000000 + n on PostgreSQL and (shard + 50) * 1000000 + n on MariaDB, so no two shards
# hold the same row.
# Connection settings (defaults fit a local install with trust / socket auth):
#   SHARDS_PG_URL      postgres://postgres@127.0.0.1:5432   (no database part)
#   SHARDS_MYSQL_ARGS  "-h 127.0.0.1 -P 3306 -u root"       (extra args for the mariadb client)
# Needs `psql` and `mariadb` (or `mysql`); MariaDB's sequence engine (seq_1_to_N) makes the rows.
set -euo pipefail

PG_URL=${SHARDS_PG_URL:-postgres://postgres@127.0.0.1:5432}
read -r -a MY_ARGS <<<"${SHARDS_MYSQL_ARGS:--h 127.0.0.1 -P 3306 -u root}"
MY_CLIENT=$(command -v mariadb || command -v mysql || true)

drop=0
if [[ ${1:-} == --drop ]]; then
    drop=1
    shift
fi
N=${1:-8}
ROWS=${2:-20000}
[[ $N =~ ^[0-9]+$ && $ROWS =~ ^[0-9]+$ && $N -ge 1 && $N -le 99 ]] ||
    { echo "usage: $0 [--drop] [N (1-99)] [ROWS]" >&2; exit 2; }
command -v psql >/dev/null || { echo "$0: psql not found" >&2; exit 1; }
[[ -n $MY_CLIENT ]] || { echo "$0: neither mariadb nor mysql client found" >&2; exit 1; }

pg() { psql "$PG_URL/$1" -v ON_ERROR_STOP=1 -qAt "${@:2}"; }
my() { "$MY_CLIENT" "${MY_ARGS[@]}" --default-character-set=utf8mb4 --batch --skip-column-names "$@"; }

pg_shard() { # $1 shard number, $2 database
    pg postgres -c "DROP DATABASE IF EXISTS $2" -c "CREATE DATABASE $2"
    pg "$2" <<SQL
CREATE TABLE products (
    id          bigint PRIMARY KEY,
    sku         text NOT NULL,
    type        text NOT NULL,
    manufacturer text NOT NULL,
    model       text NOT NULL,
    price       numeric(10, 2),
    weight_kg   double precision,
    in_stock    boolean NOT NULL,
    released    date,
    updated_at  timestamptz,
    specs       jsonb,
    thumbnail   bytea,
    notes       text
);
INSERT INTO products
SELECT $1 * 1000000 + g,
       format('SKU-%s-%s', $1, g),
       (ARRAY['headphones','speaker','keyboard','mouse','monitor','webcam'])[1 + (g + $1) % 6],
       (ARRAY['Sony','Bose','Logitech','Sennheiser','Keychron','Dell','Ålborg Audio','大阪電機'])[1 + (g * 3 + $1) % 8],
       format('M-%s · shard %s', g, $1),
       CASE WHEN g % 97 = 0 THEN NULL ELSE ((g * 7919 + $1 * 104729) % 100000) / 100.0 END,
       CASE WHEN g % 11 = 0 THEN NULL ELSE ((g * 31) % 5000) / 1000.0 END,
       g % 3 <> 0,
       date '2015-01-01' + (g * 13 + $1) % 3650,
       timestamptz '2024-01-01 00:00:00+00' + ((g * 97 + $1) % 31536000) * interval '1 second',
       jsonb_build_object('color', (ARRAY['black','white','red'])[1 + g % 3], 'ports', g % 4,
                          'tags', jsonb_build_array('shard-$1', g % 5)),
       CASE WHEN g % 5 = 0 THEN NULL ELSE decode('89504e470d0a1a0a' || md5(g::text), 'hex') END,
       CASE WHEN g % 7 = 0 THEN 'note «' || g || '» 🚚' END
FROM generate_series(1, $ROWS) g;
ANALYZE products;
SQL
}

my_shard() { # $1 shard number, $2 database
    my -e "DROP DATABASE IF EXISTS $2; CREATE DATABASE $2 CHARACTER SET utf8mb4"
    my "$2" <<SQL
SET time_zone = '+00:00';
CREATE TABLE products (
    id           BIGINT PRIMARY KEY,
    sku          VARCHAR(40) NOT NULL,
    type         VARCHAR(20) NOT NULL,
    manufacturer VARCHAR(40) NOT NULL,
    model        VARCHAR(60) NOT NULL,
    price        DECIMAL(10, 2),
    weight_kg    DOUBLE,
    in_stock     BOOLEAN NOT NULL,
    released     DATE,
    updated_at   TIMESTAMP(6) NULL,
    specs        JSON,
    thumbnail    VARBINARY(32),
    notes        TEXT
) CHARACTER SET utf8mb4;
INSERT INTO products
SELECT $1 * 1000000 + g,
       CONCAT('SKU-', $1, '-', g),
       ELT(1 + (g + $1) % 6, 'headphones','speaker','keyboard','mouse','monitor','webcam'),
       ELT(1 + (g * 3 + $1) % 8, 'Sony','Bose','Logitech','Sennheiser','Keychron','Dell','Ålborg Audio','大阪電機'),
       CONCAT('M-', g, ' · shard ', $1),
       IF(g % 97 = 0, NULL, ((g * 7919 + $1 * 104729) % 100000) / 100),
       IF(g % 11 = 0, NULL, ((g * 31) % 5000) / 1000),
       g % 3 <> 0,
       DATE '2015-01-01' + INTERVAL ((g * 13 + $1) % 3650) DAY,
       TIMESTAMP '2024-01-01 00:00:00' + INTERVAL ((g * 97 + $1) % 31536000) SECOND,
       JSON_OBJECT('color', ELT(1 + g % 3, 'black','white','red'), 'ports', g % 4,
                   'tags', JSON_ARRAY('shard-$1', g % 5)),
       IF(g % 5 = 0, NULL, UNHEX(CONCAT('89504e470d0a1a0a', MD5(g)))),
       IF(g % 7 = 0, CONCAT('note «', g, '» 🚚'), NULL)
FROM (SELECT seq AS g FROM seq_1_to_$ROWS) AS s;
ANALYZE TABLE products;
SQL
}

for i in $(seq 1 "$N"); do
    db=$(printf 'scatter_shard_%02d' "$i")
    if ((drop)); then
        pg postgres -c "DROP DATABASE IF EXISTS $db"
        my -e "DROP DATABASE IF EXISTS $db"
        echo "dropped $db"
        continue
    fi
    pg_shard "$i" "$db" &
    pg_job=$!
    my_shard "$((i + 50))" "$db" >/dev/null &
    my_job=$!
    wait "$pg_job" || { echo "$0: PostgreSQL shard $db failed" >&2; exit 1; }
    wait "$my_job" || { echo "$0: MariaDB shard $db failed" >&2; exit 1; }
    echo "created $db on PostgreSQL and MariaDB ($ROWS rows each)"
done
