//! Faults between scatter and a real server, through a proxy that cuts or stalls the
//! connection mid-query: the source ends promptly in the right state with a clear message,
//! the source next to it is unaffected, and the statement is stopped on the server anyway
//! (the cancel goes over a second connection).

mod db_common;

use std::time::{Duration, Instant};

use db_common::proxy::Proxy;
use db_common::server::Server;
use db_common::{config, gather_once, outcome, unique};
use scatter::source::Outcome;

/// Runs a sleeping statement through a proxy next to a healthy source, applies `fault` to
/// the proxy 300 ms in, and returns the sleeper's outcome and how long the gather took, after
/// checking the healthy source and that the statement is gone from the server.
async fn fault(server: &Server, timeout: &str, fault: fn(&Proxy)) -> (Outcome, Duration) {
    let (proxy, port) = Proxy::start(server.upstream()).await;
    let marker = unique(&format!(
        "db_fault_{}_{}",
        server.kind,
        timeout.replace('.', "_")
    ));
    let cfg = config(&format!(
        "{}{}",
        server.source(
            "faulty",
            &server.via(port),
            &format!("{} {marker}", server.sleep),
            timeout
        ),
        server.source("healthy", &server.url, "SELECT 1 AS one", "10s"),
    ));
    let controls = proxy.clone();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(300)).await;
        fault(&controls);
    });
    let started = Instant::now();
    let (result, _) = gather_once(&cfg).await;
    let took = started.elapsed();
    assert_eq!(outcome(&result, "healthy"), &Outcome::Ok);
    let gone = db_common::eventually(Duration::from_secs(1), async || {
        server.active(&marker).await == 0
    })
    .await;
    assert!(
        gone,
        "{}: the statement still runs on the server",
        server.kind
    );
    (outcome(&result, "faulty").clone(), took)
}

async fn cut_connection_fails_fast(server: Server) {
    let (outcome, took) = fault(&server, "10s", Proxy::cut).await;
    match outcome {
        Outcome::Error(e) => assert!(e.to_string().starts_with("connection lost: "), "{e}"),
        other => panic!("{}: expected an error, got {other:?}", server.kind),
    }
    assert!(took < Duration::from_secs(3), "ended promptly: {took:?}");
}

async fn stalled_connection_times_out(server: Server) {
    let (outcome, took) = fault(&server, "1s", Proxy::stall).await;
    assert!(matches!(outcome, Outcome::Timeout { .. }), "{outcome:?}");
    assert!(took < Duration::from_secs(4), "about 1 s: {took:?}");
}

#[tokio::test]
async fn postgres_connection_cut_mid_query() {
    if let Some(server) = Server::postgres(30) {
        cut_connection_fails_fast(server).await;
    }
}

#[tokio::test]
async fn postgres_connection_stalled_mid_query() {
    if let Some(server) = Server::postgres(30) {
        stalled_connection_times_out(server).await;
    }
}

#[tokio::test]
async fn mysql_connection_cut_mid_query() {
    if let Some(server) = Server::mysql(30) {
        cut_connection_fails_fast(server).await;
    }
}

#[tokio::test]
async fn mysql_connection_stalled_mid_query() {
    if let Some(server) = Server::mysql(30) {
        stalled_connection_times_out(server).await;
    }
}
