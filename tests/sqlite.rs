//! `SQLite` sources: read-only, and a cancelled statement really stops inside `SQLite`.

use std::sync::Arc;
use std::time::{Duration, Instant};

use scatter::config::Config;
use scatter::engine::{self, Plan};
use scatter::source::{Outcome, SourceError, SqliteSource, State, TimeoutCause};

fn demo_config(query: &str, timeout: &str) -> (tempfile::TempDir, Config) {
    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("db.sql");
    std::fs::write(&script, "CREATE TABLE t (id INTEGER, name TEXT, price REAL, raw BLOB);\nINSERT INTO t VALUES (1, 'a', 1.5, x'00ff'), (2, NULL, NULL, NULL);\n").unwrap();
    let text = format!(
        "query = \"{query}\"\n[gather]\ntimeout = \"{timeout}\"\n[[source]]\nname = \"db\"\nkind = \"sqlite\"\npath = \"{}\"\n",
        script.display()
    );
    let path = dir.path().join("sources.toml");
    std::fs::write(&path, text).unwrap();
    let config = Config::load(&path).unwrap();
    (dir, config)
}

async fn run(config: &Config) -> engine::GatherResult {
    let (tx, _rx) = tokio::sync::mpsc::channel(engine::EVENT_CHANNEL);
    engine::spawn(Arc::new(Plan::new(config)), 1, tx)
        .join()
        .await
}

#[tokio::test]
async fn values_keep_their_types() {
    let (_dir, config) = demo_config("SELECT id, name, price, raw FROM t ORDER BY id", "5s");
    let r = run(&config).await;
    assert_eq!(r.reports[0].outcome, Outcome::Ok);
    let b = &r.batches[0][0];
    let types: Vec<String> = b
        .schema()
        .fields()
        .iter()
        .map(|f| f.data_type().to_string())
        .collect();
    assert_eq!(types, ["Int64", "Utf8", "Float64", "Binary"]);
    assert_eq!(b.num_rows(), 2);
    assert_eq!(b.column(1).null_count(), 1);
}

#[tokio::test]
async fn writes_are_refused_by_the_guard_and_by_sqlite() {
    let (_dir, config) = demo_config("DELETE FROM t", "5s");
    let r = run(&config).await;
    assert_eq!(
        r.reports[0].outcome,
        Outcome::from(SourceError::Refused(
            "DELETE writes, and sessions are read-only (pass --allow-writes to allow it)".into()
        ))
    );
    // A write inside a reading statement: the guard names it (the read-only database would
    // refuse it too).
    let (_dir, config) = demo_config(
        "WITH x AS (SELECT 1) INSERT INTO t (id) SELECT 3 FROM x",
        "5s",
    );
    let r = run(&config).await;
    let message = r.reports[0].outcome.message().unwrap_or_default();
    assert!(
        message.contains("readonly")
            || message.contains("read-only")
            || message.contains("query_only"),
        "{message}"
    );
    let (_dir, config) = demo_config("SELECT 1; SELECT 2", "5s");
    assert_eq!(run(&config).await.reports[0].outcome.state(), State::Error);
}

#[tokio::test]
async fn an_empty_result_is_ok_with_its_columns() {
    let (_dir, config) = demo_config("SELECT id, name FROM t WHERE id > 99", "5s");
    let r = run(&config).await;
    assert_eq!(
        (r.reports[0].outcome.clone(), r.reports[0].rows),
        (Outcome::Ok, 0)
    );
    assert_eq!(r.batches[0][0].num_columns(), 2);
}

#[tokio::test]
async fn a_missing_file_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sources.toml");
    std::fs::write(
        &path,
        "query = \"SELECT 1\"\n[[source]]\nname = \"db\"\nkind = \"sqlite\"\npath = \"gone.db\"\n",
    )
    .unwrap();
    let r = run(&Config::load(&path).unwrap()).await;
    let Outcome::Error(e) = &r.reports[0].outcome else {
        panic!()
    };
    let message = e.to_string();
    assert!(
        message.starts_with("no such file: ") && message.ends_with("gone.db"),
        "{message}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_timed_out_statement_stops_inside_sqlite() {
    let endless =
        "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c";
    let (_dir, config) = demo_config(endless, "300ms");
    let source = Arc::new(SqliteSource::new(match &config.sources[0].kind {
        scatter::config::KindSpec::Sqlite { path } => path.clone(),
        _ => unreachable!(),
    }));
    let mut plan = Plan::new(&config);
    plan.sources[0].source = Ok(source.clone());
    let (tx, _rx) = tokio::sync::mpsc::channel(engine::EVENT_CHANNEL);
    let started = Instant::now();
    let r = engine::spawn(Arc::new(plan), 1, tx).join().await;
    assert_eq!(
        r.reports[0].outcome,
        Outcome::Timeout {
            limit: Duration::from_millis(300),
            cause: TimeoutCause::Source
        }
    );
    assert!(started.elapsed() < Duration::from_secs(2));
    // The statement was running on SQLite's worker thread; it must stop there too, which
    // closes the connection and drops the progress handler that counts as live.
    let deadline = Instant::now() + Duration::from_secs(3);
    while source.live_statements() > 0 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(
        source.live_statements(),
        0,
        "the cancelled statement is still running in SQLite"
    );
}
