//! Faults between scatter and a real server, through a proxy that cuts or stalls the
//! connection mid-query: the source ends promptly in the right state with a clear message,
//! the source next to it is unaffected, and the statement is stopped on the server anyway
//! (the cancel goes over a second connection).

mod db_common;

use std::time::{Duration, Instant};

use db_common::proxy::Proxy;
use db_common::{config, gather_once, outcome, unique};
use futures_util::future::BoxFuture;
use scatter::source::Outcome;
use sqlx::{Connection, MySqlConnection, PgConnection};

/// What differs between the two servers in these tests.
struct Server {
    kind: &'static str,
    url: String,
    sleep: &'static str,
}

impl Server {
    fn postgres() -> Option<Self> {
        Some(Self {
            kind: "postgres",
            url: db_common::url("SCATTER_TEST_PG_URL")?,
            sleep: "SELECT pg_sleep(30) AS",
        })
    }

    fn mysql() -> Option<Self> {
        Some(Self {
            kind: "mysql",
            url: db_common::url("SCATTER_TEST_MYSQL_URL")?,
            sleep: "SELECT SLEEP(30) AS",
        })
    }

    /// The same URL through `port` on 127.0.0.1.
    fn via(&self, port: u16) -> String {
        let mut u = url::Url::parse(&self.url).expect("test URL parses");
        u.set_host(Some("127.0.0.1")).unwrap();
        u.set_port(Some(port)).unwrap();
        u.to_string()
    }

    fn upstream(&self) -> String {
        let u = url::Url::parse(&self.url).expect("test URL parses");
        let port = u
            .port()
            .unwrap_or(if self.kind == "mysql" { 3306 } else { 5432 });
        format!("{}:{port}", u.host_str().expect("host"))
    }

    /// Statements running on the server whose text holds `marker`.
    async fn active(&self, marker: &str) -> i64 {
        let sql = if self.kind == "mysql" {
            format!(
                "SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE ID <> CONNECTION_ID() \
                 AND COMMAND = 'Query' AND INFO LIKE '%{marker}%'"
            )
        } else {
            format!(
                "SELECT count(*) FROM pg_stat_activity WHERE state = 'active' \
                 AND pid <> pg_backend_pid() AND query LIKE '%{marker}%'"
            )
        };
        if self.kind == "mysql" {
            let mut conn = MySqlConnection::connect(&self.url).await.expect("admin");
            let run: BoxFuture<'_, Result<i64, sqlx::Error>> =
                Box::pin(sqlx::query_scalar(&sql).fetch_one(&mut conn));
            run.await.expect("count")
        } else {
            let mut conn = PgConnection::connect(&self.url).await.expect("admin");
            let run: BoxFuture<'_, Result<i64, sqlx::Error>> =
                Box::pin(sqlx::query_scalar(&sql).fetch_one(&mut conn));
            run.await.expect("count")
        }
    }

    fn source(&self, name: &str, url: &str, query: &str, timeout: &str) -> String {
        format!(
            "[[source]]\nname = \"{name}\"\nkind = \"{}\"\nurl = \"{url}\"\n\
             query = \"{query}\"\ntimeout = \"{timeout}\"\n",
            self.kind
        )
    }
}

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
    if let Some(server) = Server::postgres() {
        cut_connection_fails_fast(server).await;
    }
}

#[tokio::test]
async fn postgres_connection_stalled_mid_query() {
    if let Some(server) = Server::postgres() {
        stalled_connection_times_out(server).await;
    }
}

#[tokio::test]
async fn mysql_connection_cut_mid_query() {
    if let Some(server) = Server::mysql() {
        cut_connection_fails_fast(server).await;
    }
}

#[tokio::test]
async fn mysql_connection_stalled_mid_query() {
    if let Some(server) = Server::mysql() {
        stalled_connection_times_out(server).await;
    }
}
