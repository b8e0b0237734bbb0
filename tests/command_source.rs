//! The `command` source: stdout as CSV, NDJSON and JSON, `{query}` passed without a shell,
//! exit codes and signals with the end of stderr, the stdout cap, and the whole process group
//! gone after a timeout or a cancel.

mod common;

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use arrow_array::RecordBatch;
use arrow_array::cast::AsArray;
use arrow_array::types::{Float64Type, Int64Type};
use common::{assert_group_gone, live_in_group, read_pid};
use scatter::config::{Config, DataFormat};
use scatter::engine::{self, GatherResult, Plan};
use scatter::source::{CancelReason, CommandSource, Request, RowSink, SinkLimits, Source, State};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

/// A TOML string literal for `s` (basic string, escaped).
fn lit(s: &str) -> String {
    toml::Value::String(s.to_owned()).to_string()
}

/// A `[[source]]` table for a command source.
fn command(name: &str, argv: &[&str], extra: &str) -> String {
    let argv: Vec<String> = argv.iter().map(|a| lit(a)).collect();
    format!(
        "[[source]]\nname = \"{name}\"\nkind = \"command\"\nargv = [{}]\n{extra}\n",
        argv.join(", ")
    )
}

/// Starts one gather of a config holding `sources`.
fn start(sources: &str) -> (Arc<Plan>, engine::Gather) {
    let text = format!("[gather]\ntimeout = \"10s\"\n{sources}");
    let config = Config::parse(Path::new("test.toml"), &text, &|_| None).expect("config parses");
    let plan = Arc::new(Plan::new(&config));
    let (events_tx, mut events_rx) = mpsc::channel(engine::EVENT_CHANNEL);
    tokio::spawn(async move { while events_rx.recv().await.is_some() {} });
    let gather = engine::spawn(Arc::clone(&plan), 1, events_tx);
    (plan, gather)
}

async fn gather(sources: &str) -> GatherResult {
    start(sources).1.join().await
}

fn one(result: &GatherResult) -> (State, String, RecordBatch) {
    let report = &result.reports[0];
    let batches = &result.batches[0];
    // Batches may differ in type (NDJSON chunks): widen them as the merge does.
    let merged = scatter::merge::merge(&[("s", batches)], &scatter::merge::MergeSpec::default());
    let batch = merged.unwrap().batch;
    (
        report.outcome.state(),
        report.outcome.message().unwrap_or_default(),
        batch,
    )
}

#[tokio::test]
async fn csv_stdout_becomes_typed_rows() {
    let result = gather(&command(
        "csv",
        &["printf", "sku,price,qty\nA-1,1.5,3\nB-2,2,4\n"],
        "format = \"csv\"",
    ))
    .await;
    let (state, message, batch) = one(&result);
    assert_eq!(state, State::Ok, "{message}");
    assert_eq!(batch.num_rows(), 2);
    let price = batch
        .column_by_name("price")
        .unwrap()
        .as_primitive::<Float64Type>();
    assert_eq!(price.values().to_vec(), vec![1.5, 2.0]);
    let qty = batch
        .column_by_name("qty")
        .unwrap()
        .as_primitive::<Int64Type>();
    assert_eq!(qty.values().to_vec(), vec![3, 4]);
}

#[tokio::test]
async fn ndjson_and_json_stdout_parse() {
    let result = gather(&format!(
        "{}{}",
        command(
            "nd",
            &["sh", "-c", r#"echo '{"a":1}'; echo '{"a":2,"b":"x"}'"#],
            ""
        ),
        command(
            "js",
            &["echo", r#"[{"a":1.5},{"a":2}]"#],
            "format = \"json\""
        ),
    ))
    .await;
    for report in &result.reports {
        assert_eq!(report.outcome.state(), State::Ok, "{:?}", report.outcome);
        assert_eq!(report.rows, 2, "{}", report.name);
    }
}

#[tokio::test]
async fn the_query_is_one_argument_never_seen_by_a_shell() {
    let marker = tempfile::tempdir().unwrap();
    let target = marker.path().join("pwned");
    let query = format!(
        "x\"; touch {} ; $(touch {})",
        target.display(),
        target.display()
    );
    let result = gather(&command(
        "q",
        &["printf", "q\\n%s\\n", "{query}"],
        &format!("format = \"csv\"\nquery = {}", lit(&query)),
    ))
    .await;
    let (state, message, batch) = one(&result);
    assert_eq!(state, State::Ok, "{message}");
    let q = batch.column_by_name("q").unwrap().as_string::<i32>();
    assert_eq!(q.value(0), query);
    assert!(!target.exists());
}

#[tokio::test]
async fn ndjson_rows_count_while_the_command_runs() {
    let (_plan, gather) = start(&command(
        "slow",
        &[
            "sh",
            "-c",
            r#"for i in 1 2 3; do echo "{\"i\":$i}"; done; sleep 1; echo '{"i":4.5}'; echo '{"i":5}'"#,
        ],
        "",
    ));
    let started = Instant::now();
    let result = gather.join().await;
    let (state, message, batch) = one(&result);
    assert_eq!(state, State::Ok, "{message}");
    assert_eq!(batch.num_rows(), 5);
    let i = batch
        .column_by_name("i")
        .unwrap()
        .as_primitive::<Float64Type>();
    assert_eq!(i.values().to_vec(), vec![1.0, 2.0, 3.0, 4.5, 5.0]);
    let first = result.reports[0].timing.first_row.expect("a first row");
    let finished = result.reports[0].timing.finished;
    assert!(
        finished.saturating_sub(first) >= Duration::from_millis(700),
        "the first rows came before the sleep: first {first:?}, finished {finished:?}"
    );
    assert!(started.elapsed() < Duration::from_secs(5));
}

#[tokio::test]
async fn empty_stdout_is_ok_with_no_rows() {
    let result = gather(&command("empty", &["true"], "format = \"csv\"")).await;
    assert_eq!(result.reports[0].outcome, scatter::source::Outcome::Ok);
    assert_eq!(result.reports[0].rows, 0);
}

#[tokio::test]
async fn a_non_zero_exit_carries_the_end_of_stderr() {
    let result = gather(&format!(
        "{}{}",
        command(
            "short",
            &[
                "sh",
                "-c",
                "echo '{\"a\":1}'; echo 'first line' >&2; echo '  fatal: table missing' >&2; exit 3"
            ],
            ""
        ),
        command(
            "long",
            &["sh", "-c", "i=0; while [ $i -lt 200 ]; do echo \"noise line $i\" >&2; i=$((i+1)); done; echo 'the real cause' >&2; exit 1"],
            ""
        ),
    ))
    .await;
    let messages: Vec<String> = result
        .reports
        .iter()
        .map(|r| r.outcome.message().unwrap_or_default())
        .collect();
    assert_eq!(
        messages[0],
        "exited with status 3: first line fatal: table missing"
    );
    assert!(
        result.batches[0].is_empty(),
        "rows of a failed command are not kept"
    );
    let long = &messages[1];
    assert!(long.starts_with("exited with status 1: "), "{long}");
    assert!(long.ends_with("noise line 199 the real cause"), "{long}");
    assert!(!long.contains("noise line 1 "), "{long}");
    assert!(long.len() <= "exited with status 1: ".len() + 300, "{long}");
}

#[tokio::test]
async fn death_by_signal_names_the_signal() {
    let result = gather(&command(
        "sig",
        &["sh", "-c", "echo dying >&2; kill -TERM $$$$"],
        "",
    ))
    .await;
    assert_eq!(
        result.reports[0].outcome.message().unwrap_or_default(),
        "killed by signal 15 (SIGTERM): dying"
    );
}

#[tokio::test]
async fn a_missing_program_and_bad_output_are_errors() {
    let result = gather(&format!(
        "{}{}",
        command("missing", &["scatter-no-such-program"], ""),
        command("ragged", &["printf", "a,b\n1,2\n3\n"], "format = \"csv\""),
    ))
    .await;
    assert_eq!(
        result.reports[0].outcome.message().unwrap_or_default(),
        "cannot run \"scatter-no-such-program\": No such file or directory (os error 2)"
    );
    let ragged = result.reports[1].outcome.message().unwrap_or_default();
    assert!(ragged.starts_with("CSV:"), "{ragged}");
}

/// Starts two sleeps, then writes the shell's pid (the group id) to the file named by `$0`
/// (so all three processes exist once the file is written) and waits. `$$$$` is the config's
/// escape for the shell's `$$`.
const SLEEPERS: &str = "sleep 30 & sleep 30 & echo $$$$ > \"$0\"; wait";

#[tokio::test]
async fn a_timeout_kills_the_whole_process_group() {
    let dir = tempfile::tempdir().unwrap();
    let pidfile = dir.path().join("pid");
    let started = Instant::now();
    let (plan, gather) = start(&command(
        "sleepy",
        &["sh", "-c", SLEEPERS, pidfile.to_str().unwrap()],
        "timeout = \"1s\"",
    ));
    let pgid = read_pid(&pidfile).await;
    assert_eq!(live_in_group(pgid).len(), 3, "sh and two sleeps run");
    let result = gather.join().await;
    assert_eq!(result.reports[0].outcome.state(), State::Timeout);
    assert!(started.elapsed() < Duration::from_secs(3));
    assert_group_gone(pgid, &plan).await;
}

#[tokio::test]
async fn a_user_cancel_kills_the_whole_process_group() {
    let dir = tempfile::tempdir().unwrap();
    let pidfile = dir.path().join("pid");
    let (plan, gather) = start(&command(
        "sleepy",
        &["sh", "-c", SLEEPERS, pidfile.to_str().unwrap()],
        "",
    ));
    let pgid = read_pid(&pidfile).await;
    assert_eq!(live_in_group(pgid).len(), 3, "sh and two sleeps run");
    gather.cancel(CancelReason::User);
    let result = gather.join().await;
    assert_eq!(result.reports[0].outcome.state(), State::Cancelled);
    assert_group_gone(pgid, &plan).await;
}

#[tokio::test]
async fn stdout_past_the_cap_fails_and_kills_the_command() {
    // NDJSON is read as a stream, CSV whole: both stop at the cap.
    for format in [DataFormat::Ndjson, DataFormat::Csv] {
        let dir = tempfile::tempdir().unwrap();
        let pidfile = dir.path().join("pid");
        let source = CommandSource::new(
            vec![
                "sh".into(),
                "-c".into(),
                "echo $$ > \"$0\"; exec yes '{\"a\":1}'".into(),
                pidfile.to_str().unwrap().into(),
            ],
            format,
        )
        .with_output_cap(1024 * 1024);
        let cleanup = TaskTracker::new();
        let request = Request {
            query: String::new(),
            allow_writes: false,
            timeout: Duration::from_secs(10),
            cancel: CancellationToken::new(),
            cleanup: cleanup.clone(),
            columns: None,
        };
        let mut sink = RowSink::detached(SinkLimits::new(usize::MAX, usize::MAX));
        let err = source.run(&request, &mut sink).await.unwrap_err();
        assert_eq!(
            err.to_string(),
            "stdout larger than 1 MiB; the command was killed",
            "{format:?}"
        );
        let pgid = read_pid(&pidfile).await;
        cleanup.close();
        cleanup.wait().await;
        assert_eq!(live_in_group(pgid), Vec::<String>::new(), "{format:?}");
    }
}
