#!/usr/bin/env python3
"""Generates the single-source benchmark table: 100,000 rows x 19 columns of mixed types
(integers, floats, decimals, text of several lengths, booleans, dates, timestamps, nulls),
the same rows for every server.

usage: single_gen.py sqlite PATH      writes a SQLite database file (replaced if present)
       single_gen.py csv PATH         writes the rows as CSV with a header (for COPY / LOAD DATA)
       single_gen.py ddl postgres|mysql TABLE   prints CREATE TABLE for that server

Deterministic (seeded): every run writes the same rows.
"""
import csv
import datetime
import os
import random
import sqlite3
import sys

ROWS = 100_000

# name, SQLite type, PostgreSQL type, MariaDB type
COLUMNS = [
    ("id", "INTEGER", "bigint", "BIGINT"),
    ("sku", "TEXT", "text", "VARCHAR(32)"),
    ("name", "TEXT", "text", "VARCHAR(80)"),
    ("category", "TEXT", "text", "VARCHAR(32)"),
    ("manufacturer", "TEXT", "text", "VARCHAR(32)"),
    ("price", "REAL", "double precision", "DOUBLE"),
    ("cost", "NUMERIC", "numeric(10,2)", "DECIMAL(10,2)"),
    ("qty", "INTEGER", "integer", "INT"),
    ("weight_kg", "REAL", "double precision", "DOUBLE"),
    ("in_stock", "INTEGER", "boolean", "BOOLEAN"),
    ("released", "TEXT", "date", "DATE"),
    ("updated_at", "TEXT", "timestamp", "DATETIME"),
    ("rating", "REAL", "double precision", "DOUBLE"),
    ("description", "TEXT", "text", "TEXT"),
    ("color", "TEXT", "text", "VARCHAR(16)"),
    ("supplier_id", "INTEGER", "integer", "INT"),
    ("discount", "REAL", "double precision", "DOUBLE"),
    ("ean", "INTEGER", "bigint", "BIGINT"),
    ("notes", "TEXT", "text", "TEXT"),
]

CATEGORIES = ["laptop", "phone", "headphones", "tablet", "monitor", "camera", "watch", "speaker"]
MAKERS = ["Apple", "Samsung", "Sony", "Lenovo", "Dell", "Bose", "Google", "LG", "Asus", "HP"]
COLORS = ["black", "white", "silver", "blue", "red", "green", None]
WORDS = ("fast light durable compact wireless premium budget classic sleek rugged quiet bright "
         "slim smart portable refurbished").split()


def rows():
    rng = random.Random(13)
    day0 = datetime.date(2015, 1, 1)
    t0 = datetime.datetime(2024, 1, 1)
    for i in range(1, ROWS + 1):
        price = round(rng.uniform(5, 3000), 2)
        yield (
            i,
            f"SKU-{rng.randrange(10**8):08}",
            f"{rng.choice(MAKERS)} {rng.choice(WORDS).title()} {rng.randrange(1000)}",
            rng.choice(CATEGORIES),
            rng.choice(MAKERS),
            price,
            f"{price * rng.uniform(0.4, 0.9):.2f}",
            rng.randrange(0, 5000),
            round(rng.uniform(0.05, 30), 3),
            rng.random() < 0.7,
            (day0 + datetime.timedelta(days=rng.randrange(3650))).isoformat(),
            (t0 + datetime.timedelta(seconds=rng.randrange(31_536_000))).isoformat(sep=" "),
            None if rng.random() < 0.2 else round(rng.uniform(1, 5), 1),
            " ".join(rng.choice(WORDS) for _ in range(rng.randrange(4, 14))),
            rng.choice(COLORS),
            rng.randrange(1, 500),
            None if rng.random() < 0.6 else round(rng.uniform(0.05, 0.5), 2),
            4_000_000_000_000 + rng.randrange(10**12),
            None if rng.random() < 0.5 else "note " + rng.choice(WORDS),
        )


def write_sqlite(path):
    if os.path.exists(path):
        os.remove(path)
    db = sqlite3.connect(path)
    cols = ", ".join(f"{n} {t}" for n, t, _, _ in COLUMNS)
    db.execute(f"CREATE TABLE items ({cols})")
    marks = ", ".join("?" for _ in COLUMNS)
    db.executemany(f"INSERT INTO items VALUES ({marks})",
                   ((r[:9] + (int(r[9]),) + r[10:]) for r in rows()))
    db.commit()
    db.close()


def write_csv(path):
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow([c[0] for c in COLUMNS])
        for r in rows():
            w.writerow(["\\N" if v is None else (int(v) if isinstance(v, bool) else v) for v in r])


def ddl(server, table):
    column = 2 if server == "postgres" else 3
    cols = ", ".join(f"{c[0]} {c[column]}" for c in COLUMNS)
    print(f"CREATE TABLE {table} ({cols})")


if __name__ == "__main__":
    what = sys.argv[1]
    if what == "sqlite":
        write_sqlite(sys.argv[2])
    elif what == "csv":
        write_csv(sys.argv[2])
    elif what == "ddl":
        ddl(sys.argv[2], sys.argv[3])
    else:
        sys.exit(__doc__)
