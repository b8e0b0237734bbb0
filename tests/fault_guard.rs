//! Faults: hostile query text against the one-statement guard, on the real servers. Each
//! string holds a `DELETE` that some reading of it runs as a second statement; with
//! `--allow-writes` on (only the one-statement rule stands) every one must be refused and the
//! table must keep its row. A canary shows each server really runs such text as two
//! statements when it is sent as it is, so the check would catch a guard that let one through.

mod db_common;

use std::fmt::Write as _;

use db_common::{config, gather_once, outcome, unique};
use futures_util::future::BoxFuture;
use scatter::source::{Outcome, SourceError};
use sqlx::mysql::MySqlQueryResult;
use sqlx::postgres::PgQueryResult;
use sqlx::{Connection, Executor, MySqlConnection, PgConnection};

/// Strings whose `DELETE FROM {t}` PostgreSQL runs as a second statement.
const POSTGRES: &[&str] = &[
    r"SELECT 'C:\'; DELETE FROM {t}; --'",
    r"SELECT E'\''; DELETE FROM {t}; --'",
    "SELECT $tag$ a $tag$; DELETE FROM {t}",
    "SELECT 1 -- ;\n; DELETE FROM {t}",
];

/// Strings whose `DELETE FROM {t}` MySQL or MariaDB runs as a second statement (the first
/// with `NO_BACKSLASH_ESCAPES`), or that a reading of the text as code splits (MariaDB 10.11
/// refuses a `;` inside `/*! */` whole, but a guard may not count on that).
const MYSQL: &[&str] = &[
    r"SELECT 'C:\'; DELETE FROM {t}; -- '",
    "SELECT 1 /*! ; DELETE FROM {t}; -- */",
    "SELECT 1 /*M!100100 ; DELETE FROM {t}; -- */",
    "SELECT 1 --1; DELETE FROM {t}",
    "SELECT $$a; DELETE FROM {t}; SELECT $$",
    "SELECT 1 /* /* */ ; DELETE FROM {t}; -- */",
];

/// Strings whose `DELETE FROM {t}` SQLite runs as a second statement.
const SQLITE: &[&str] = &[
    r"SELECT 'C:\'; DELETE FROM {t}; --'",
    "SELECT 1 /* /* */ ; DELETE FROM {t}; -- */",
    "SELECT $tag$ a $tag$; DELETE FROM {t}",
    "SELECT 1 --1\n; DELETE FROM {t}",
];

/// A config with one source of `kind` at `target` per hostile string, writes allowed.
fn hostile_config(kind: &str, target: &str, table: &str, strings: &[&str]) -> String {
    let mut toml = String::from("allow_writes = true\n[gather]\ntimeout = \"10s\"\n");
    for (i, s) in strings.iter().enumerate() {
        let query = s.replace("{t}", table);
        let _ = write!(
            toml,
            "[[source]]\nname = \"s{i}\"\nkind = \"{kind}\"\n{target}\nquery = '''{query}'''\n"
        );
    }
    toml
}

async fn assert_all_refused(toml: &str, strings: &[&str]) {
    let config = config(toml);
    let (result, _) = gather_once(&config).await;
    for (i, s) in strings.iter().enumerate() {
        match outcome(&result, &format!("s{i}")) {
            Outcome::Error(e) if matches!(**e, SourceError::Refused(_)) => {}
            other => panic!("{s:?} was not refused: {other:?}"),
        }
    }
}

#[tokio::test]
async fn postgres_refuses_every_hostile_string_and_keeps_the_row() {
    let Some(url) = db_common::url("SCATTER_TEST_PG_URL") else {
        return;
    };
    let table = unique("guard_pg");
    let canary = unique("guard_pg_canary");
    let mut admin = PgConnection::connect(&url).await.expect("admin");
    for t in [&table, &canary] {
        pg(
            &mut admin,
            &format!(
                "DROP TABLE IF EXISTS {t}; CREATE TABLE {t} (id int); INSERT INTO {t} VALUES (1)"
            ),
        )
        .await;
    }
    // Sent as it is, the text runs both statements.
    pg(&mut admin, &POSTGRES[0].replace("{t}", &canary)).await;
    assert_eq!(
        pg_count(&mut admin, &canary).await,
        0,
        "the canary row survived"
    );

    let target = format!("url = \"{url}\"");
    assert_all_refused(
        &hostile_config("postgres", &target, &table, POSTGRES),
        POSTGRES,
    )
    .await;
    assert_eq!(pg_count(&mut admin, &table).await, 1);
    pg(
        &mut admin,
        &format!("DROP TABLE {table}; DROP TABLE {canary}"),
    )
    .await;
}

#[tokio::test]
async fn mysql_refuses_every_hostile_string_and_keeps_the_row() {
    let Some(url) = db_common::url("SCATTER_TEST_MYSQL_URL") else {
        return;
    };
    let table = unique("guard_my");
    let canary = unique("guard_my_canary");
    let mut admin = MySqlConnection::connect(&url).await.expect("admin");
    for t in [&table, &canary] {
        my(&mut admin, &format!("DROP TABLE IF EXISTS {t}")).await;
        my(&mut admin, &format!("CREATE TABLE {t} (id int)")).await;
        my(&mut admin, &format!("INSERT INTO {t} VALUES (1)")).await;
    }
    // The driver sends multi-statement text, and the server runs the hidden DELETE.
    my(&mut admin, &MYSQL[3].replace("{t}", &canary)).await;
    assert_eq!(
        my_count(&mut admin, &canary).await,
        0,
        "the canary row survived"
    );

    let target = format!("url = \"{url}\"");
    assert_all_refused(&hostile_config("mysql", &target, &table, MYSQL), MYSQL).await;
    assert_eq!(my_count(&mut admin, &table).await, 1);
    my(&mut admin, &format!("DROP TABLE {table}, {canary}")).await;
}

#[tokio::test]
async fn sqlite_refuses_every_hostile_string_and_keeps_the_row() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("guard.db");
    let admin = rusqlite::Connection::open(&path).expect("admin");
    for t in ["t", "canary"] {
        lite(
            &admin,
            &format!("CREATE TABLE {t} (id int); INSERT INTO {t} VALUES (1)"),
        );
    }
    lite(&admin, &SQLITE[0].replace("{t}", "canary"));
    assert_eq!(lite_count(&admin, "canary"), 0, "the canary row survived");

    let target = format!("path = '''{}'''", path.display());
    assert_all_refused(&hostile_config("sqlite", &target, "t", SQLITE), SQLITE).await;
    assert_eq!(lite_count(&admin, "t"), 1);
}

async fn pg(conn: &mut PgConnection, sql: &str) {
    let run: BoxFuture<'_, Result<PgQueryResult, sqlx::Error>> = conn.execute(sql);
    run.await.unwrap_or_else(|e| panic!("{sql}: {e}"));
}

async fn pg_count(conn: &mut PgConnection, table: &str) -> i64 {
    let sql = format!("SELECT count(*) FROM {table}");
    let run: BoxFuture<'_, Result<i64, sqlx::Error>> =
        Box::pin(sqlx::query_scalar(&sql).fetch_one(conn));
    run.await.expect("count")
}

async fn my(conn: &mut MySqlConnection, sql: &str) {
    let run: BoxFuture<'_, Result<MySqlQueryResult, sqlx::Error>> = conn.execute(sql);
    run.await.unwrap_or_else(|e| panic!("{sql}: {e}"));
}

async fn my_count(conn: &mut MySqlConnection, table: &str) -> i64 {
    let sql = format!("SELECT COUNT(*) FROM {table}");
    let run: BoxFuture<'_, Result<i64, sqlx::Error>> =
        Box::pin(sqlx::query_scalar(&sql).fetch_one(conn));
    run.await.expect("count")
}

fn lite(conn: &rusqlite::Connection, sql: &str) {
    conn.execute_batch(sql)
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
}

fn lite_count(conn: &rusqlite::Connection, table: &str) -> i64 {
    let sql = format!("SELECT count(*) FROM {table}");
    conn.query_row(&sql, [], |row| row.get(0)).expect("count")
}
