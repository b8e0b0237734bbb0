//! Helpers shared by the tests against real database servers (`tests/db_*.rs`).
//!
//! The servers come from `SCATTER_TEST_PG_URL` / `SCATTER_TEST_MYSQL_URL`. When one is unset
//! a test prints why it skips and returns, unless `SCATTER_REQUIRE_DB=1` (CI), where it fails.

#![allow(
    dead_code,
    reason = "each test binary uses a different part of these helpers"
)]

pub mod proxy;
pub mod server;
pub mod slow;

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use arrow_array::RecordBatch;
use futures_util::future::BoxFuture;
use scatter::config::Config;
use scatter::engine::{self, GatherResult, Plan};
use scatter::event::{Event, EventKind};
use scatter::merge::{self, Merged};
use scatter::source::Outcome;
use sqlx::{Connection, MySqlConnection, PgConnection};
use tokio::sync::mpsc;

/// The URL in `var`, or `None` after printing why the test skips. Panics when
/// `SCATTER_REQUIRE_DB=1`, so CI cannot skip silently.
pub fn url(var: &str) -> Option<String> {
    match std::env::var(var) {
        Ok(url) if !url.is_empty() => Some(url),
        _ if std::env::var("SCATTER_REQUIRE_DB").as_deref() == Ok("1") => {
            panic!("{var} is not set and SCATTER_REQUIRE_DB=1: this test needs its server")
        }
        _ => {
            eprintln!("skipped: {var} is not set (set it to run this test against a real server)");
            None
        }
    }
}

/// `toml` parsed as a config file, `${VAR}` unset.
pub fn config(toml: &str) -> Config {
    Config::parse(Path::new("test.toml"), toml, &|_| None)
        .unwrap_or_else(|e| panic!("test config: {e}\n{toml}"))
}

/// One gather of `plan`, with every event it sent.
pub async fn gather(plan: &Arc<Plan>) -> (GatherResult, Vec<Event>) {
    let (tx, mut rx) = mpsc::channel(engine::EVENT_CHANNEL);
    let result = engine::spawn(Arc::clone(plan), 1, tx).join().await;
    let mut events = Vec::new();
    while let Some(e) = rx.recv().await {
        events.push(e);
    }
    (result, events)
}

/// One gather of a fresh plan for `config`, waiting for its cleanup (server-side cancels) the
/// way `--once` does.
pub async fn gather_once(config: &Config) -> (GatherResult, Vec<Event>) {
    let plan = Arc::new(Plan::new(config));
    let out = gather(&plan).await;
    plan.cleanup.close();
    tokio::time::timeout(Duration::from_secs(10), plan.cleanup.wait())
        .await
        .expect("cleanup finishes");
    out
}

/// The outcome of source `name`.
pub fn outcome<'a>(result: &'a GatherResult, name: &str) -> &'a Outcome {
    &result
        .reports
        .iter()
        .find(|r| r.name == name)
        .unwrap_or_else(|| panic!("no source {name}"))
        .outcome
}

/// The error message of source `name`, panicking when it did not fail.
pub fn error(result: &GatherResult, name: &str) -> String {
    match outcome(result, name) {
        Outcome::Error(e) => e.to_string(),
        other => panic!("{name}: expected an error, got {other:?}"),
    }
}

/// The batches of source `name`.
pub fn batches<'a>(result: &'a GatherResult, name: &str) -> &'a [RecordBatch] {
    let i = result
        .reports
        .iter()
        .position(|r| r.name == name)
        .unwrap_or_else(|| panic!("no source {name}"));
    &result.batches[i]
}

/// Every source's rows merged as `config` says.
pub fn merged(result: &GatherResult, config: &Config) -> Merged {
    let inputs: Vec<(&str, &[RecordBatch])> = result
        .reports
        .iter()
        .zip(&result.batches)
        .map(|(r, b)| (r.name.as_str(), b.as_slice()))
        .collect();
    merge::merge(&inputs, &config.merge).expect("merge")
}

/// The first value of column 0 of source `name`, as an integer.
pub fn first_int(result: &GatherResult, name: &str) -> i64 {
    use arrow_array::cast::AsArray;
    use arrow_array::types::Int64Type;
    let batch = batches(result, name)
        .iter()
        .find(|b| b.num_rows() > 0)
        .unwrap_or_else(|| panic!("{name}: no rows ({:?})", outcome(result, name)));
    batch.column(0).as_primitive::<Int64Type>().value(0)
}

/// The row counts `Rows` events reported for source `index`, in order.
pub fn progress(events: &[Event], index: usize) -> Vec<u64> {
    events
        .iter()
        .filter_map(|e| match e.kind {
            EventKind::Rows { source, rows } if source == index => Some(rows),
            _ => None,
        })
        .collect()
}

/// Waits up to `within` for `check` to return true, polling every 50 ms; returns whether it
/// did.
pub async fn eventually(within: Duration, mut check: impl AsyncFnMut() -> bool) -> bool {
    let start = Instant::now();
    loop {
        if check().await {
            return true;
        }
        if start.elapsed() >= within {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// A TCP port on 127.0.0.1 that nothing listens on (bound, then released).
pub fn closed_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    listener.local_addr().expect("addr").port()
}

/// A name unique to this process, for objects tests create on the servers.
pub fn unique(prefix: &str) -> String {
    format!("{prefix}_{}", std::process::id())
}

/// Statements running on the PostgreSQL server whose text holds `marker`.
pub async fn pg_active(url: &str, marker: &str) -> i64 {
    let mut conn = PgConnection::connect(url).await.expect("pg admin");
    let sql = format!(
        "SELECT count(*) FROM pg_stat_activity WHERE state = 'active' \
         AND pid <> pg_backend_pid() AND query LIKE '%{marker}%'"
    );
    let run: BoxFuture<'_, Result<i64, sqlx::Error>> =
        Box::pin(sqlx::query_scalar(&sql).fetch_one(&mut conn));
    run.await.expect("pg_stat_activity")
}

/// Statements running on the MariaDB server whose text holds `marker`.
pub async fn my_active(url: &str, marker: &str) -> i64 {
    let mut conn = MySqlConnection::connect(url).await.expect("mysql admin");
    let sql = format!(
        "SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE ID <> CONNECTION_ID() \
         AND COMMAND = 'Query' AND INFO LIKE '%{marker}%'"
    );
    let run: BoxFuture<'_, Result<i64, sqlx::Error>> =
        Box::pin(sqlx::query_scalar(&sql).fetch_one(&mut conn));
    run.await.expect("PROCESSLIST")
}

/// The statements `(pg marker, mysql marker)` are both running, or both gone.
pub async fn running(pg: &str, my: &str, markers: (&str, &str)) -> (i64, i64) {
    (
        pg_active(pg, markers.0).await,
        my_active(my, markers.1).await,
    )
}
