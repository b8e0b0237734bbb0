#!/bin/sh
# Loads the seed scene's product catalogue, split four ways: 8 products in PostgreSQL, 8 in
# MariaDB/MySQL (table `seed_products` in each), 8 in Redis (hashes `seed:product:<n>`) and 8
# in MongoDB (collection `seed_products` of the URL's database).
# Safe to re-run: it replaces what it loaded before and touches nothing else.
#
#   assets/seed-scene/load.sh
#
# Servers (defaults: the local test servers):
#   SEED_PG_URL     postgres://postgres@127.0.0.1:5432/test
#   SEED_MYSQL_URL  mysql://root@127.0.0.1:3306/test
#   SEED_REDIS_URL  redis://127.0.0.1:6379
#   SEED_MONGO_URL  mongodb://127.0.0.1:27017/test
# Needs the psql, mysql (or mariadb) and redis-cli clients, and mongoimport or python3 with
# pymongo (`pip install pymongo`; nx-27017 brings it).
set -eu

pg_url=${SEED_PG_URL:-postgres://postgres@127.0.0.1:5432/test}
mysql_url=${SEED_MYSQL_URL:-mysql://root@127.0.0.1:3306/test}
redis_url=${SEED_REDIS_URL:-redis://127.0.0.1:6379}
mongo_url=${SEED_MONGO_URL:-mongodb://127.0.0.1:27017/test}

# mysql://user[:password]@host[:port]/db -> client options (the client takes no URL).
mysql_rest=${mysql_url#mysql://}
mysql_auth=${mysql_rest%%@*}
mysql_hostdb=${mysql_rest#*@}
mysql_user=${mysql_auth%%:*}
mysql_pass=
case $mysql_auth in *:*) mysql_pass=${mysql_auth#*:} ;; esac
mysql_hostport=${mysql_hostdb%%/*}
mysql_db=${mysql_hostdb#*/}
mysql_host=${mysql_hostport%%:*}
mysql_port=3306
case $mysql_hostport in *:*) mysql_port=${mysql_hostport#*:} ;; esac
mysql_client=$(command -v mysql || command -v mariadb)

# A URL as shown: any password masked.
shown() { echo "$1" | sed 's#://\([^:@/]*\):[^@]*@#://\1:***@#'; }

psql -q -v ON_ERROR_STOP=1 "$pg_url" <<'SQL'
SET client_min_messages = warning;
DROP TABLE IF EXISTS seed_products;
CREATE TABLE seed_products (
    id           serial PRIMARY KEY,
    type         text NOT NULL,
    manufacturer text NOT NULL,
    model        text NOT NULL,
    price        numeric(10, 2) NOT NULL
);
INSERT INTO seed_products (type, manufacturer, model, price) VALUES
    ('laptop',     'Lenovo',   'ThinkPad X1 Carbon',     1699.00),
    ('phone',      'Google',   'Pixel 8',                 699.00),
    ('headphones', 'Bose',     'QuietComfort Ultra',      429.00),
    ('monitor',    'LG',       '27UP850',                 449.99),
    ('tablet',     'Samsung',  'Galaxy Tab S9',           799.00),
    ('keyboard',   'Logitech', 'MX Keys',                 109.99),
    ('mouse',      'Logitech', 'MX Master 3S',             99.99),
    ('camera',     'Sony',     'A7 IV',                  2499.00);
SQL
echo "postgres: 8 products in seed_products ($(shown "$pg_url"))"

MYSQL_PWD=$mysql_pass "$mysql_client" -h "$mysql_host" -P "$mysql_port" -u "$mysql_user" "$mysql_db" <<'SQL'
DROP TABLE IF EXISTS seed_products;
CREATE TABLE seed_products (
    id           int AUTO_INCREMENT PRIMARY KEY,
    type         varchar(40) NOT NULL,
    manufacturer varchar(80) NOT NULL,
    model        varchar(80) NOT NULL,
    price        decimal(10, 2) NOT NULL
);
INSERT INTO seed_products (type, manufacturer, model, price) VALUES
    ('laptop',     'Apple',    'MacBook Air 13',         1199.00),
    ('phone',      'Samsung',  'Galaxy S24',              899.99),
    ('headphones', 'Sony',     'WH-1000XM5',              399.00),
    ('monitor',    'Dell',     'U2723QE',                 629.50),
    ('tablet',     'Apple',    'iPad Air',                599.00),
    ('keyboard',   'Keychron', 'K2',                       89.00),
    ('mouse',      'Razer',    'DeathAdder V3',            69.99),
    ('camera',     'Fujifilm', 'X-T5',                   1699.50);
SQL
echo "mysql: 8 products in seed_products ($mysql_host:$mysql_port/$mysql_db)"

redis() { redis-cli -u "$redis_url" "$@" >/dev/null; }
# redis-cli exits 0 even when AUTH fails: check the server answers first.
if [ "$(redis-cli -u "$redis_url" PING 2>&1 | tail -n 1)" != PONG ]; then
    echo "redis: no PONG from $(shown "$redis_url")" >&2
    exit 1
fi
# Remove an earlier load (SCAN, not KEYS, as scatter itself does).
redis-cli -u "$redis_url" --scan --pattern 'seed:product:*' | while read -r key; do
    redis UNLINK "$key"
done
n=0
while IFS='|' read -r type manufacturer model price; do
    n=$((n + 1))
    redis HSET "seed:product:$n" type "$type" manufacturer "$manufacturer" model "$model" price "$price"
done <<'DATA'
laptop|Framework|Laptop 13|1049.00
phone|Fairphone|Fairphone 5|699.50
headphones|Sennheiser|Momentum 4|349.00
monitor|Asus|ProArt PA278QV|329.00
tablet|Microsoft|Surface Go 4|579.99
keyboard|Ducky|One 3|119.00
mouse|Apple|Magic Mouse|79.00
camera|Canon|EOS R8|1399.00
DATA
echo "redis: $n products as hashes seed:product:1..$n ($(shown "$redis_url"))"

# MongoDB: one JSON document per line, replacing the collection.
mongo_products() {
    cat <<'DATA'
{"type": "laptop", "manufacturer": "Dell", "model": "XPS 13", "price": 1299.0}
{"type": "phone", "manufacturer": "OnePlus", "model": "OnePlus 12", "price": 799.0}
{"type": "headphones", "manufacturer": "Apple", "model": "AirPods Max", "price": 549.0}
{"type": "monitor", "manufacturer": "BenQ", "model": "PD2705U", "price": 499.99}
{"type": "tablet", "manufacturer": "Lenovo", "model": "Tab P12", "price": 349.0}
{"type": "keyboard", "manufacturer": "Razer", "model": "BlackWidow V4", "price": 169.99}
{"type": "mouse", "manufacturer": "Microsoft", "model": "Arc Mouse", "price": 59.99}
{"type": "camera", "manufacturer": "Nikon", "model": "Z6 II", "price": 1599.0}
DATA
}
if command -v mongoimport >/dev/null 2>&1; then
    mongo_products | mongoimport --quiet --uri "$mongo_url" --collection seed_products --drop
elif python3 -c 'import pymongo' 2>/dev/null; then
    mongo_products | python3 -c '
import json, sys
from pymongo import MongoClient
from pymongo.errors import PyMongoError
docs = [json.loads(line) for line in sys.stdin if line.strip()]
try:
    db = MongoClient(sys.argv[1], serverSelectionTimeoutMS=5000).get_default_database()
    db.seed_products.drop()
    db.seed_products.insert_many(docs)
except PyMongoError as e:
    sys.exit(f"mongodb: {e}".splitlines()[0])
' "$mongo_url"
else
    echo "mongodb: needs mongoimport, or python3 with pymongo (pip install pymongo)" >&2
    exit 1
fi
echo "mongodb: 8 products in seed_products ($(shown "$mongo_url"))"
