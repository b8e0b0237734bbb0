//! The `postgres` source against a real PostgreSQL (`SCATTER_TEST_PG_URL`): typed values,
//! streaming, server-side cancellation, read-only sessions, error messages, session reuse.

mod db_common;

use std::sync::Arc;
use std::time::Duration;

use arrow_array::cast::AsArray;
use arrow_array::types::TimestampMicrosecondType;
use arrow_cast::display::array_value_to_string;
use arrow_schema::{DataType, TimeUnit};
use db_common::{config, error, gather, gather_once, outcome, unique};
use futures_util::future::BoxFuture;
use scatter::engine::Plan;
use scatter::source::{Outcome, TimeoutCause};
use sqlx::postgres::PgQueryResult;
use sqlx::{Connection, Executor, PgConnection};

const URL: &str = "SCATTER_TEST_PG_URL";

async fn admin(url: &str) -> PgConnection {
    PgConnection::connect(url).await.expect("admin connection")
}

async fn exec(conn: &mut PgConnection, sql: &str) {
    let run: BoxFuture<'_, Result<PgQueryResult, sqlx::Error>> = conn.execute(sql);
    run.await.unwrap_or_else(|e| panic!("{sql}: {e}"));
}

async fn scalar(conn: &mut PgConnection, sql: &str) -> i64 {
    let run: BoxFuture<'_, Result<i64, sqlx::Error>> =
        Box::pin(sqlx::query_scalar(sql).fetch_one(conn));
    run.await.unwrap_or_else(|e| panic!("{sql}: {e}"))
}

fn source(name: &str, url: &str, query: &str, timeout: &str) -> String {
    let query = query.replace('\\', "\\\\").replace('"', "\\\"");
    format!(
        "[[source]]\nname = \"{name}\"\nkind = \"postgres\"\nurl = \"{url}\"\n\
         query = \"{query}\"\ntimeout = \"{timeout}\"\n"
    )
}

#[tokio::test]
async fn typed_values_round_trip_into_the_merged_table() {
    let Some(url) = db_common::url(URL) else {
        return;
    };
    let table = unique("db_pg_types");
    let mut conn = admin(&url).await;
    exec(&mut conn, &format!("DROP TABLE IF EXISTS {table}")).await;
    exec(
        &mut conn,
        &format!(
            "CREATE TABLE {table} (id int8, small int2, price numeric(10,2), exact numeric, \
             ratio float8, name text, ok bool, day date, at timestamp, at_tz timestamptz, \
             doc jsonb, raw bytea, span interval);
             INSERT INTO {table} VALUES
             (1, 7, 19.99, 12345678901234567890.125, 0.5, 'Ünïcødé ✓ \"q\"', true, '2024-02-29',
              '2024-02-29 12:00:00.25', '2024-02-29 12:00:00+02', '{{\"k\": [1, 2]}}',
              '\\x00ff', '1 day 02:00:00'),
             (2, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL)"
        ),
    )
    .await;
    let cfg = config(&format!(
        "[merge]\nsort = [\"id\"]\n{}",
        source(
            "pg",
            &url,
            &format!("SELECT * FROM {table} ORDER BY id"),
            "10s"
        )
    ));
    let (result, _) = gather_once(&cfg).await;
    exec(&mut conn, &format!("DROP TABLE {table}")).await;
    assert_eq!(outcome(&result, "pg"), &Outcome::Ok);
    let merged = db_common::merged(&result, &cfg).batch;
    let ts = DataType::Timestamp(TimeUnit::Microsecond, Some("+00:00".into()));
    let wall_clock = DataType::Timestamp(TimeUnit::Microsecond, None);
    let want = [
        ("id", DataType::Int64, "1"),
        ("small", DataType::Int64, "7"),
        ("price", DataType::Float64, "19.99"),
        ("exact", DataType::Utf8, "12345678901234567890.125"),
        ("ratio", DataType::Float64, "0.5"),
        ("name", DataType::Utf8, "Ünïcødé ✓ \"q\""),
        ("ok", DataType::Boolean, "true"),
        ("day", DataType::Date32, "2024-02-29"),
        ("at", wall_clock, "2024-02-29T12:00:00.250"),
        ("at_tz", ts, "2024-02-29T10:00:00Z"),
        ("doc", DataType::Utf8, "{\"k\": [1, 2]}"),
        ("raw", DataType::Binary, "00ff"),
        ("span", DataType::Utf8, "1 day 02:00:00"),
    ];
    assert_eq!(merged.num_rows(), 2);
    for (i, (name, data_type, value)) in want.iter().enumerate() {
        let field = merged.schema().field(i).clone();
        assert_eq!(
            (field.name().as_str(), field.data_type()),
            (*name, data_type)
        );
        let col = merged.column(i);
        assert_eq!(array_value_to_string(col, 0).unwrap(), *value, "{name}");
        if *name != "id" {
            assert!(col.is_null(1), "{name} of row 2 is NULL");
        }
    }
    let at_tz = merged.column(9).as_primitive::<TimestampMicrosecondType>();
    assert_eq!(
        at_tz.value(0),
        1_709_200_800_000_000,
        "instant kept exactly"
    );
}

#[tokio::test]
async fn rows_stream_into_the_sink_while_a_large_result_arrives() {
    let Some(url) = db_common::url(URL) else {
        return;
    };
    let query = "SELECT g AS n, md5(g::text) AS h FROM generate_series(1, 20000) g";
    let cfg = config(&source("big", &url, query, "20s"));
    let (result, events) = gather_once(&cfg).await;
    assert_eq!(outcome(&result, "big"), &Outcome::Ok);
    assert_eq!(result.reports[0].rows, 20_000);
    let counts = db_common::progress(&events, 0);
    assert!(
        counts.first().is_some_and(|&n| n > 0 && n < 20_000),
        "the count climbs before the end: {counts:?}"
    );
}

/// Active statements on the server whose text holds `marker`.
async fn active(conn: &mut PgConnection, marker: &str) -> i64 {
    scalar(
        conn,
        &format!(
            "SELECT count(*) FROM pg_stat_activity WHERE state = 'active' \
             AND pid <> pg_backend_pid() AND query LIKE '%{marker}%'"
        ),
    )
    .await
}

#[tokio::test]
async fn a_timed_out_statement_is_cancelled_on_the_server() {
    let Some(url) = db_common::url(URL) else {
        return;
    };
    let marker = unique("db_pg_sleep_marker");
    let query = format!("SELECT pg_sleep(30) AS {marker}");
    let cfg = config(&source("sleepy", &url, &query, "1s"));
    let started = std::time::Instant::now();
    let (result, _) = gather_once(&cfg).await;
    let took = started.elapsed();
    assert_eq!(
        outcome(&result, "sleepy"),
        &Outcome::Timeout {
            limit: Duration::from_secs(1),
            cause: TimeoutCause::Source
        }
    );
    assert!(
        took > Duration::from_millis(900) && took < Duration::from_secs(4),
        "about 1 s: {took:?}"
    );
    let mut conn = admin(&url).await;
    let gone = db_common::eventually(Duration::from_secs(1), async || {
        active(&mut conn, &marker).await == 0
    })
    .await;
    assert!(
        gone,
        "pg_sleep still running on the server after the timeout"
    );
}

#[tokio::test]
async fn fail_fast_cancels_the_other_statement_on_the_server() {
    let Some(url) = db_common::url(URL) else {
        return;
    };
    let marker = unique("db_pg_failfast_marker");
    let cfg = config(&format!(
        "[gather]\nmode = \"fail-fast\"\n{}{}",
        source(
            "slow",
            &url,
            &format!("SELECT pg_sleep(30) AS {marker}"),
            "20s"
        ),
        source("broken", &url, "SELECT 1 FROM db_pg_no_such_table", "20s"),
    ));
    let (result, _) = gather_once(&cfg).await;
    assert!(result.aborted);
    assert!(matches!(outcome(&result, "slow"), Outcome::Cancelled(_)));
    let mut conn = admin(&url).await;
    assert_eq!(
        active(&mut conn, &marker).await,
        0,
        "cancelled on the server"
    );
}

#[tokio::test]
async fn writes_are_refused_unless_allowed() {
    let Some(url) = db_common::url(URL) else {
        return;
    };
    let table = unique("db_pg_writes");
    let mut conn = admin(&url).await;
    exec(&mut conn, &format!("DROP TABLE IF EXISTS {table}")).await;
    exec(
        &mut conn,
        &format!(
            "CREATE TABLE {table} (id int); INSERT INTO {table} VALUES (1); \
             CREATE OR REPLACE FUNCTION {table}_wipe() RETURNS int LANGUAGE sql \
             AS 'DELETE FROM {table} RETURNING 1'"
        ),
    )
    .await;
    let refused = [
        (
            "insert",
            format!("INSERT INTO {table} VALUES (2)"),
            "refused: INSERT writes",
        ),
        (
            "update",
            format!("UPDATE {table} SET id = 3"),
            "refused: UPDATE writes",
        ),
        (
            "delete",
            format!("DELETE FROM {table}"),
            "refused: DELETE writes",
        ),
        (
            "multi",
            format!("SELECT 1; DELETE FROM {table}"),
            "refused: the query holds 2",
        ),
        (
            "set",
            "SET default_transaction_read_only = off".into(),
            "refused: SET changes",
        ),
        (
            "cte",
            format!("WITH d AS (DELETE FROM {table} RETURNING id) SELECT * FROM d"),
            "refused: DELETE (line 1, column 12) writes",
        ),
        // A write the client guard cannot see: only the read-only session stops it.
        (
            "function",
            format!("SELECT {table}_wipe()"),
            "cannot execute DELETE in a read-only transaction",
        ),
    ];
    let sources: String = refused
        .iter()
        .map(|(name, q, _)| source(name, &url, q, "10s"))
        .collect();
    let (result, _) = gather_once(&config(&sources)).await;
    for (name, _, want) in &refused {
        let got = error(&result, name);
        assert!(got.starts_with(want), "{name}: {got}");
    }
    let rows = format!("SELECT count(*) * 100 + sum(id) FROM {table}");
    assert_eq!(scalar(&mut conn, &rows).await, 101, "nothing changed");

    let writes = format!(
        "allow_writes = true\n{}{}",
        source(
            "insert",
            &url,
            &format!("INSERT INTO {table} VALUES (2)"),
            "10s"
        ),
        source(
            "multi",
            &url,
            &format!("SELECT 1; DELETE FROM {table}"),
            "10s"
        ),
    );
    let (result, _) = gather_once(&config(&writes)).await;
    assert_eq!(outcome(&result, "insert"), &Outcome::Ok);
    assert!(error(&result, "multi").starts_with("refused: the query holds 2"));
    assert_eq!(scalar(&mut conn, &rows).await, 203, "the insert alone ran");
    exec(
        &mut conn,
        &format!("DROP TABLE {table}; DROP FUNCTION {table}_wipe()"),
    )
    .await;
}

#[tokio::test]
async fn each_failure_has_its_own_short_message() {
    let Some(url) = db_common::url(URL) else {
        return;
    };
    let parsed = url::Url::parse(&url).expect("test URL parses");
    let host = parsed.host_str().expect("host");
    let port = db_common::closed_port();
    let mut refused = parsed.clone();
    refused.set_port(Some(port)).unwrap();
    let mut stranger = parsed.clone();
    stranger.set_username("db_pg_nobody").unwrap();
    stranger.set_password(Some("hunter2-secret")).unwrap();
    let mut no_db = parsed.clone();
    no_db.set_path("db_pg_no_such_db");
    let cfg = config(&format!(
        "{}{}{}{}{}",
        source("refused", refused.as_str(), "SELECT 1", "10s"),
        source("auth", stranger.as_str(), "SELECT 1", "10s"),
        source("nodb", no_db.as_str(), "SELECT 1", "10s"),
        source("syntax", &url, "SELECT * FROM WHERE", "10s"),
        source("missing", &url, "SELECT * FROM db_pg_nope", "10s"),
    ));
    let (result, _) = gather_once(&cfg).await;
    assert_eq!(
        error(&result, "refused"),
        format!("connection refused: {host}:{port}")
    );
    let auth = error(&result, "auth");
    assert!(
        auth == "role \"db_pg_nobody\" does not exist"
            || auth == "password authentication failed for user \"db_pg_nobody\"",
        "{auth}"
    );
    assert_eq!(
        error(&result, "nodb"),
        "database \"db_pg_no_such_db\" does not exist"
    );
    assert_eq!(
        error(&result, "syntax"),
        "syntax error at or near \"WHERE\""
    );
    assert_eq!(
        error(&result, "missing"),
        "relation \"db_pg_nope\" does not exist"
    );
}

#[tokio::test]
async fn sessions_are_reused_and_a_cancelled_one_is_replaced() {
    let Some(url) = db_common::url(URL) else {
        return;
    };
    let cfg = config(&source("pg", &url, "SELECT pg_backend_pid()", "10s"));
    let plan = Arc::new(Plan::new(&cfg));
    let pid = |result| db_common::first_int(&result, "pg");
    let first = pid(gather(&plan).await.0);
    assert_eq!(pid(gather(&plan).await.0), first, "the session was reused");

    let mut sleepy = (*plan).clone();
    sleepy.sources[0].query = "SELECT pg_sleep(30)".into();
    sleepy.sources[0].timeout = Duration::from_millis(300);
    let sleepy = Arc::new(sleepy);
    let (result, _) = gather(&sleepy).await;
    assert!(matches!(outcome(&result, "pg"), Outcome::Timeout { .. }));
    let after = pid(gather(&plan).await.0);
    assert_ne!(after, first, "the cancelled session was not reused");
    let mut conn = admin(&url).await;
    let alive = format!("SELECT count(*) FROM pg_stat_activity WHERE pid = {first}");
    let gone = db_common::eventually(Duration::from_secs(2), async || {
        scalar(&mut conn, &alive).await == 0
    })
    .await;
    assert!(gone, "the cancelled session's backend has exited");

    // The server closes the idle session (a restart, an idle timeout): the next run replaces it.
    scalar(
        &mut conn,
        &format!("SELECT pg_terminate_backend({after})::int::int8"),
    )
    .await;
    let replaced = pid(gather(&plan).await.0);
    assert_ne!(replaced, after, "a new session replaced the closed one");
}
