//! Faults: a TCP proxy that stalls (forwards nothing) or drips (the server's bytes one at a
//! time) in front of the real PostgreSQL, MariaDB, Redis, MongoDB and an HTTP server. The
//! source ends `timeout` at its limit, a healthy source beside it is unaffected, and the proxy
//! sees the client close its side once the limit passed (the engine dropped the connection).
//!
//! And a network partition in the middle of a statement (the proxy forwards, then stops
//! forwarding anything): the source times out, the server-side cancel cannot get through,
//! and the statement is ended on the server by its backstop limit (`statement_timeout`,
//! `max_statement_time`: the source's timeout plus 2 s), not left running for 30 s.

mod common;
mod db_common;
mod mongo_common;

use std::net::{SocketAddr, ToSocketAddrs};
use std::time::{Duration, Instant};

use std::sync::Arc;

use common::proxy::{Mode, Proxy};
use common::{assert_healthy, healthy, lit};
use db_common::{config, gather_once, outcome, unique};
use futures_util::future::BoxFuture;
use scatter::engine::{self, Plan};
use scatter::source::{Outcome, TimeoutCause};
use sqlx::{Connection, MySqlConnection, PgConnection};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio::sync::mpsc;

/// The faulty source's limit.
const LIMIT: Duration = Duration::from_secs(1);
/// One byte per this long: a PostgreSQL login answer (~300 bytes) or a MariaDB greeting
/// (~100) or a small HTTP response (~100) takes seconds, far past [`LIMIT`].
const DRIP: Duration = Duration::from_millis(50);

/// Where `url` points, and `url` pointed at `to` instead.
fn redirect(url: &str, to: SocketAddr) -> (SocketAddr, String) {
    let mut parsed = url::Url::parse(url).expect("test URL parses");
    let host = parsed.host_str().expect("host").to_owned();
    let port = parsed.port_or_known_default().expect("port");
    let upstream = (host.as_str(), port)
        .to_socket_addrs()
        .expect("resolve")
        .next()
        .expect("an address");
    parsed.set_host(Some("127.0.0.1")).expect("host");
    parsed.set_port(Some(to.port())).expect("port");
    (upstream, parsed.to_string())
}

/// A server on 127.0.0.1:0 answering every request with a small JSON array.
async fn http_server() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut head = Vec::new();
                let mut buf = [0u8; 1024];
                while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                    match socket.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => head.extend_from_slice(&buf[..n]),
                    }
                }
                let body = r#"[{"id": 1, "name": "dripped"}]"#;
                let reply = format!(
                    "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n\
                     content-length: {}\r\nconnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = socket.write_all(reply.as_bytes()).await;
            });
        }
    });
    addr
}

/// Runs a gather of `kind` at `url` through a proxy in `mode`, beside a healthy sim, and
/// checks the timeout, the healthy source, and that the client hung up on the proxy.
async fn through_proxy(kind: &str, url: &str, query: &str, mode: Mode) {
    let (upstream, _) = redirect(url, "127.0.0.1:1".parse().unwrap());
    let mut proxy = Proxy::start(upstream, mode).await;
    let (_, proxied) = redirect(url, proxy.addr);
    let cfg = config(&format!(
        "[[source]]\nname = \"faulty\"\nkind = \"{kind}\"\nurl = {}\nquery = {}\n\
         timeout = \"{}ms\"\n{}",
        lit(&proxied),
        lit(query),
        LIMIT.as_millis(),
        healthy("calm"),
    ));
    let started = Instant::now();
    let (result, _) = gather_once(&cfg).await;
    let took = started.elapsed();
    assert_eq!(
        outcome(&result, "faulty"),
        &Outcome::Timeout {
            limit: LIMIT,
            cause: TimeoutCause::Source
        },
        "{kind} behind a {mode:?} proxy"
    );
    assert_eq!(
        result.reports[0].outcome.message().as_deref(),
        Some("timeout 1s")
    );
    assert!(
        took >= LIMIT && took < Duration::from_secs(5),
        "ended at its limit: {took:?}"
    );
    assert_healthy(&result, "calm");
    let closed = proxy
        .client_closed(Duration::from_secs(3))
        .await
        .expect("the client closed its side of the proxy");
    assert!(
        closed.duration_since(started.into()) >= LIMIT,
        "the client hung up after the limit, not before"
    );
}

fn server_url(var: &str) -> Option<String> {
    db_common::url(var)
}

#[tokio::test]
async fn postgres_behind_a_stalled_proxy_times_out() {
    let Some(url) = server_url("SCATTER_TEST_PG_URL") else {
        return;
    };
    through_proxy("postgres", &url, "SELECT 1", Mode::Stall).await;
}

#[tokio::test]
async fn postgres_behind_a_dripping_proxy_times_out() {
    let Some(url) = server_url("SCATTER_TEST_PG_URL") else {
        return;
    };
    through_proxy("postgres", &url, "SELECT 1", Mode::Drip(DRIP)).await;
}

#[tokio::test]
async fn mariadb_behind_a_stalled_proxy_times_out() {
    let Some(url) = server_url("SCATTER_TEST_MYSQL_URL") else {
        return;
    };
    through_proxy("mysql", &url, "SELECT 1", Mode::Stall).await;
}

#[tokio::test]
async fn mariadb_behind_a_dripping_proxy_times_out() {
    let Some(url) = server_url("SCATTER_TEST_MYSQL_URL") else {
        return;
    };
    through_proxy("mysql", &url, "SELECT 1", Mode::Drip(DRIP)).await;
}

#[tokio::test]
async fn redis_behind_a_stalled_proxy_times_out() {
    let Some(url) = server_url("SCATTER_TEST_REDIS_URL") else {
        return;
    };
    through_proxy("redis", &url, "HGETALL fault_proxy_none:*", Mode::Stall).await;
}

#[tokio::test]
async fn redis_behind_a_dripping_proxy_times_out() {
    let Some(url) = server_url("SCATTER_TEST_REDIS_URL") else {
        return;
    };
    // Redis answers are a few bytes (`+OK`): drip slower so that any one takes past the limit.
    let slow = Mode::Drip(Duration::from_millis(300));
    through_proxy("redis", &url, "HGETALL fault_proxy_none:*", slow).await;
}

/// The MongoDB test server with a database that need not exist: nothing gets through.
fn mongo_url() -> Option<String> {
    mongo_common::mongo_url().map(|url| mongo_common::with_database(&url, "scatter_fault"))
}

#[tokio::test]
async fn mongodb_behind_a_stalled_proxy_times_out() {
    let Some(url) = mongo_url() else {
        return;
    };
    through_proxy("mongodb", &url, r#"{"count": "none"}"#, Mode::Stall).await;
}

#[tokio::test]
async fn mongodb_behind_a_dripping_proxy_times_out() {
    let Some(url) = mongo_url() else {
        return;
    };
    // The driver's handshake answer is some 300 bytes: 15 s at this rate.
    through_proxy("mongodb", &url, r#"{"count": "none"}"#, Mode::Drip(DRIP)).await;
}

#[tokio::test]
async fn http_behind_a_stalled_proxy_times_out() {
    let server = http_server().await;
    through_proxy("http", &format!("http://{server}/items"), "", Mode::Stall).await;
}

#[tokio::test]
async fn http_behind_a_dripping_proxy_times_out() {
    let server = http_server().await;
    through_proxy(
        "http",
        &format!("http://{server}/items"),
        "",
        Mode::Drip(DRIP),
    )
    .await;
}

/// Statements running on the server at `url` (of `kind`) whose text holds `marker`.
async fn active(kind: &str, url: &str, marker: &str) -> i64 {
    let sql = if kind == "postgres" {
        format!(
            "SELECT count(*) FROM pg_stat_activity WHERE state = 'active' \
             AND pid <> pg_backend_pid() AND query LIKE '%{marker}%'"
        )
    } else {
        format!(
            "SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE ID <> CONNECTION_ID() \
             AND COMMAND = 'Query' AND INFO LIKE '%{marker}%'"
        )
    };
    let count: Result<i64, sqlx::Error> = if kind == "postgres" {
        let mut conn = PgConnection::connect(url).await.expect("admin");
        let run: BoxFuture<'_, _> = Box::pin(sqlx::query_scalar(&sql).fetch_one(&mut conn));
        run.await
    } else {
        let mut conn = MySqlConnection::connect(url).await.expect("admin");
        let run: BoxFuture<'_, _> = Box::pin(sqlx::query_scalar(&sql).fetch_one(&mut conn));
        run.await
    };
    count.unwrap_or_else(|e| panic!("{sql}: {e}"))
}

/// Starts `sleep` (holding `marker`) on the server behind a faithful proxy, cuts the network
/// once the statement runs, and checks the timeout, the healthy source, and that the server
/// ends the statement by its backstop limit.
async fn partitioned_mid_statement(kind: &str, url: &str, sleep: &str, marker: &str) {
    let (upstream, _) = redirect(url, "127.0.0.1:1".parse().unwrap());
    let mut proxy = Proxy::start(upstream, Mode::Pass).await;
    let (_, proxied) = redirect(url, proxy.addr);
    let cfg = config(&format!(
        "[[source]]\nname = \"faulty\"\nkind = \"{kind}\"\nurl = {}\nquery = {}\n\
         timeout = \"{}ms\"\n{}",
        lit(&proxied),
        lit(sleep),
        LIMIT.as_millis(),
        healthy("calm"),
    ));
    let plan = Arc::new(Plan::new(&cfg));
    let (events_tx, mut events_rx) = mpsc::channel(engine::EVENT_CHANNEL);
    tokio::spawn(async move { while events_rx.recv().await.is_some() {} });
    let started = Instant::now();
    let running = engine::spawn(Arc::clone(&plan), 1, events_tx);
    let on_server = db_common::eventually(Duration::from_secs(5), async || {
        active(kind, url, marker).await == 1
    })
    .await;
    assert!(on_server, "the statement reached the server");
    proxy.stall();

    let result = tokio::time::timeout(Duration::from_secs(5), running.join())
        .await
        .expect("the gather returns");
    assert_eq!(
        outcome(&result, "faulty"),
        &Outcome::Timeout {
            limit: LIMIT,
            cause: TimeoutCause::Source
        }
    );
    assert_healthy(&result, "calm");
    assert!(
        proxy.client_closed(Duration::from_secs(3)).await.is_some(),
        "the client hung up"
    );
    // The cancel is sent through the partitioned proxy and cannot arrive: the backstop
    // (LIMIT + 2 s after the statement started) ends it.
    let gone = db_common::eventually(Duration::from_secs(6), async || {
        active(kind, url, marker).await == 0
    })
    .await;
    let at = started.elapsed();
    assert!(
        gone,
        "{kind}: the statement still runs on the server after {at:?}"
    );
    assert!(
        at < Duration::from_secs(6),
        "{kind}: ended by the backstop, not its 30 s: {at:?}"
    );
    eprintln!("{kind}: statement gone after {at:?}");
    // The partition heals: the stalled cancel connection is refused, the cleanup ends.
    drop(proxy);
    plan.cleanup.close();
    tokio::time::timeout(Duration::from_secs(6), plan.cleanup.wait())
        .await
        .expect("the cancel attempt gives up");
    eprintln!("{kind}: cleanup done after {:?}", started.elapsed());
}

#[tokio::test]
async fn postgres_partitioned_mid_statement_is_ended_by_the_server_backstop() {
    let Some(url) = server_url("SCATTER_TEST_PG_URL") else {
        return;
    };
    let marker = unique("fault_partition_pg");
    let sleep = format!("SELECT pg_sleep(30) AS {marker}");
    partitioned_mid_statement("postgres", &url, &sleep, &marker).await;
}

#[tokio::test]
async fn mariadb_partitioned_mid_statement_is_ended_by_the_server_backstop() {
    let Some(url) = server_url("SCATTER_TEST_MYSQL_URL") else {
        return;
    };
    let marker = unique("fault_partition_my");
    let sleep = format!("SELECT SLEEP(30) AS {marker}");
    partitioned_mid_statement("mysql", &url, &sleep, &marker).await;
}
