//! Faults before the first byte of a result: connection refused, a host name that does not
//! resolve, a wrong password, TLS required by the client but not offered by the server. Each
//! ends `error` with a short, specific message holding no password, quickly, and a healthy
//! source in the same gather keeps its rows.

mod common;
mod db_common;

use std::process::Command;
use std::time::{Duration, Instant};

use common::cluster::Cluster;
use common::{assert_healthy, healthy, lit};
use db_common::{closed_port, config, error, gather_once, outcome, unique};
use futures_util::future::BoxFuture;
use scatter::engine::GatherResult;
use scatter::source::Outcome;
use sqlx::mysql::MySqlQueryResult;
use sqlx::{Connection, Executor, MySqlConnection};

/// A host name that can never resolve (RFC 6761 reserves `.invalid`).
const NOWHERE: &str = "scatter-fault.invalid";
/// The password the wrong-password tests use; no message may quote it.
const WRONG: &str = "wrong-Pa55word-xyzzy";
/// The right one.
const RIGHT: &str = "right-Pa55word-plugh";

fn source(name: &str, kind: &str, url: &str) -> String {
    format!(
        "[[source]]\nname = \"{name}\"\nkind = \"{kind}\"\nurl = {}\nquery = \"SELECT 1\"\n\
         timeout = \"8s\"\n",
        lit(url)
    )
}

/// `url` changed by `edit`.
fn with(url: &str, edit: impl FnOnce(&mut url::Url)) -> String {
    let mut u = url::Url::parse(url).expect("test URL parses");
    edit(&mut u);
    u.to_string()
}

/// One gather of `sources` beside a healthy sim; asserts the sim is intact and that the
/// gather ended well before any source's timeout.
async fn run(sources: &str) -> GatherResult {
    let cfg = config(&format!("{sources}{}", healthy("calm")));
    let started = Instant::now();
    let (result, _) = gather_once(&cfg).await;
    assert!(
        started.elapsed() < Duration::from_secs(6),
        "failed fast, not at the 8 s timeout: {:?}",
        started.elapsed()
    );
    assert_healthy(&result, "calm");
    for r in &result.reports {
        let text = r.outcome.message().unwrap_or_default();
        assert!(
            !text.contains(WRONG) && !text.contains(RIGHT),
            "{}: {text}",
            r.name
        );
        eprintln!("{}: {text}", r.name);
    }
    result
}

#[tokio::test]
async fn postgres_refused_and_unresolvable_say_so() {
    let Some(url) = db_common::url("SCATTER_TEST_PG_URL") else {
        return;
    };
    let port = closed_port();
    let refused = with(&url, |u| u.set_port(Some(port)).unwrap());
    let nowhere = with(&url, |u| u.set_host(Some(NOWHERE)).unwrap());
    let result = run(&format!(
        "{}{}",
        source("refused", "postgres", &refused),
        source("nowhere", "postgres", &nowhere),
    ))
    .await;
    assert_eq!(
        error(&result, "refused"),
        format!("connection refused: 127.0.0.1:{port}")
    );
    assert_eq!(
        error(&result, "nowhere"),
        format!("cannot resolve host \"{NOWHERE}\"")
    );
}

#[tokio::test]
async fn postgres_wrong_password_and_tls_refused_say_so_without_quoting_the_password() {
    let Some(cluster) = Cluster::with_password(RIGHT) else {
        return;
    };
    let with_password = |p: &str| {
        with(&cluster.url(), |u| {
            u.set_password(Some(p)).unwrap();
        })
    };
    // The shared server offers TLS; this private cluster does not.
    let tls = with(&with_password(RIGHT), |u| {
        u.query_pairs_mut().append_pair("sslmode", "require");
    });
    let result = run(&format!(
        "{}{}{}",
        source("wrong", "postgres", &with_password(WRONG)),
        source("right", "postgres", &with_password(RIGHT)),
        source("tls", "postgres", &tls),
    ))
    .await;
    assert_eq!(
        error(&result, "wrong"),
        "password authentication failed for user \"postgres\""
    );
    assert_eq!(outcome(&result, "right"), &Outcome::Ok);
    assert_eq!(
        error(&result, "tls"),
        format!(
            "TLS with 127.0.0.1:{} failed: server does not support TLS",
            cluster.port
        )
    );
}

/// A MariaDB user made for one test, dropped again when this guard goes (even when the test
/// failed), through the `mariadb` client so no runtime is needed in `drop`.
struct MyUser {
    name: String,
    url: url::Url,
}

impl Drop for MyUser {
    fn drop(&mut self) {
        let out = Command::new("mariadb")
            .arg(format!(
                "--host={}",
                self.url.host_str().unwrap_or("127.0.0.1")
            ))
            .arg(format!("--port={}", self.url.port().unwrap_or(3306)))
            .arg(format!("--user={}", self.url.username()))
            .arg(format!("--password={}", self.url.password().unwrap_or("")))
            .arg("-e")
            .arg(format!("DROP USER IF EXISTS '{}'@'%'", self.name))
            .output();
        if !out.is_ok_and(|o| o.status.success()) {
            eprintln!("could not drop MariaDB user {}", self.name);
        }
    }
}

async fn my_exec(conn: &mut MySqlConnection, sql: &str) {
    let run: BoxFuture<'_, Result<MySqlQueryResult, sqlx::Error>> = conn.execute(sql);
    run.await.unwrap_or_else(|e| panic!("{sql}: {e}"));
}

#[tokio::test]
async fn mariadb_refused_unresolvable_wrong_password_and_tls_refused_say_so() {
    let Some(url) = db_common::url("SCATTER_TEST_MYSQL_URL") else {
        return;
    };
    let user = MyUser {
        name: unique("fault_conn_user"),
        url: url::Url::parse(&url).expect("URL"),
    };
    let mut admin = MySqlConnection::connect(&url).await.expect("admin");
    my_exec(
        &mut admin,
        &format!(
            "CREATE OR REPLACE USER '{}'@'%' IDENTIFIED BY '{RIGHT}'",
            user.name
        ),
    )
    .await;
    let db = user.url.path().trim_start_matches('/').to_owned();
    my_exec(
        &mut admin,
        &format!("GRANT SELECT ON `{db}`.* TO '{}'@'%'", user.name),
    )
    .await;
    let port = closed_port();
    let refused = with(&url, |u| u.set_port(Some(port)).unwrap());
    let nowhere = with(&url, |u| u.set_host(Some(NOWHERE)).unwrap());
    let as_user = |p: &str| {
        with(&url, |u| {
            u.set_username(&user.name).unwrap();
            u.set_password(Some(p)).unwrap();
        })
    };
    let tls = with(&url, |u| {
        u.query_pairs_mut().append_pair("ssl-mode", "REQUIRED");
    });
    let result = run(&format!(
        "{}{}{}{}{}",
        source("refused", "mysql", &refused),
        source("nowhere", "mysql", &nowhere),
        source("wrong", "mysql", &as_user(WRONG)),
        source("right", "mysql", &as_user(RIGHT)),
        source("tls", "mysql", &tls),
    ))
    .await;
    assert_eq!(
        error(&result, "refused"),
        format!("connection refused: 127.0.0.1:{port}")
    );
    assert_eq!(
        error(&result, "nowhere"),
        format!("cannot resolve host \"{NOWHERE}\"")
    );
    let wrong = error(&result, "wrong");
    assert!(
        wrong.starts_with(&format!("Access denied for user '{}'@", user.name))
            && wrong.ends_with("(using password: YES)"),
        "{wrong}"
    );
    assert_eq!(outcome(&result, "right"), &Outcome::Ok);
    assert_eq!(
        error(&result, "tls"),
        "TLS with 127.0.0.1:3306 failed: server does not support TLS"
    );
}

#[tokio::test]
async fn http_refused_and_unresolvable_say_so() {
    let port = closed_port();
    let result = run(&format!(
        "{}{}",
        source("refused", "http", &format!("http://127.0.0.1:{port}/items")),
        source(
            "nowhere",
            "http",
            &format!("http://user:{WRONG}@{NOWHERE}/items")
        ),
    ))
    .await;
    assert_eq!(
        error(&result, "refused"),
        format!(
            "GET http://127.0.0.1:{port}/items: cannot connect: Connection refused (os error 111)"
        )
    );
    let nowhere = error(&result, "nowhere");
    assert!(
        nowhere.starts_with(&format!(
            "GET http://user:***@{NOWHERE}/items: cannot connect: failed to lookup address"
        )),
        "{nowhere}"
    );
}
