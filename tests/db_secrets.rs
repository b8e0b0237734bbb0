//! Passwords in database URLs never reach the JSON output, the terminal or the log file: the
//! real binary, run with `--once --format json --log-file ... -vv` against sources whose URLs
//! hold a password (ones that log in, ones that are refused, one cut off by its timeout).

mod db_common;

use std::process::Command;

use futures_util::future::BoxFuture;
use sqlx::mysql::MySqlQueryResult;
use sqlx::postgres::PgQueryResult;
use sqlx::{Connection, Executor, MySqlConnection, PgConnection};

const SECRET: &str = "hunter2-secret";

/// `url` with `user` and the secret as its credentials.
fn with_user(url: &str, user: &str) -> String {
    let mut u = url::Url::parse(url).expect("test URL parses");
    u.set_username(user).unwrap();
    u.set_password(Some("${SCATTER_TEST_SECRET}")).unwrap();
    u.to_string().replace("%7B", "{").replace("%7D", "}")
}

fn source(name: &str, kind: &str, url: &str, query: &str, timeout: &str) -> String {
    format!(
        "[[source]]\nname = \"{name}\"\nkind = \"{kind}\"\nurl = \"{url}\"\n\
         query = \"{query}\"\ntimeout = \"{timeout}\"\n"
    )
}

async fn pg_exec(conn: &mut PgConnection, sql: &str) {
    let run: BoxFuture<'_, Result<PgQueryResult, sqlx::Error>> = conn.execute(sql);
    run.await.unwrap_or_else(|e| panic!("{sql}: {e}"));
}

async fn my_exec(conn: &mut MySqlConnection, sql: &str) {
    let run: BoxFuture<'_, Result<MySqlQueryResult, sqlx::Error>> = conn.execute(sql);
    run.await.unwrap_or_else(|e| panic!("{sql}: {e}"));
}

#[tokio::test]
async fn passwords_reach_neither_the_output_nor_the_log() {
    let (Some(pg), Some(my)) = (
        db_common::url("SCATTER_TEST_PG_URL"),
        db_common::url("SCATTER_TEST_MYSQL_URL"),
    ) else {
        return;
    };
    let user = db_common::unique("db_secrets_user");
    let mut pg_admin = PgConnection::connect(&pg).await.expect("pg admin");
    let mut my_admin = MySqlConnection::connect(&my).await.expect("mysql admin");
    pg_admin_setup(&mut pg_admin, &user).await;
    my_exec(&mut my_admin, &format!("DROP USER IF EXISTS '{user}'@'%'")).await;
    my_exec(
        &mut my_admin,
        &format!("CREATE USER '{user}'@'%' IDENTIFIED BY '{SECRET}'"),
    )
    .await;
    let db = url::Url::parse(&my)
        .expect("URL")
        .path()
        .trim_start_matches('/')
        .to_owned();
    my_exec(
        &mut my_admin,
        &format!("GRANT SELECT ON `{db}`.* TO '{user}'@'%'"),
    )
    .await;

    let dir = tempfile::tempdir().expect("tempdir");
    let config = dir.path().join("sources.toml");
    let log = dir.path().join("scatter.log");
    let text = [
        source(
            "pg-ok",
            "postgres",
            &with_user(&pg, &user),
            "SELECT 1 AS one",
            "10s",
        ),
        source(
            "pg-denied",
            "postgres",
            &with_user(&pg, "db_secrets_nobody"),
            "SELECT 1",
            "10s",
        ),
        source(
            "pg-cut",
            "postgres",
            &with_user(&pg, &user),
            "SELECT pg_sleep(5)",
            "300ms",
        ),
        source(
            "my-ok",
            "mysql",
            &with_user(&my, &user),
            "SELECT 1 AS one",
            "10s",
        ),
        source(
            "my-denied",
            "mysql",
            &with_user(&my, "db_secrets_nobody"),
            "SELECT 1",
            "10s",
        ),
        source(
            "my-cut",
            "mysql",
            &with_user(&my, &user),
            "SELECT SLEEP(5)",
            "300ms",
        ),
        source(
            "bad-url",
            "postgres",
            &format!("postgres://u:{SECRET}@host:port/db"),
            "SELECT 1",
            "1s",
        ),
    ]
    .concat();
    std::fs::write(&config, text).expect("write config");
    let out = Command::new(env!("CARGO_BIN_EXE_scatter"))
        .arg("-c")
        .arg(&config)
        .args(["--once", "--format", "json", "-vv", "--log-file"])
        .arg(&log)
        .env("SCATTER_TEST_SECRET", SECRET)
        .env_remove("SCATTER_LOG")
        .output()
        .expect("run scatter");

    pg_exec(&mut pg_admin, &format!("DROP ROLE IF EXISTS {user}")).await;
    my_exec(&mut my_admin, &format!("DROP USER IF EXISTS '{user}'@'%'")).await;

    check(
        &out,
        &std::fs::read_to_string(&log).expect("the log file exists"),
    );
}

/// What the run printed and logged: the expected states, and the password nowhere.
fn check(out: &std::process::Output, logged: &str) {
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    let json: serde_json::Value = serde_json::from_str(&stdout).expect("JSON on stdout");
    let states: Vec<(&str, &str)> = json["sources"]
        .as_array()
        .expect("sources")
        .iter()
        .map(|s| (s["name"].as_str().unwrap(), s["state"].as_str().unwrap()))
        .collect();
    assert_eq!(
        states,
        [
            ("pg-ok", "ok"),
            ("pg-denied", "error"),
            ("pg-cut", "timeout"),
            ("my-ok", "ok"),
            ("my-denied", "error"),
            ("my-cut", "timeout"),
            ("bad-url", "error"),
        ],
        "{stdout}"
    );
    assert!(
        logged.contains("postgres session opened") && logged.contains("mysql session opened"),
        "the log covers the sources' connections:\n{logged}"
    );
    assert!(
        logged.contains("statement cancelled on the server")
            && logged.contains("statement killed on the server"),
        "the log covers the server-side cancels:\n{logged}"
    );
    for (what, text) in [("stdout", &*stdout), ("stderr", &*stderr), ("log", logged)] {
        assert!(!text.contains(SECRET), "the password is in {what}:\n{text}");
    }
    assert!(stdout.contains("postgres://u:***@host:port/db"), "{stdout}");
}

async fn pg_admin_setup(conn: &mut PgConnection, user: &str) {
    pg_exec(conn, &format!("DROP ROLE IF EXISTS {user}")).await;
    pg_exec(
        conn,
        &format!("CREATE ROLE {user} LOGIN PASSWORD '{SECRET}'"),
    )
    .await;
}
