//! The `mysql` source against a real MySQL or MariaDB (`SCATTER_TEST_MYSQL_URL`): typed values,
//! streaming, server-side cancellation, read-only sessions, error messages, session reuse.

mod db_common;

use std::sync::Arc;
use std::time::Duration;

use arrow_cast::display::array_value_to_string;
use arrow_schema::{DataType, TimeUnit};
use db_common::{config, error, gather, gather_once, outcome, unique};
use futures_util::future::BoxFuture;
use scatter::engine::Plan;
use scatter::source::{Outcome, TimeoutCause};
use sqlx::mysql::MySqlQueryResult;
use sqlx::{Connection, Executor, MySqlConnection};

const URL: &str = "SCATTER_TEST_MYSQL_URL";

async fn admin(url: &str) -> MySqlConnection {
    MySqlConnection::connect(url)
        .await
        .expect("admin connection")
}

async fn exec(conn: &mut MySqlConnection, sql: &str) {
    let run: BoxFuture<'_, Result<MySqlQueryResult, sqlx::Error>> = conn.execute(sql);
    run.await.unwrap_or_else(|e| panic!("{sql}: {e}"));
}

async fn scalar(conn: &mut MySqlConnection, sql: &str) -> i64 {
    let run: BoxFuture<'_, Result<i64, sqlx::Error>> =
        Box::pin(sqlx::query_scalar(sql).fetch_one(conn));
    run.await.unwrap_or_else(|e| panic!("{sql}: {e}"))
}

async fn is_mariadb(conn: &mut MySqlConnection) -> bool {
    let run: BoxFuture<'_, Result<String, sqlx::Error>> =
        Box::pin(sqlx::query_scalar("SELECT VERSION()").fetch_one(conn));
    run.await.expect("version").contains("MariaDB")
}

fn source(name: &str, url: &str, query: &str, timeout: &str) -> String {
    let query = query.replace('\\', "\\\\").replace('"', "\\\"");
    format!(
        "[[source]]\nname = \"{name}\"\nkind = \"mysql\"\nurl = \"{url}\"\n\
         query = \"{query}\"\ntimeout = \"{timeout}\"\n"
    )
}

#[tokio::test]
async fn typed_values_round_trip_into_the_merged_table() {
    let Some(url) = db_common::url(URL) else {
        return;
    };
    let table = unique("db_my_types");
    let mut conn = admin(&url).await;
    exec(&mut conn, &format!("DROP TABLE IF EXISTS {table}")).await;
    exec(
        &mut conn,
        &format!(
            "CREATE TABLE {table} (id BIGINT, small SMALLINT, price DECIMAL(10,2), \
             exact DECIMAL(30,3), ratio DOUBLE, name VARCHAR(50) CHARACTER SET utf8mb4, \
             code VARCHAR(10) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin, ok BOOLEAN, day DATE, \
             at DATETIME(6), stamp TIMESTAMP(6) NULL, doc JSON, raw VARBINARY(10), \
             huge BIGINT UNSIGNED)"
        ),
    )
    .await;
    exec(
        &mut conn,
        &format!(
            "INSERT INTO {table} VALUES
             (1, 7, 19.99, 12345678901234567890.125, 0.5, 'Ünïcødé ✓ \"q\"', 'abc', TRUE,
              '2024-02-29', '2024-02-29 12:00:00.25', '2024-02-29 10:00:00', '{{\"k\": [1, 2]}}',
              X'00ff', 18446744073709551615),
             (2, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL)"
        ),
    )
    .await;
    let cfg = config(&format!(
        "[merge]\nsort = [\"id\"]\n{}",
        source(
            "my",
            &url,
            &format!("SELECT * FROM {table} ORDER BY id"),
            "10s"
        )
    ));
    let (result, _) = gather_once(&cfg).await;
    exec(&mut conn, &format!("DROP TABLE {table}")).await;
    assert_eq!(outcome(&result, "my"), &Outcome::Ok);
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
        ("code", DataType::Utf8, "abc"),
        ("ok", DataType::Boolean, "true"),
        ("day", DataType::Date32, "2024-02-29"),
        ("at", wall_clock, "2024-02-29T12:00:00.250"),
        ("stamp", ts, "2024-02-29T10:00:00Z"),
        ("doc", DataType::Utf8, "{\"k\": [1, 2]}"),
        ("raw", DataType::Binary, "00ff"),
        ("huge", DataType::Utf8, "18446744073709551615"),
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
}

#[tokio::test]
async fn rows_stream_into_the_sink_while_a_large_result_arrives() {
    let Some(url) = db_common::url(URL) else {
        return;
    };
    // 10 x 10 x 10 x 10 x 2 rows, without recursion limits that differ between servers.
    let query = "WITH d AS (SELECT 0 AS n UNION ALL SELECT 1 UNION ALL SELECT 2 UNION ALL \
                 SELECT 3 UNION ALL SELECT 4 UNION ALL SELECT 5 UNION ALL SELECT 6 UNION ALL \
                 SELECT 7 UNION ALL SELECT 8 UNION ALL SELECT 9) \
                 SELECT a.n + 10 * b.n + 100 * c.n + 1000 * e.n + 10000 * f.n AS n, \
                 MD5(a.n) AS h FROM d a, d b, d c, d e, (SELECT 0 AS n UNION ALL SELECT 1) f";
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

/// Statements running on the server whose text holds `marker`.
async fn active(conn: &mut MySqlConnection, marker: &str) -> i64 {
    scalar(
        conn,
        &format!(
            "SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE ID <> CONNECTION_ID() \
             AND COMMAND = 'Query' AND INFO LIKE '%{marker}%'"
        ),
    )
    .await
}

#[tokio::test]
async fn a_timed_out_statement_is_killed_on_the_server() {
    let Some(url) = db_common::url(URL) else {
        return;
    };
    let marker = unique("db_my_sleep_marker");
    let query = format!("SELECT SLEEP(30) AS {marker}");
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
    assert!(gone, "SLEEP still running on the server after the timeout");
}

#[tokio::test]
async fn fail_fast_kills_the_other_statement_on_the_server() {
    let Some(url) = db_common::url(URL) else {
        return;
    };
    let marker = unique("db_my_failfast_marker");
    let cfg = config(&format!(
        "[gather]\nmode = \"fail-fast\"\n{}{}",
        source(
            "slow",
            &url,
            &format!("SELECT SLEEP(30) AS {marker}"),
            "20s"
        ),
        source("broken", &url, "SELECT 1 FROM db_my_no_such_table", "20s"),
    ));
    let (result, _) = gather_once(&cfg).await;
    assert!(result.aborted);
    assert!(matches!(outcome(&result, "slow"), Outcome::Cancelled(_)));
    let mut conn = admin(&url).await;
    assert_eq!(active(&mut conn, &marker).await, 0, "killed on the server");
}

#[tokio::test]
async fn writes_are_refused_unless_allowed() {
    let Some(url) = db_common::url(URL) else {
        return;
    };
    let table = unique("db_my_writes");
    let seq = unique("db_my_seq");
    let mut conn = admin(&url).await;
    let mariadb = is_mariadb(&mut conn).await;
    exec(&mut conn, &format!("DROP TABLE IF EXISTS {table}")).await;
    exec(&mut conn, &format!("CREATE TABLE {table} (id INT)")).await;
    exec(&mut conn, &format!("INSERT INTO {table} VALUES (1)")).await;
    let mut refused = vec![
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
            "SET SESSION TRANSACTION READ WRITE".into(),
            "refused: SET changes",
        ),
    ];
    if mariadb {
        // A write the client guard cannot see: only the read-only session stops it.
        exec(&mut conn, &format!("CREATE SEQUENCE IF NOT EXISTS {seq}")).await;
        refused.push((
            "sequence",
            format!("SELECT NEXTVAL({seq})"),
            "Cannot execute statement in a READ ONLY transaction",
        ));
    }
    let sources: String = refused
        .iter()
        .map(|(name, q, _)| source(name, &url, q, "10s"))
        .collect();
    let (result, _) = gather_once(&config(&sources)).await;
    for (name, _, want) in &refused {
        let got = error(&result, name);
        assert!(got.starts_with(want), "{name}: {got}");
    }
    let rows = format!("SELECT CAST(COUNT(*) * 100 + SUM(id) AS SIGNED) FROM {table}");
    assert_eq!(scalar(&mut conn, &rows).await, 101, "nothing changed");
    if mariadb {
        let next = format!("SELECT CAST(NEXTVAL({seq}) AS SIGNED)");
        assert_eq!(
            scalar(&mut conn, &next).await,
            1,
            "the sequence did not move"
        );
        exec(&mut conn, &format!("DROP SEQUENCE {seq}")).await;
    }

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
    exec(&mut conn, &format!("DROP TABLE {table}")).await;
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
    stranger.set_username("db_my_nobody").unwrap();
    stranger.set_password(Some("hunter2-secret")).unwrap();
    let cfg = config(&format!(
        "{}{}{}{}",
        source("refused", refused.as_str(), "SELECT 1", "10s"),
        source("auth", stranger.as_str(), "SELECT 1", "10s"),
        source("syntax", &url, "SELECT * FROM WHERE", "10s"),
        source("missing", &url, "SELECT * FROM db_my_nope", "10s"),
    ));
    let (result, _) = gather_once(&cfg).await;
    assert_eq!(
        error(&result, "refused"),
        format!("connection refused: {host}:{port}")
    );
    let auth = error(&result, "auth");
    assert!(
        auth.starts_with("Access denied for user 'db_my_nobody'@") && !auth.contains("hunter2"),
        "{auth}"
    );
    assert!(
        error(&result, "syntax").starts_with("You have an error in your SQL syntax")
            && error(&result, "syntax").contains("near 'WHERE'"),
        "{}",
        error(&result, "syntax")
    );
    let missing = error(&result, "missing");
    assert!(
        missing.starts_with("Table '") && missing.ends_with(".db_my_nope' doesn't exist"),
        "{missing}"
    );
}

#[tokio::test]
async fn sessions_are_reused_and_a_cancelled_one_is_replaced() {
    let Some(url) = db_common::url(URL) else {
        return;
    };
    let cfg = config(&source(
        "my",
        &url,
        "SELECT CAST(CONNECTION_ID() AS SIGNED) AS id",
        "10s",
    ));
    let plan = Arc::new(Plan::new(&cfg));
    let id = |result| db_common::first_int(&result, "my");
    let first = id(gather(&plan).await.0);
    assert_eq!(id(gather(&plan).await.0), first, "the session was reused");

    let mut sleepy = (*plan).clone();
    sleepy.sources[0].query = "SELECT SLEEP(30)".into();
    sleepy.sources[0].timeout = Duration::from_millis(300);
    let sleepy = Arc::new(sleepy);
    let (result, _) = gather(&sleepy).await;
    assert!(matches!(outcome(&result, "my"), Outcome::Timeout { .. }));
    let after = id(gather(&plan).await.0);
    assert_ne!(after, first, "the cancelled session was not reused");
    let mut conn = admin(&url).await;
    let alive = format!("SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE ID = {first}");
    let gone = db_common::eventually(Duration::from_secs(2), async || {
        scalar(&mut conn, &alive).await == 0
    })
    .await;
    assert!(gone, "the cancelled session is closed on the server");

    // The server closes the idle session (a restart, an idle timeout): the next run replaces it.
    exec(&mut conn, &format!("KILL CONNECTION {after}")).await;
    let replaced = id(gather(&plan).await.0);
    assert_ne!(replaced, after, "a new session replaced the closed one");
}

#[tokio::test]
async fn an_empty_result_still_names_its_columns() {
    let Some(url) = db_common::url(URL) else {
        return;
    };
    let empty = "SELECT 1 AS a, 'x' AS b FROM DUAL WHERE 1 = 0";
    let (result, _) = gather_once(&config(&source("empty", &url, empty, "5s"))).await;
    assert_eq!(outcome(&result, "empty"), &Outcome::Ok);
    assert_eq!(result.reports[0].rows, 0);
    let names: Vec<String> = result.batches[0][0]
        .schema()
        .fields()
        .iter()
        .map(|f| f.name().clone())
        .collect();
    assert_eq!(names, ["a", "b"]);
}
