#!/usr/bin/env python3
"""Generates the benchmark inputs under bench/data (ignored by git).

- fanout.toml: 1,000 sim sources, 50 ms each, 100 rows each, no concurrency limit.
- csv/part-NNN.csv + csv.toml: 100 CSV files x 10,000 rows x 5 columns, sorted by a float.
- fleet.toml: 10,000 sim sources x 10 ms x 10 rows from one `each` block, sorted by price.
- fleet-1row.toml: the same with one row per source (a `count(*)` over a fleet).
- fleet-list.toml: 10,000 PostgreSQL shards from one `each` block (for --list-sources).
- groups/part-NNN.csv + groups.toml: 100 CSV files x 10,000 rows like csv/, whose `model` takes
  1,000 values (the SQL step's GROUP BY), no sort.
"""
import os
import random

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.join(HERE, "data")


def fanout():
    with open(os.path.join(DATA, "fanout.toml"), "w") as f:
        f.write('[gather]\ntimeout = "10s"\nconcurrency = 0\n[merge]\nsort = ["price"]\n')
        for i in range(1000):
            f.write(f'[[source]]\nname = "sim-{i:04}"\nkind = "sim"\nlatency = "50ms"\nrows = 100\nseed = {i}\n')


MAKERS = ["Apple", "Samsung", "Sony", "Lenovo", "Dell", "Bose", "Google", "LG"]


def parts(folder, seed, models, sort):
    """100 CSV files of 10,000 products under data/FOLDER, and data/FOLDER.toml reading them.

    `models` is how many distinct model names there are (the GROUP BY's groups); `sort` adds
    a `[merge] sort` by price."""
    os.makedirs(os.path.join(DATA, folder), exist_ok=True)
    rng = random.Random(seed)
    digits = len(str(models - 1))
    with open(os.path.join(DATA, f"{folder}.toml"), "w") as cfg:
        cfg.write('[gather]\ntimeout = "60s"\nconcurrency = 0\n')
        if sort:
            cfg.write('[merge]\nsort = ["price"]\n')
        for i in range(100):
            name = f"part-{i:03}.csv"
            path = os.path.join(DATA, folder, name)
            if not os.path.exists(path):
                with open(path, "w") as f:
                    f.write("id,maker,model,price,stock\n")
                    for j in range(10_000):
                        f.write(f"{i * 10_000 + j},{rng.choice(MAKERS)},"
                                f"M-{rng.randrange(models):0{digits}},"
                                f"{rng.uniform(1, 5000):.2f},{rng.randrange(1000)}\n")
            cfg.write(f'[[source]]\nname = "part-{i:03}"\nkind = "file"\npath = "{folder}/{name}"\n')


def csv_files():
    parts("csv", 7, 100_000, sort=True)


def groups():
    parts("groups", 11, 1000, sort=False)


def fleet():
    head = '[gather]\ntimeout = "10s"\nconcurrency = 0\n[merge]\nsort = ["price"]\n'
    block = ('[[source]]\nname = "shard-{{region}}-{{n}}"\nkind = "sim"\nlatency = "10ms"\n'
             'rows = {rows}\ntags = ["{{region}}"]\neach = {{ region = ["eu", "us"], n = "0001..5000" }}\n')
    with open(os.path.join(DATA, "fleet.toml"), "w") as f:
        f.write(head + block.format(rows=10))
    with open(os.path.join(DATA, "fleet-1row.toml"), "w") as f:
        f.write(head + block.format(rows=1))
    with open(os.path.join(DATA, "fleet-list.toml"), "w") as f:
        f.write('[[source]]\nname = "shard-{region}-{n}"\nkind = "postgres"\n'
                'url = "postgres://reader:secret@db-{region}-{n}.internal:5432/shop"\n'
                'tags = ["{region}", "prod"]\neach = { region = ["eu", "us"], n = "0001..5000" }\n')


if __name__ == "__main__":
    os.makedirs(DATA, exist_ok=True)
    fanout()
    csv_files()
    groups()
    fleet()
