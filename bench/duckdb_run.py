#!/usr/bin/env python3
"""DuckDB, the peer of the CSV benchmarks, as a whole process like scatter (Python start-up and
`import duckdb` included: `--import-only` measures that part alone).

usage: duckdb_run.py merge DIR     read_csv(DIR/*.csv) ORDER BY price, every row as NDJSON to stdout
       duckdb_run.py groups DIR    read_csv(DIR/*.csv) GROUP BY model: count, sum and avg of price
       duckdb_run.py --import-only
"""
import sys

import duckdb

if sys.argv[1] == "--import-only":
    sys.exit(0)
what, folder = sys.argv[1], sys.argv[2]
files = f"read_csv('{folder}/*.csv')"
if what == "merge":
    duckdb.sql(f"COPY (SELECT * FROM {files} ORDER BY price) TO '/dev/stdout' (FORMAT JSON)")
else:
    rows = duckdb.sql(
        f"SELECT model, count(*) AS n, sum(price) AS total, avg(price) AS mean "
        f"FROM {files} GROUP BY model ORDER BY model"
    ).fetchall()
    for row in rows:
        print(*row, sep=",")
