//! Every kind sorts its failures into transient (a retry may pass) and final, checked through
//! the engine against the real local servers where that is cheap (a closed port, a syntax
//! error, a backend terminated mid-query) and against tiny fake servers that answer with the
//! real protocol's "not now" replies (PostgreSQL `53300`/`57P03`, MariaDB 1040, Redis
//! `LOADING`/`BUSY`, HTTP 503 with `Retry-After`), which a shared server cannot be made to
//! send on demand.

mod db_common;

use std::time::Duration;

use db_common::{closed_port, config, gather_once, outcome, unique};
use futures_util::future::BoxFuture;
use scatter::engine::GatherResult;
use scatter::source::{Outcome, SourceError};
use sqlx::{Connection, PgConnection};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// One expectation: source `name` ends in an error whose text starts with `starts`, transient
/// or not, with this `Retry-After`.
struct Case {
    name: &'static str,
    transient: bool,
    starts: String,
    retry_after: Option<Duration>,
}

fn case(name: &'static str, transient: bool, starts: impl Into<String>) -> Case {
    Case {
        name,
        transient,
        starts: starts.into(),
        retry_after: None,
    }
}

fn error_of<'a>(result: &'a GatherResult, name: &str) -> &'a SourceError {
    match outcome(result, name) {
        Outcome::Error(e) => e,
        other => panic!("{name}: expected an error, got {other:?}"),
    }
}

fn check(result: &GatherResult, cases: &[Case]) {
    for c in cases {
        let e = error_of(result, c.name);
        eprintln!("{}: transient={} {e}", c.name, e.is_transient());
        assert!(
            e.to_string().starts_with(&c.starts),
            "{}: {e:?} does not start with {:?}",
            c.name,
            c.starts
        );
        assert_eq!(e.is_transient(), c.transient, "{}: {e}", c.name);
        assert_eq!(e.retry_after(), c.retry_after, "{}: {e}", c.name);
    }
}

fn source(name: &str, kind: &str, target: &str, query: &str) -> String {
    let key = if matches!(kind, "sqlite" | "file") {
        "path"
    } else {
        "url"
    };
    format!(
        "[[source]]\nname = \"{name}\"\nkind = \"{kind}\"\n{key} = {}\nquery = {}\n\
         timeout = \"8s\"\n",
        toml::Value::String(target.into()),
        toml::Value::String(query.into())
    )
}

/// A server on 127.0.0.1:0 that answers each connection with `answer`; stops when dropped.
struct Fake {
    port: u16,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Fake {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn fake<F>(answer: F) -> Fake
where
    F: Fn(TcpStream) -> BoxFuture<'static, ()> + Send + Sync + 'static,
{
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let task = tokio::spawn(async move {
        while let Ok((socket, _)) = listener.accept().await {
            tokio::spawn(answer(socket));
        }
    });
    Fake { port, task }
}

/// A PostgreSQL server that refuses every session with a FATAL `ErrorResponse` carrying
/// `sqlstate`, as a full server (`53300`) or one starting up (`57P03`) does.
async fn fake_postgres(sqlstate: &'static str, message: &'static str) -> Fake {
    fake(move |mut s| {
        Box::pin(async move {
            let mut len = [0u8; 4];
            // An SSLRequest first (8 bytes, answered `N`: no TLS), then the startup message.
            for _ in 0..2 {
                if s.read_exact(&mut len).await.is_err() {
                    return;
                }
                let mut body = vec![0u8; (u32::from_be_bytes(len) as usize).saturating_sub(4)];
                if s.read_exact(&mut body).await.is_err() {
                    return;
                }
                if body.starts_with(&80_877_103u32.to_be_bytes()) {
                    let _ = s.write_all(b"N").await;
                } else {
                    break;
                }
            }
            let mut fields = Vec::new();
            for (tag, value) in [
                (b'S', "FATAL"),
                (b'V', "FATAL"),
                (b'C', sqlstate),
                (b'M', message),
            ] {
                fields.push(tag);
                fields.extend_from_slice(value.as_bytes());
                fields.push(0);
            }
            fields.push(0);
            let mut reply = vec![b'E'];
            reply.extend_from_slice(&(fields.len() as u32 + 4).to_be_bytes());
            reply.extend_from_slice(&fields);
            let _ = s.write_all(&reply).await;
        })
    })
    .await
}

/// A MariaDB server with no room left: its first packet is `ERR 1040 Too many connections`.
async fn fake_mariadb_full() -> Fake {
    fake(|mut s| {
        Box::pin(async move {
            let mut payload = vec![0xff, 0x10, 0x04];
            payload.extend_from_slice(b"Too many connections");
            let mut packet = (payload.len() as u32).to_le_bytes()[..3].to_vec();
            packet.push(0);
            packet.extend_from_slice(&payload);
            let _ = s.write_all(&packet).await;
        })
    })
    .await
}

/// A Redis server that answers every command with the error `line` (`LOADING ...`).
async fn fake_redis(line: &'static str) -> Fake {
    fake(move |mut s| {
        Box::pin(async move {
            let mut buf = Vec::new();
            let mut chunk = [0u8; 4096];
            while let Ok(n) = s.read(&mut chunk).await {
                if n == 0 {
                    return;
                }
                buf.extend_from_slice(&chunk[..n]);
                while let Some(end) = resp_command_end(&buf) {
                    buf.drain(..end);
                    if s.write_all(format!("-{line}\r\n").as_bytes())
                        .await
                        .is_err()
                    {
                        return;
                    }
                }
            }
        })
    })
    .await
}

/// Where the first whole RESP command (`*N` bulk strings) in `buf` ends, if it is complete.
fn resp_command_end(buf: &[u8]) -> Option<usize> {
    fn line(buf: &[u8], at: usize) -> Option<(i64, usize)> {
        let end = at + buf.get(at..)?.windows(2).position(|w| w == b"\r\n")?;
        let n = std::str::from_utf8(&buf[at + 1..end]).ok()?.parse().ok()?;
        Some((n, end + 2))
    }
    let (args, mut at) = line(buf, 0)?;
    for _ in 0..args {
        let (len, body) = line(buf, at)?;
        at = body + len as usize + 2;
        if at > buf.len() {
            return None;
        }
    }
    Some(at)
}

/// An HTTP server answering every request with `status` and, when given, `Retry-After`.
async fn fake_http(status: &'static str, retry_after: Option<&'static str>) -> Fake {
    fake(move |mut s| {
        Box::pin(async move {
            let mut head = Vec::new();
            let mut byte = [0u8; 1];
            while !head.ends_with(b"\r\n\r\n") {
                if s.read_exact(&mut byte).await.is_err() {
                    return;
                }
                head.push(byte[0]);
            }
            let after = retry_after.map_or(String::new(), |a| format!("Retry-After: {a}\r\n"));
            let body = "try later";
            let reply = format!(
                "HTTP/1.1 {status}\r\n{after}Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
            let _ = s.write_all(reply.as_bytes()).await;
        })
    })
    .await
}

#[tokio::test]
async fn servers_that_say_not_now_are_transient() {
    let full = fake_postgres("53300", "sorry, too many clients already").await;
    let starting = fake_postgres("57P03", "the database system is starting up").await;
    let my_full = fake_mariadb_full().await;
    let loading = fake_redis("LOADING Redis is loading the dataset in memory").await;
    let busy = fake_redis("BUSY Redis is busy running a script").await;
    let http_busy = fake_http("503 Service Unavailable", Some("7")).await;
    let http_proxy = fake_http("502 Bad Gateway", None).await;
    let http_missing = fake_http("404 Not Found", Some("7")).await;
    let pg = |p: u16| format!("postgres://postgres@127.0.0.1:{p}/test");
    let http = |p: u16| format!("http://127.0.0.1:{p}/rows");
    let toml = [
        source("pg_full", "postgres", &pg(full.port), "SELECT 1"),
        source("pg_starting", "postgres", &pg(starting.port), "SELECT 1"),
        source(
            "my_full",
            "mysql",
            &format!("mysql://root@127.0.0.1:{}/test", my_full.port),
            "SELECT 1",
        ),
        source(
            "loading",
            "redis",
            &format!("redis://127.0.0.1:{}", loading.port),
            "HGETALL k:*",
        ),
        source(
            "busy",
            "redis",
            &format!("redis://127.0.0.1:{}", busy.port),
            "HGETALL k:*",
        ),
        source("http_busy", "http", &http(http_busy.port), ""),
        source("http_proxy", "http", &http(http_proxy.port), ""),
        source("http_missing", "http", &http(http_missing.port), ""),
    ]
    .concat();
    let (result, _) = gather_once(&config(&toml)).await;
    let mut cases = vec![
        case("pg_full", true, "sorry, too many clients already"),
        case("pg_starting", true, "the database system is starting up"),
        case("my_full", true, "Too many connections"),
        case("loading", true, "LOADING Redis is loading"),
        case("busy", true, "BUSY Redis is busy"),
        case("http_proxy", true, "HTTP 502 Bad Gateway: try later"),
        case("http_missing", false, "HTTP 404 Not Found: try later"),
    ];
    cases.push(Case {
        retry_after: Some(Duration::from_secs(7)),
        ..case("http_busy", true, "HTTP 503 Service Unavailable: try later")
    });
    check(&result, &cases);
}

#[tokio::test]
async fn closed_ports_are_transient_and_what_the_query_says_is_final() {
    let (Some(pg), Some(my), Some(redis)) = (
        db_common::url("SCATTER_TEST_PG_URL"),
        db_common::url("SCATTER_TEST_MYSQL_URL"),
        db_common::url("SCATTER_TEST_REDIS_URL"),
    ) else {
        return;
    };
    let port = closed_port();
    let closed = |url: &str| {
        let mut u = url::Url::parse(url).unwrap();
        u.set_port(Some(port)).unwrap();
        u.to_string()
    };
    let missing = unique("no_such_table");
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("t.sql");
    std::fs::write(&db, "CREATE TABLE t (id INTEGER);").unwrap();
    let toml = [
        source("pg_refused", "postgres", &closed(&pg), "SELECT 1"),
        source("pg_syntax", "postgres", &pg, "SELECT * FROM WHERE"),
        source(
            "pg_missing",
            "postgres",
            &pg,
            &format!("SELECT * FROM {missing}"),
        ),
        source("pg_guard", "postgres", &pg, "DELETE FROM t"),
        source("my_refused", "mysql", &closed(&my), "SELECT 1"),
        source("my_syntax", "mysql", &my, "SELECT FROM WHERE"),
        source(
            "my_missing",
            "mysql",
            &my,
            &format!("SELECT * FROM {missing}"),
        ),
        source("redis_refused", "redis", &closed(&redis), "HGETALL k:*"),
        source("redis_query", "redis", &redis, "KEYS *"),
        source(
            "http_refused",
            "http",
            &format!("http://127.0.0.1:{port}/"),
            "",
        ),
        source(
            "sqlite_syntax",
            "sqlite",
            db.to_str().unwrap(),
            "SELECT * FROM WHERE",
        ),
        source("sqlite_gone", "sqlite", "/nonexistent/x.db", "SELECT 1"),
        source("file_gone", "file", "/nonexistent/x.csv", ""),
        "[[source]]\nname = \"sim_flaky\"\nkind = \"sim\"\nfail = 1.0\nlatency = \"1ms\"\n\
         [[source]]\nname = \"sim_broken\"\nkind = \"sim\"\nerror = \"disk full\"\n\
         latency = \"1ms\"\n\
         [[source]]\nname = \"cmd_exit\"\nkind = \"command\"\nargv = [\"sh\", \"-c\", \"exit 3\"]\n"
            .to_owned(),
    ]
    .concat();
    let (result, _) = gather_once(&config(&toml)).await;
    let refused = format!("connection refused: 127.0.0.1:{port}");
    check(
        &result,
        &[
            case("pg_refused", true, &refused),
            case("pg_syntax", false, "syntax error at or near \"WHERE\""),
            case(
                "pg_missing",
                false,
                format!("relation \"{missing}\" does not exist"),
            ),
            case("pg_guard", false, "refused: DELETE writes"),
            case("my_refused", true, &refused),
            case("my_syntax", false, "You have an error in your SQL syntax"),
            case("my_missing", false, "Table 'test."),
            case("redis_refused", true, "redis://127.0.0.1:"),
            case(
                "redis_query",
                false,
                "\"KEYS *\" is not a query this source runs",
            ),
            case("http_refused", true, "GET http://127.0.0.1:"),
            case("sqlite_syntax", false, "near \"WHERE\": syntax error"),
            case("sqlite_gone", false, "no such file: /nonexistent/x.db"),
            case("file_gone", false, "cannot read /nonexistent/x.csv"),
            case("sim_flaky", true, "simulated failure (fail = 1)"),
            case("sim_broken", false, "disk full"),
            case("cmd_exit", false, "exited with status 3"),
        ],
    );
}

/// A backend terminated by an administrator mid-query (`pg_terminate_backend`: SQLSTATE
/// `57P01`) and a MariaDB connection killed mid-query (`KILL CONNECTION`: the session is lost)
/// are transient: the same query on a new session may pass.
#[tokio::test]
async fn sessions_killed_mid_query_are_transient() {
    let (Some(pg), Some(my)) = (
        db_common::url("SCATTER_TEST_PG_URL"),
        db_common::url("SCATTER_TEST_MYSQL_URL"),
    ) else {
        return;
    };
    let marker = unique("killed_mid_query");
    let toml = [
        source(
            "pg",
            "postgres",
            &pg,
            &format!("SELECT pg_sleep(6), '{marker}'"),
        ),
        source("my", "mysql", &my, &format!("SELECT SLEEP(6), '{marker}'")),
    ]
    .concat();
    let cfg = config(&toml);
    let ((result, _), ()) = tokio::join!(gather_once(&cfg), async {
        // Both statements must be on their servers before they can be killed; keep trying
        // until each was.
        let mut pg_done = false;
        let mut my_done = false;
        let start = std::time::Instant::now();
        while !(pg_done && my_done) && start.elapsed() < Duration::from_secs(4) {
            pg_done |= terminate_pg(&pg, &marker).await;
            my_done |= kill_my(&my, &marker).await;
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        assert!(pg_done && my_done, "both statements were seen and killed");
    });
    check(
        &result,
        &[
            case(
                "pg",
                true,
                "terminating connection due to administrator command",
            ),
            case("my", true, "connection lost"),
        ],
    );
}

/// Terminates the backend running a statement holding `marker`; whether one was found.
async fn terminate_pg(url: &str, marker: &str) -> bool {
    let mut conn = PgConnection::connect(url).await.expect("pg admin");
    let sql = format!(
        "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity \
         WHERE state = 'active' AND pid <> pg_backend_pid() AND query LIKE '%{marker}%'"
    );
    let run: BoxFuture<'_, Result<i64, sqlx::Error>> =
        Box::pin(sqlx::query_scalar(&sql).fetch_one(&mut conn));
    run.await.expect("terminate") > 0
}

/// Kills the connection running a statement holding `marker`; whether one was found.
async fn kill_my(url: &str, marker: &str) -> bool {
    let mut conn = sqlx::MySqlConnection::connect(url)
        .await
        .expect("mysql admin");
    let sql = format!(
        "SELECT ID FROM information_schema.PROCESSLIST WHERE ID <> CONNECTION_ID() \
         AND COMMAND = 'Query' AND INFO LIKE '%{marker}%'"
    );
    let find: BoxFuture<'_, Result<Vec<i64>, sqlx::Error>> =
        Box::pin(sqlx::query_scalar(&sql).fetch_all(&mut conn));
    let ids = find.await.expect("PROCESSLIST");
    for id in &ids {
        let sql = format!("KILL CONNECTION {id}");
        let kill: BoxFuture<'_, Result<sqlx::mysql::MySqlQueryResult, sqlx::Error>> =
            Box::pin(sqlx::query(&sql).execute(&mut conn));
        let _ = kill.await;
    }
    !ids.is_empty()
}
