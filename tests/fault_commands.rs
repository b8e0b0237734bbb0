//! Faults of `command` sources, each beside a healthy sim: a command that never exits (and
//! ignores polite signals), one that writes 100 MB to stdout (as CSV: read whole, under the
//! 256 MiB output cap; as NDJSON: two million rows, past the row cap), one that dies by a
//! signal, and ones that leave a background child behind (holding stdout open, or not).
//! Nothing of the command's process group outlives the gather.

mod common;
mod db_common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use common::{assert_group_gone, assert_healthy, healthy, lit, live_in_group, read_pid};
use db_common::{config, error, outcome};
use scatter::engine::{self, Gather, GatherResult, Plan};
use scatter::source::{Outcome, TimeoutCause};
use tokio::sync::mpsc;

/// A `[[source]]` table for a command source.
fn command(name: &str, argv: &[&str], extra: &str) -> String {
    let argv: Vec<String> = argv.iter().map(|a| lit(a)).collect();
    format!(
        "[[source]]\nname = \"{name}\"\nkind = \"command\"\nargv = [{}]\n{extra}\n",
        argv.join(", ")
    )
}

/// Starts a gather of `faulty` beside a healthy sim.
fn start(faulty: &str) -> (Arc<Plan>, Gather) {
    start_with("", faulty)
}

/// Starts a gather of `faulty` beside a healthy sim, with more `[gather]` settings.
fn start_with(settings: &str, faulty: &str) -> (Arc<Plan>, Gather) {
    let cfg = config(&format!(
        "[gather]\ntimeout = \"20s\"\n{settings}\n{faulty}{}",
        healthy("calm")
    ));
    let plan = Arc::new(Plan::new(&cfg));
    let (events_tx, mut events_rx) = mpsc::channel(engine::EVENT_CHANNEL);
    tokio::spawn(async move { while events_rx.recv().await.is_some() {} });
    let gather = engine::spawn(Arc::clone(&plan), 1, events_tx);
    (plan, gather)
}

/// Peak resident memory of this test process, from `/proc/self/status`.
fn peak_rss_mib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").expect("status");
    let line = status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))
        .expect("VmHWM");
    let kib: u64 = line
        .split_whitespace()
        .nth(1)
        .and_then(|n| n.parse().ok())
        .expect("VmHWM in kB");
    kib / 1024
}

/// The peak memory this test binary may reach: the 100 MB outputs are read whole (CSV) or
/// in 4 MiB chunks (NDJSON), then held as Arrow columns; both tests may run at once (about
/// 230 MiB seen).
const SANE_PEAK_MIB: u64 = 768;

#[tokio::test]
async fn a_command_that_never_exits_times_out_and_its_group_is_killed() {
    let dir = tempfile::tempdir().unwrap();
    let pidfile = dir.path().join("pid");
    // The shell and its children ignore SIGTERM, SIGINT and SIGHUP: only SIGKILL ends them.
    let script = "trap '' TERM INT HUP; sleep 60 & sleep 60 & echo $$$$ > \"$0\"; wait; wait";
    let started = Instant::now();
    let (plan, gather) = start(&command(
        "stuck",
        &["sh", "-c", script, pidfile.to_str().unwrap()],
        "timeout = \"1s\"",
    ));
    let pgid = read_pid(&pidfile).await;
    assert_eq!(live_in_group(pgid).len(), 3, "sh and two sleeps run");
    let result = tokio::time::timeout(Duration::from_secs(8), gather.join())
        .await
        .expect("the gather returns");
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "ended at its limit"
    );
    assert_eq!(
        outcome(&result, "stuck"),
        &Outcome::Timeout {
            limit: Duration::from_secs(1),
            cause: TimeoutCause::Source
        }
    );
    assert_healthy(&result, "calm");
    assert_group_gone(pgid, &plan).await;
}

fn rows(result: &GatherResult, name: &str) -> usize {
    db_common::batches(result, name)
        .iter()
        .map(arrow_array::RecordBatch::num_rows)
        .sum()
}

#[tokio::test]
async fn a_100_mb_csv_on_stdout_is_read_whole() {
    // 500,000 lines of 200 bytes: 100 MB, under the 256 MiB output cap and the row cap.
    let line = format!("1,{}", "x".repeat(197));
    let script = format!("echo id,pad; yes '{line}' | head -n 500000");
    let started = Instant::now();
    let (plan, gather) = start(&command(
        "big",
        &["sh", "-c", &script],
        "format = \"csv\"\ntimeout = \"18s\"",
    ));
    let result = gather.join().await;
    eprintln!(
        "100 MB CSV: {:?}, peak {} MiB",
        started.elapsed(),
        peak_rss_mib()
    );
    assert_eq!(outcome(&result, "big"), &Outcome::Ok);
    assert_eq!(rows(&result, "big"), 500_000);
    assert_eq!(result.reports[0].rows, 500_000);
    assert_healthy(&result, "calm");
    assert!(
        peak_rss_mib() < SANE_PEAK_MIB,
        "peak {} MiB",
        peak_rss_mib()
    );
    drop(result);
    plan.cleanup.close();
    plan.cleanup.wait().await;
}

#[tokio::test]
async fn a_100_mb_ndjson_on_stdout_stops_at_the_row_cap_and_the_command_is_killed() {
    // 2,000,000 lines of 50 bytes: 100 MB, under the output cap but past the row cap per
    // source, which stops the read and kills the generator. The cap is lowered from its
    // default (1,000,000) to 100,000 only to keep the test fast in a debug build (parsing a
    // million NDJSON rows there takes about 15 s); the path is the same.
    let dir = tempfile::tempdir().unwrap();
    let pidfile = dir.path().join("pid");
    let line = format!("{{\"id\":1,\"pad\":\"{}\"}}", "x".repeat(32));
    assert_eq!(line.len() + 1, 50);
    let script = format!("echo $$$$ > \"$0\"; yes '{line}' | head -n 2000000");
    let started = Instant::now();
    let (plan, gather) = start_with(
        "max_rows_per_source = 100000",
        &command(
            "big",
            &["sh", "-c", &script, pidfile.to_str().unwrap()],
            "format = \"ndjson\"\ntimeout = \"18s\"",
        ),
    );
    let pgid = read_pid(&pidfile).await;
    let result = gather.join().await;
    let took = started.elapsed();
    eprintln!(
        "100 MB NDJSON: {:?}, peak {} MiB",
        started.elapsed(),
        peak_rss_mib()
    );
    assert_eq!(
        error(&result, "big"),
        "row cap: more than 100000 rows from this source (raise [gather] max_rows_per_source)"
    );
    assert!(
        took < Duration::from_secs(10),
        "stopped at the cap, not after all 100 MB: {took:?}"
    );
    assert_healthy(&result, "calm");
    assert!(
        peak_rss_mib() < SANE_PEAK_MIB,
        "peak {} MiB",
        peak_rss_mib()
    );
    assert_group_gone(pgid, &plan).await;
}

#[tokio::test]
async fn a_command_killed_by_a_signal_names_it() {
    let (plan, gather) = start(&command(
        "shot",
        &[
            "sh",
            "-c",
            "echo id; echo 1; echo 'shot down' >&2; kill -KILL $$$$",
        ],
        "format = \"csv\"",
    ));
    let result = gather.join().await;
    assert_eq!(
        error(&result, "shot"),
        "killed by signal 9 (SIGKILL): shot down"
    );
    assert_eq!(
        result.reports[0].rows, 0,
        "no partial rows from a failed command"
    );
    assert_healthy(&result, "calm");
    plan.cleanup.close();
    plan.cleanup.wait().await;
}

#[tokio::test]
async fn a_command_that_leaves_a_background_child_leaves_nothing_running() {
    // The shell prints its rows and exits at once, but leaves a sleep running in its
    // process group with its output redirected away (a forgotten daemon).
    let dir = tempfile::tempdir().unwrap();
    let pidfile = dir.path().join("pid");
    let script = "sleep 60 >/dev/null 2>&1 </dev/null & echo $$$$ > \"$0\"; echo id; echo 1";
    let (plan, gather) = start(&command(
        "leaky",
        &["sh", "-c", script, pidfile.to_str().unwrap()],
        "format = \"csv\"\ntimeout = \"5s\"",
    ));
    let pgid = read_pid(&pidfile).await;
    let result = gather.join().await;
    assert_eq!(outcome(&result, "leaky"), &Outcome::Ok);
    assert_eq!(rows(&result, "leaky"), 1);
    assert_healthy(&result, "calm");
    assert_group_gone(pgid, &plan).await;
}

#[tokio::test]
async fn a_command_whose_child_keeps_stdout_open_times_out_and_leaves_nothing() {
    // The shell exits, but its background child still holds stdout: the output has no end,
    // so the source times out, and the child dies with the group.
    let dir = tempfile::tempdir().unwrap();
    let pidfile = dir.path().join("pid");
    let script = "echo $$$$ > \"$0\"; echo id; echo 1; sleep 60 &";
    let (plan, gather) = start(&command(
        "held",
        &["sh", "-c", script, pidfile.to_str().unwrap()],
        "format = \"csv\"\ntimeout = \"1s\"",
    ));
    let pgid = read_pid(&pidfile).await;
    let result = gather.join().await;
    assert_eq!(
        outcome(&result, "held"),
        &Outcome::Timeout {
            limit: Duration::from_secs(1),
            cause: TimeoutCause::Source
        }
    );
    assert_healthy(&result, "calm");
    assert_group_gone(pgid, &plan).await;
}
