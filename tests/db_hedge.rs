//! Hedging and retries against the real servers. Two "replicas" of one source: the local
//! server reached through a proxy that adds 300 ms to each connection, and the same server
//! directly. The hedge to the direct one wins, and the slow attempt's statement, which was
//! running on the server by then, is gone from `pg_stat_activity` (PostgreSQL) or
//! `PROCESSLIST` (MariaDB) within a second. And a retry behind a proxy that refuses the first
//! connection ends `ok` after two attempts.

mod db_common;

use std::sync::Arc;
use std::time::Duration;

use db_common::server::Server;
use db_common::slow::SlowProxy;
use db_common::{config, unique};
use scatter::engine::Plan;
use scatter::source::{AttemptKind, CancelReason, Outcome};

/// What the far replica's connections wait before they are relayed.
const FAR: Duration = Duration::from_millis(300);

async fn hedge_wins_and_the_slow_statement_stops(server: Server) {
    let proxy = SlowProxy::start(server.upstream(), FAR, 0).await;
    let marker = unique(&format!("hedged_{}", server.kind));
    let cfg = config(&format!(
        "[[source]]\nname = \"db\"\nkind = \"{}\"\nurl = \"{}\"\nreplicas = [\"{}\"]\n\
         hedge_after = \"100ms\"\ntimeout = \"10s\"\nquery = \"{} {marker}\"\n",
        server.kind,
        server.via(proxy.port),
        server.url,
        server.sleep,
    ));
    let plan = Arc::new(Plan::new(&cfg));
    let (result, _) = db_common::gather(&plan).await;
    let report = &result.reports[0];
    assert_eq!(report.outcome, Outcome::Ok, "{report:?}");
    let kinds: Vec<_> = report.attempts.iter().map(|a| a.kind).collect();
    assert_eq!(kinds, [AttemptKind::First, AttemptKind::Hedge]);
    assert_eq!(report.winner(), Some(1), "{report:?}");
    assert_eq!(
        report.attempts[0].outcome,
        Outcome::Cancelled(CancelReason::Lost)
    );
    let gone = db_common::eventually(Duration::from_secs(1), async || {
        server.active(&marker).await == 0
    })
    .await;
    assert!(gone, "{}: the losing statement still runs", server.kind);
    plan.cleanup.close();
    plan.cleanup.wait().await;
}

async fn a_refused_connection_is_retried(server: Server) {
    let proxy = SlowProxy::start(server.upstream(), Duration::ZERO, 1).await;
    let before = proxy.accepted();
    let cfg = config(&format!(
        "[[source]]\nname = \"db\"\nkind = \"{}\"\nurl = \"{}\"\nretries = 1\n\
         backoff = \"50ms\"\ntimeout = \"10s\"\nquery = \"SELECT 1 AS one\"\n",
        server.kind,
        server.via(proxy.port),
    ));
    let (result, _) = db_common::gather_once(&cfg).await;
    let report = &result.reports[0];
    assert_eq!(report.outcome, Outcome::Ok, "{report:?}");
    assert_eq!(report.attempts.len(), 2, "{report:?}");
    assert!(
        matches!(&report.attempts[0].outcome, Outcome::Error(e) if e.is_transient()),
        "{:?}",
        report.attempts[0].outcome
    );
    assert_eq!(report.attempts[1].kind, AttemptKind::Retry);
    assert_eq!(db_common::first_int(&result, "db"), 1);
    assert_eq!(proxy.accepted() - before, 2, "one refused, one served");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_hedge_wins_and_the_slow_statement_stops() {
    if let Some(server) = Server::postgres(1) {
        hedge_wins_and_the_slow_statement_stops(server).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mysql_hedge_wins_and_the_slow_statement_stops() {
    if let Some(server) = Server::mysql(1) {
        hedge_wins_and_the_slow_statement_stops(server).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_retry_after_a_refused_connection_ends_ok() {
    if let Some(server) = Server::postgres(1) {
        a_refused_connection_is_retried(server).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mysql_retry_after_a_refused_connection_ends_ok() {
    if let Some(server) = Server::mysql(1) {
        a_refused_connection_is_retried(server).await;
    }
}
