//! Faults: a PostgreSQL server lost under a running query, and one restarted between two
//! gathers of the same `Plan` (watch mode). Each runs its own throwaway cluster
//! ([`common::cluster::Cluster`]), so the shared server is untouched.

mod common;
mod db_common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use common::cluster::Cluster;
use common::{assert_healthy, healthy};
use db_common::{config, error, gather, outcome};
use futures_util::future::BoxFuture;
use scatter::engine::{self, Plan};
use scatter::source::Outcome;
use sqlx::{Connection, PgConnection};
use tokio::sync::mpsc;

fn source(name: &str, url: &str, query: &str, timeout: &str) -> String {
    format!(
        "[[source]]\nname = \"{name}\"\nkind = \"postgres\"\nurl = \"{url}\"\n\
         query = \"{query}\"\ntimeout = \"{timeout}\"\n"
    )
}

async fn scalar(url: &str, sql: &str) -> i64 {
    let mut conn = PgConnection::connect(url).await.expect("admin connection");
    let run: BoxFuture<'_, Result<i64, sqlx::Error>> =
        Box::pin(sqlx::query_scalar(sql).fetch_one(&mut conn));
    run.await.unwrap_or_else(|e| panic!("{sql}: {e}"))
}

/// Statements running on the cluster whose text holds `marker`, seen from a second session.
async fn active(url: &str, marker: &str) -> i64 {
    scalar(
        url,
        &format!(
            "SELECT count(*) FROM pg_stat_activity WHERE state = 'active' \
             AND pid <> pg_backend_pid() AND query LIKE '%{marker}%'"
        ),
    )
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_stopped_mid_query_ends_the_source_with_connection_lost() {
    let Some(cluster) = Cluster::start() else {
        return;
    };
    let url = cluster.url();
    let marker = "fault_pg_stopped_marker";
    let cfg = config(&format!(
        "{}{}",
        source(
            "lost",
            &url,
            &format!("SELECT pg_sleep(30) AS {marker}"),
            "20s"
        ),
        healthy("calm"),
    ));
    let plan = Arc::new(Plan::new(&cfg));
    let (events_tx, mut events_rx) = mpsc::channel(engine::EVENT_CHANNEL);
    tokio::spawn(async move { while events_rx.recv().await.is_some() {} });
    let running = engine::spawn(Arc::clone(&plan), 1, events_tx);
    let on_server = db_common::eventually(Duration::from_secs(5), async || {
        active(&url, marker).await == 1
    })
    .await;
    assert!(on_server, "pg_sleep never showed up in pg_stat_activity");

    let stopped = Instant::now();
    tokio::task::block_in_place(|| cluster.down());
    let result = tokio::time::timeout(Duration::from_secs(8), running.join())
        .await
        .expect("the gather returns once the server is gone");
    let took = stopped.elapsed();
    assert!(
        took < Duration::from_secs(5),
        "ended by the lost connection, not by the 20 s timeout: {took:?}"
    );
    assert_eq!(
        error(&result, "lost"),
        "connection lost: closed by the server"
    );
    assert_healthy(&result, "calm");
    plan.cleanup.close();
    tokio::time::timeout(Duration::from_secs(8), plan.cleanup.wait())
        .await
        .expect("no cleanup task is left running");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restarted_server_is_reconnected_on_the_next_gather() {
    let Some(cluster) = Cluster::start() else {
        return;
    };
    let url = cluster.url();
    let cfg = config(&format!(
        "{}{}",
        source("pg", &url, "SELECT pg_backend_pid()", "5s"),
        healthy("calm"),
    ));
    let plan = Arc::new(Plan::new(&cfg));
    let (first, _) = gather(&plan).await;
    assert_eq!(outcome(&first, "pg"), &Outcome::Ok);
    assert_healthy(&first, "calm");
    let before = db_common::first_int(&first, "pg");

    tokio::task::block_in_place(|| {
        cluster.down();
        cluster.up();
    });
    let (second, _) = gather(&plan).await;
    assert_eq!(
        outcome(&second, "pg"),
        &Outcome::Ok,
        "the dead pooled session was replaced"
    );
    assert_healthy(&second, "calm");
    let after = db_common::first_int(&second, "pg");
    assert_ne!(after, before, "a new backend serves the second gather");
    let (third, _) = gather(&plan).await;
    assert_eq!(
        db_common::first_int(&third, "pg"),
        after,
        "the new session is pooled again"
    );
    let sessions = scalar(
        &url,
        "SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend' \
         AND pid <> pg_backend_pid()",
    )
    .await;
    assert_eq!(sessions, 1, "only the pooled session is open");
}
