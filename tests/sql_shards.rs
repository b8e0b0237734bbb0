//! End to end over 16 local shards (8 PostgreSQL, 8 MariaDB tables of one schema, different
//! rows): the binary's `--sql` GROUP BY over the gather is checked against the same query run
//! by PostgreSQL on one table that holds every shard's rows.

mod db_common;

use std::fmt::Write as _;
use std::process::Command;

use sqlx::{Connection, Executor, MySqlConnection, PgConnection, Row};

const SHARDS: usize = 8;
const ROWS: usize = 300;
const TYPES: [&str; 5] = ["headphones", "speaker", "keyboard", "mouse", "monitor"];

/// The rows of shard `s` (0-based, 16 in all): `(id, type, qty, price)`, each shard weighted
/// differently so that per-shard averages differ from the true average.
fn rows(s: usize) -> Vec<(i64, &'static str, i64, f64)> {
    (0..ROWS + s * 17)
        .map(|i| {
            let id = (s * 100_000 + i) as i64;
            let t = TYPES[(i * (s + 1) + s) % TYPES.len()];
            let qty = ((i * 7 + s * 3) % 50) as i64;
            let price = ((i * 13 + s * 101) % 1000) as f64 / 4.0;
            (id, t, qty, price)
        })
        .collect()
}

fn insert(table: &str, rows: &[(i64, &str, i64, f64)]) -> String {
    let mut sql = format!("INSERT INTO {table} (id, type, qty, price) VALUES ");
    for (i, (id, t, qty, price)) in rows.iter().enumerate() {
        if i > 0 {
            sql.push(',');
        }
        let _ = write!(sql, "({id}, '{t}', {qty}, {price})");
    }
    sql
}

const SCHEMA: &str = "(id BIGINT PRIMARY KEY, type VARCHAR(20) NOT NULL, qty BIGINT NOT NULL, \
                      price DOUBLE PRECISION NOT NULL)";

const QUERY: &str = "SELECT type, count(*) AS n, sum(qty) AS qty, avg(price) AS mean \
                     FROM results GROUP BY type ORDER BY type";

#[tokio::test]
async fn a_group_by_over_16_shards_equals_the_same_query_over_one_table() {
    let (Some(pg), Some(my)) = (
        db_common::url("SCATTER_TEST_PG_URL"),
        db_common::url("SCATTER_TEST_MYSQL_URL"),
    ) else {
        return;
    };
    let prefix = db_common::unique("sqlshard");
    let all = format!("{prefix}_all");
    let mut pg_conn = PgConnection::connect(&pg).await.unwrap();
    let mut my_conn = MySqlConnection::connect(&my).await.unwrap();
    pg_conn
        .execute(format!("DROP TABLE IF EXISTS {all}; CREATE TABLE {all} {SCHEMA}").as_str())
        .await
        .unwrap();
    let mut config = String::from("query = \"SELECT 1\"\n[gather]\nconcurrency = 16\n");
    for s in 0..2 * SHARDS {
        let table = format!("{prefix}_{s:02}");
        let rows = rows(s);
        let (kind, url) = if s < SHARDS {
            let create = format!("DROP TABLE IF EXISTS {table}; CREATE TABLE {table} {SCHEMA}");
            pg_conn.execute(create.as_str()).await.unwrap();
            pg_conn
                .execute(insert(&table, &rows).as_str())
                .await
                .unwrap();
            ("postgres", &pg)
        } else {
            my_conn
                .execute(format!("DROP TABLE IF EXISTS {table}").as_str())
                .await
                .unwrap();
            my_conn
                .execute(format!("CREATE TABLE {table} {SCHEMA}").as_str())
                .await
                .unwrap();
            my_conn
                .execute(insert(&table, &rows).as_str())
                .await
                .unwrap();
            ("mysql", &my)
        };
        pg_conn.execute(insert(&all, &rows).as_str()).await.unwrap();
        let _ = write!(
            config,
            "[[source]]\nname = \"shard-{s:02}\"\nkind = \"{kind}\"\nurl = \"{url}\"\n\
             query = \"SELECT id, type, qty, price FROM {table}\"\n"
        );
    }
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("shards.toml"), &config).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_scatter"))
        .current_dir(dir.path())
        .args(["-c", "shards.toml", "--format", "json", "--sql", QUERY])
        .arg("--log-file")
        .arg(dir.path().join("scatter.log"))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        v["sql"]["covers"],
        serde_json::json!({"sources": 16, "of": 16})
    );
    let got = v["rows"].as_array().unwrap();

    // The same query; PostgreSQL's sum of a bigint is a numeric, cast back for the comparison.
    let direct = QUERY
        .replace("results", &all)
        .replace("sum(qty) AS qty", "sum(qty)::bigint AS qty");
    let direct = pg_conn.fetch_all(direct.as_str()).await.unwrap();
    assert_eq!(got.len(), direct.len());
    assert_eq!(got.len(), TYPES.len());
    for (g, d) in got.iter().zip(&direct) {
        assert_eq!(g["type"], d.get::<String, _>("type"));
        assert_eq!(g["n"], d.get::<i64, _>("n"));
        assert_eq!(g["qty"], d.get::<i64, _>("qty"));
        let (mean, want) = (g["mean"].as_f64().unwrap(), d.get::<f64, _>("mean"));
        assert!(
            (mean - want).abs() < 1e-9 * want.abs().max(1.0),
            "{mean} vs {want}"
        );
    }
    let total: i64 = got.iter().map(|r| r["n"].as_i64().unwrap()).sum();
    let expected: usize = (0..2 * SHARDS).map(|s| rows(s).len()).sum();
    assert_eq!(total, expected as i64);

    for s in 0..2 * SHARDS {
        let drop = format!("DROP TABLE IF EXISTS {prefix}_{s:02}");
        if s < SHARDS {
            pg_conn.execute(drop.as_str()).await.unwrap();
        } else {
            my_conn.execute(drop.as_str()).await.unwrap();
        }
    }
    pg_conn
        .execute(format!("DROP TABLE {all}").as_str())
        .await
        .unwrap();
}
