//! Faults between two gathers of the same `Plan` (watch mode) on the shared servers: the
//! session the source kept is killed by the server side (`pg_terminate_backend`, MariaDB
//! `KILL`, as an administrator or an idle timeout would). The next gather notices before
//! sending its query and opens a new session instead of failing.

mod common;
mod db_common;

use std::sync::Arc;

use common::{assert_healthy, healthy, lit};
use db_common::{config, first_int, gather, outcome};
use futures_util::future::BoxFuture;
use scatter::engine::Plan;
use scatter::source::Outcome;
use sqlx::mysql::MySqlQueryResult;
use sqlx::{Connection, Executor, MySqlConnection, PgConnection};

fn source(kind: &str, url: &str, query: &str) -> String {
    format!(
        "[[source]]\nname = \"db\"\nkind = \"{kind}\"\nurl = {}\nquery = \"{query}\"\n\
         timeout = \"5s\"\n",
        lit(url)
    )
}

/// Runs `plan` twice with `kill(id of the kept session)` in between; returns both ids.
async fn killed_between_gathers(plan: &Arc<Plan>, kill: impl AsyncFnOnce(i64)) -> (i64, i64) {
    let (first, _) = gather(plan).await;
    assert_eq!(outcome(&first, "db"), &Outcome::Ok);
    let before = first_int(&first, "db");
    kill(before).await;
    let (second, _) = gather(plan).await;
    assert_eq!(
        outcome(&second, "db"),
        &Outcome::Ok,
        "the dead kept session was replaced"
    );
    assert_healthy(&second, "calm");
    (before, first_int(&second, "db"))
}

#[tokio::test]
async fn postgres_session_terminated_between_gathers_is_replaced() {
    let Some(url) = db_common::url("SCATTER_TEST_PG_URL") else {
        return;
    };
    let cfg = config(&format!(
        "{}{}",
        source("postgres", &url, "SELECT pg_backend_pid()"),
        healthy("calm")
    ));
    let plan = Arc::new(Plan::new(&cfg));
    let (before, after) = killed_between_gathers(&plan, async |pid| {
        let mut admin = PgConnection::connect(&url).await.expect("admin");
        let run: BoxFuture<'_, Result<bool, sqlx::Error>> = Box::pin(
            sqlx::query_scalar("SELECT pg_terminate_backend($1::int)")
                .bind(pid)
                .fetch_one(&mut admin),
        );
        assert!(run.await.expect("terminate"), "backend {pid} terminated");
    })
    .await;
    assert_ne!(before, after);
}

#[tokio::test]
async fn mariadb_session_killed_between_gathers_is_replaced() {
    let Some(url) = db_common::url("SCATTER_TEST_MYSQL_URL") else {
        return;
    };
    let cfg = config(&format!(
        "{}{}",
        source("mysql", &url, "SELECT CONNECTION_ID()"),
        healthy("calm")
    ));
    let plan = Arc::new(Plan::new(&cfg));
    let (before, after) = killed_between_gathers(&plan, async |id| {
        let mut admin = MySqlConnection::connect(&url).await.expect("admin");
        let kill = format!("KILL {id}");
        let run: BoxFuture<'_, Result<MySqlQueryResult, sqlx::Error>> =
            admin.execute(kill.as_str());
        run.await.expect("KILL");
    })
    .await;
    assert_ne!(before, after);
}

/// Backends running a statement whose text holds `marker`, seen from `admin`.
async fn pg_backends(admin: &mut PgConnection, marker: &str) -> Vec<i32> {
    let sql = format!(
        "SELECT pid FROM pg_stat_activity WHERE state = 'active' \
         AND pid <> pg_backend_pid() AND query LIKE '%{marker}%'"
    );
    let run: BoxFuture<'_, Result<Vec<i32>, sqlx::Error>> =
        Box::pin(sqlx::query_scalar(&sql).fetch_all(admin));
    run.await.expect("pg_stat_activity")
}

#[tokio::test]
async fn postgres_session_terminated_mid_query_fails_fast_and_the_next_gather_recovers() {
    let Some(url) = db_common::url("SCATTER_TEST_PG_URL") else {
        return;
    };
    let marker = db_common::unique("fault_dead_midquery");
    let cfg = config(&format!(
        "{}{}",
        source(
            "postgres",
            &url,
            &format!("SELECT pg_sleep(30) AS {marker}")
        ),
        healthy("calm")
    ));
    let plan = Arc::new(Plan::new(&cfg));
    let mut admin = PgConnection::connect(&url).await.expect("admin");
    let (events_tx, mut events_rx) = tokio::sync::mpsc::channel(scatter::engine::EVENT_CHANNEL);
    tokio::spawn(async move { while events_rx.recv().await.is_some() {} });
    let running = scatter::engine::spawn(Arc::clone(&plan), 1, events_tx);
    let mut pids = Vec::new();
    let seen = db_common::eventually(std::time::Duration::from_secs(5), async || {
        pids = pg_backends(&mut admin, &marker).await;
        pids.len() == 1
    })
    .await;
    assert!(seen, "pg_sleep reached the server");
    let terminated = std::time::Instant::now();
    let run: BoxFuture<'_, Result<bool, sqlx::Error>> = Box::pin(
        sqlx::query_scalar("SELECT pg_terminate_backend($1)")
            .bind(pids[0])
            .fetch_one(&mut admin),
    );
    assert!(run.await.expect("terminate"));
    let result = running.join().await;
    assert!(
        terminated.elapsed() < std::time::Duration::from_secs(3),
        "ended by the termination, not the 5 s timeout"
    );
    assert_eq!(
        db_common::error(&result, "db"),
        "terminating connection due to administrator command"
    );
    assert_healthy(&result, "calm");

    // Same plan, same pool: the next run must not be handed the terminated session.
    let mut quick = (*plan).clone();
    quick.sources[0].query = "SELECT 5".into();
    let (next, _) = gather(&Arc::new(quick)).await;
    assert_eq!(first_int(&next, "db"), 5);
    assert!(pg_backends(&mut admin, &marker).await.is_empty());
}
