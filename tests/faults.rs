//! Faults without servers: malformed and missing files, a file past the row cap, and 1,000
//! sources of which 10 % fail, 10 % hang and 10 % are slow. Each faulty source ends in the right
//! state with a message saying why; every other source's result is intact; nothing keeps running.

use std::fmt::Write as _;
use std::path::Path;
use std::process::Command;
use std::sync::Arc;
use std::time::Duration;

use scatter::config::{GatherSettings, Mode, SimSpec};
use scatter::engine::{self, Plan, PlannedSource};
use scatter::source::{CancelReason, Outcome, SimSource, Source, SourceError, State, TimeoutCause};

fn run_binary(dir: &Path) -> serde_json::Value {
    let out = Command::new(env!("CARGO_BIN_EXE_scatter"))
        .current_dir(dir)
        .args(["--once", "--format", "json", "--log-file"])
        .arg(dir.join("log"))
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(3),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn malformed_and_missing_files_fail_alone() {
    let dir = tempfile::tempdir().unwrap();
    let files = [
        ("good.csv", "a,b\n1,x\n2,y\n".to_owned()),
        ("ragged.csv", "a,b\n1,x\n2\n".to_owned()),
        ("object.json", "{\"a\": 1}".to_owned()),
        ("mixed.ndjson", "{\"a\": 1}\n[1, 2]\n".to_owned()),
        (
            "big.csv",
            std::iter::once("a\n".to_owned())
                .chain((0..50).map(|i| format!("{i}\n")))
                .collect(),
        ),
    ];
    let mut config = String::from("[gather]\nmax_rows_per_source = 20\n");
    for (name, text) in &files {
        std::fs::write(dir.path().join(name), text).unwrap();
        let _ = write!(
            config,
            "[[source]]\nname = \"{name}\"\nkind = \"file\"\npath = \"{name}\"\n"
        );
    }
    config.push_str("[[source]]\nname = \"missing\"\nkind = \"file\"\npath = \"gone.csv\"\n");
    std::fs::write(dir.path().join("sources.toml"), config).unwrap();
    let v = run_binary(dir.path());
    let source = |name: &str| {
        v["sources"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["name"] == name)
            .unwrap()
            .clone()
    };
    let error = |name: &str| {
        let s = source(name);
        assert_eq!(s["state"], "error", "{s}");
        s["error"].as_str().unwrap().to_owned()
    };
    assert!(
        error("ragged.csv").starts_with("CSV: "),
        "{}",
        error("ragged.csv")
    );
    assert_eq!(
        error("object.json"),
        "JSON: expected an array of objects at the document, found an object"
    );
    assert!(
        error("mixed.ndjson").starts_with("NDJSON: "),
        "{}",
        error("mixed.ndjson")
    );
    assert_eq!(
        error("big.csv"),
        "row cap: more than 20 rows from this source (raise [gather] max_rows_per_source)"
    );
    assert!(error("missing").starts_with("cannot read ") && error("missing").contains("gone.csv"));
    assert_eq!(source("good.csv")["state"], "ok");
    let rows = v["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 2, "only the good file's rows, intact: {rows:?}");
    assert!(rows.iter().all(|r| r["_source"] == "good.csv"));
}

const MS: Duration = Duration::from_millis(1);

/// 1,000 sources: every 10th fails, every 10th (offset 1) hangs, every 10th (offset 2) is slow.
fn thousand() -> (Vec<Arc<SimSource>>, Vec<PlannedSource>) {
    let mut sims = Vec::new();
    let mut planned = Vec::new();
    for i in 0..1000u64 {
        let base = SimSpec {
            latency: (MS * 20, MS * 80),
            rows: 5,
            error: None,
            fail: 0.0,
            hang: false,
            panic: None,
            seed: Some(i),
            tail: 0.0,
            tail_latency: Duration::from_secs(1),
        };
        let spec = match i % 10 {
            0 => SimSpec {
                error: Some(format!("shard {i} is down")),
                ..base
            },
            1 => SimSpec { hang: true, ..base },
            2 => SimSpec {
                latency: (MS * 700, MS * 900),
                ..base
            },
            _ => base,
        };
        let sim = Arc::new(SimSource::new(spec));
        sims.push(Arc::clone(&sim));
        let source: Arc<dyn Source> = sim;
        planned.push(PlannedSource::single(
            format!("s{i:04}"),
            "sim",
            MS * 1000,
            Ok(source),
        ));
    }
    (sims, planned)
}

async fn gather(planned: Vec<PlannedSource>, mode: Mode) -> engine::GatherResult {
    let settings = GatherSettings {
        concurrency: 0,
        mode,
        ..GatherSettings::default()
    };
    let plan = Plan {
        sources: planned,
        settings,
        allow_writes: false,
        cleanup: tokio_util::task::TaskTracker::new(),
        columns: None,
    };
    let (tx, mut rx) = tokio::sync::mpsc::channel(engine::EVENT_CHANNEL);
    let drain = tokio::spawn(async move { while rx.recv().await.is_some() {} });
    let result = engine::spawn(Arc::new(plan), 1, tx).join().await;
    drain.await.unwrap();
    result
}

#[tokio::test(start_paused = true)]
async fn a_thousand_sources_partial() {
    let (sims, planned) = thousand();
    let r = gather(planned, Mode::Partial).await;
    assert_eq!(r.reports.len(), 1000);
    for (i, report) in r.reports.iter().enumerate() {
        let want = match i % 10 {
            0 => SourceError::Failed(format!("shard {i} is down")).into(),
            1 => Outcome::Timeout {
                limit: MS * 1000,
                cause: TimeoutCause::Source,
            },
            _ => Outcome::Ok,
        };
        assert_eq!(report.outcome, want, "source {i}");
        if want == Outcome::Ok {
            assert_eq!(
                (
                    report.rows,
                    r.batches[i]
                        .iter()
                        .map(arrow_array::RecordBatch::num_rows)
                        .sum::<usize>()
                ),
                (5, 5)
            );
        }
    }
    assert_eq!(
        r.elapsed,
        MS * 1000,
        "the hangs end at their timeout; everything else before"
    );
    assert!(
        sims.iter().all(|s| s.live_runs() == 0),
        "no run left behind"
    );
}

#[tokio::test(start_paused = true)]
async fn a_thousand_sources_fail_fast() {
    let (sims, planned) = thousand();
    let r = gather(planned, Mode::FailFast).await;
    assert!(r.aborted);
    let errors: Vec<_> = r
        .reports
        .iter()
        .filter(|x| x.outcome.state() == State::Error)
        .collect();
    assert!(!errors.is_empty());
    let first = r
        .reports
        .iter()
        .filter(|x| x.outcome.state() == State::Error)
        .min_by_key(|x| x.timing.finished)
        .unwrap();
    for report in &r.reports {
        match report.outcome.state() {
            State::Ok | State::Error => assert!(report.timing.finished <= first.timing.finished),
            State::Cancelled => {
                assert_eq!(
                    report.outcome,
                    Outcome::Cancelled(CancelReason::FailFast {
                        by: first.name.clone()
                    })
                );
            }
            other => panic!("{} ended {other:?}", report.name),
        }
    }
    assert!(
        r.elapsed < MS * 100,
        "fail-fast stops at the first failure, not at the slow ones"
    );
    assert!(
        sims.iter().all(|s| s.live_runs() == 0),
        "no run left behind"
    );
}
