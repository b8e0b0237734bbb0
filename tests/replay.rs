//! `scatter replay` through the real binary: a run recorded with `--record`, replayed under
//! its own limits and under others.

mod bin_common;

use bin_common::{scatter, stderr};

use std::fmt::Write as _;
use std::path::Path;

use serde_json::Value;

const CONFIG: &str = r#"
query = "q"
[gather]
timeout = "400ms"
concurrency = 0
"#;

/// A directory with a recording of one gather of sim sources taking 10 to 160 ms, one
/// failing, one hanging until its timeout and one disabled.
fn recorded() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let mut config = CONFIG.to_owned();
    for ms in [10, 40, 80, 120, 160] {
        let _ = write!(
            config,
            "[[source]]\nname = \"s{ms}\"\nkind = \"sim\"\nlatency = \"{ms}ms\"\nrows = 2\nseed = 1\n"
        );
    }
    config +=
        "[[source]]\nname = \"broken\"\nkind = \"sim\"\nlatency = \"20ms\"\nerror = \"boom\"\n";
    config += "[[source]]\nname = \"hung\"\nkind = \"sim\"\nhang = true\n";
    config += "[[source]]\nname = \"off\"\nkind = \"sim\"\nenabled = false\n";
    std::fs::write(dir.path().join("sources.toml"), config).unwrap();
    let out = scatter(dir.path(), &["--once", "--record", "rec.jsonl"]);
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    dir
}

/// `scatter replay rec.jsonl --format json ARGS`, parsed.
fn replay(dir: &Path, args: &[&str]) -> Value {
    let mut all = vec!["replay", "rec.jsonl", "--format", "json"];
    all.extend_from_slice(args);
    let out = scatter(dir, &all);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    serde_json::from_slice(&out.stdout).expect("one JSON object")
}

fn states(side: &Value) -> Vec<(String, String)> {
    side["sources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["name"].as_str().unwrap().to_owned(),
                s["state"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

/// The recording's own line, for its precise timings.
fn recording(dir: &Path) -> Value {
    let text = std::fs::read_to_string(dir.join("rec.jsonl")).unwrap();
    serde_json::from_str(text.lines().last().unwrap()).unwrap()
}

#[test]
fn a_run_replayed_under_its_own_limits_reproduces_its_states() {
    let dir = recorded();
    let v = replay(dir.path(), &[]);
    assert_eq!(states(&v["recorded"]), states(&v["replayed"]));
    let expected: Vec<&str> = ["ok"; 5]
        .into_iter()
        .chain(["error", "timeout", "skipped"])
        .collect();
    let got: Vec<String> = states(&v["replayed"]).into_iter().map(|(_, s)| s).collect();
    assert_eq!(got, expected);
    assert_eq!(v["lost"], serde_json::json!([]));
    assert_eq!(v["replayed"]["limits"]["timeout_ms"], 400);
    let wall = |side: &str| v[side]["elapsed_ms"].as_i64().unwrap();
    // The recorded wall time has the engine's own overhead on top.
    assert!((wall("recorded") - wall("replayed")).abs() <= 50, "{v}");
}

#[test]
fn a_tighter_deadline_times_out_exactly_the_sources_slower_than_it() {
    let dir = recorded();
    let rec = recording(dir.path());
    let deadline = 100.0;
    let v = replay(dir.path(), &["--deadline", "100ms"]);
    let replayed = states(&v["replayed"]);
    for (s, (name, state)) in rec["sources"].as_array().unwrap().iter().zip(&replayed) {
        let t = &s["timing"];
        let latency = t["started_ms"]
            .as_f64()
            .map(|start| t["finished_ms"].as_f64().unwrap() - start);
        let recorded = s["state"].as_str().unwrap();
        let expected = match latency {
            Some(l) if l > deadline => "timeout",
            _ => recorded,
        };
        assert_eq!(state, expected, "{name}: latency {latency:?} in {v}");
    }
    let lost: Vec<&str> = v["lost"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n.as_str().unwrap())
        .collect();
    assert!(lost.contains(&"s160"), "{lost:?}");
    assert!(!lost.contains(&"s10"), "{lost:?}");
    assert_eq!(v["replayed"]["elapsed_ms"], 100);
    let hung = &v["replayed"]["sources"][6];
    assert_eq!(hung["error"], "deadline 100ms");
}

#[test]
fn concurrency_4_queues_sources_and_shifts_their_starts() {
    let dir = recorded();
    let v = replay(dir.path(), &["--concurrency", "4"]);
    assert_eq!(states(&v["recorded"]), states(&v["replayed"]));
    let spans: Vec<(u64, u64)> = v["replayed"]["sources"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|s| Some((s["started_ms"].as_u64()?, s["finished_ms"].as_u64()?)))
        .collect();
    assert_eq!(spans.len(), 7, "all but the disabled source ran");
    let late = spans.iter().filter(|(start, _)| *start > 0).count();
    assert_eq!(late, 3, "3 of 7 wait for a slot: {spans:?}");
    for (start, _) in &spans {
        let running = spans
            .iter()
            .filter(|(s, e)| s <= start && start < e)
            .count();
        assert!(running <= 4, "at most 4 at once: {spans:?}");
    }
}

#[test]
fn a_longer_timeout_leaves_a_timed_out_source_unknown_and_says_so() {
    let dir = recorded();
    let v = replay(dir.path(), &["--timeout", "2s"]);
    let hung = &v["replayed"]["sources"][6];
    assert_eq!(hung["state"], "unknown");
    assert!(
        hung["note"].as_str().unwrap().contains("2s limit"),
        "{hung}"
    );
    assert_eq!(v["unknown"], serde_json::json!(["hung"]));
    let text = scatter(dir.path(), &["replay", "rec.jsonl", "--timeout", "2s"]);
    let text = String::from_utf8(text.stdout).unwrap();
    assert!(text.contains("unknown: hung"), "{text}");
    assert!(text.contains("at most"), "{text}");
}

#[test]
fn hedging_without_recorded_replicas_is_said_per_source() {
    let dir = recorded();
    let v = replay(dir.path(), &["--hedge-after", "30ms"]);
    let names: Vec<&str> = v["not_hedged"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["name"].as_str().unwrap())
        .collect();
    // Every source that ran and had not answered by 30 ms would have been hedged; without
    // attempts on replicas in the recording, each is named.
    let rec = recording(dir.path());
    let expected: Vec<&str> = rec["sources"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| {
            let t = &s["timing"];
            let took = t["finished_ms"].as_f64().unwrap() - t["started_ms"].as_f64().unwrap_or(0.0);
            s["state"] != "skipped" && !(s["state"] == "ok" && took <= 30.0)
        })
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, expected);
    assert!(
        names.contains(&"s160") && !names.contains(&"off"),
        "{names:?}"
    );
    assert_eq!(states(&v["recorded"]), states(&v["replayed"]));
}

#[test]
fn a_truncated_or_foreign_recording_is_an_error_naming_the_line() {
    let dir = recorded();
    let line = std::fs::read_to_string(dir.path().join("rec.jsonl")).unwrap();
    let cut = &line[..line.len() / 2];
    std::fs::write(dir.path().join("cut.jsonl"), format!("{line}{cut}")).unwrap();
    let out = scatter(dir.path(), &["replay", "cut.jsonl"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("cut.jsonl:2: the line is cut short"),
        "{}",
        stderr(&out)
    );
    std::fs::write(dir.path().join("other.json"), "{\"rows\": []}\n").unwrap();
    let out = scatter(dir.path(), &["replay", "other.json"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("other.json:1: not a scatter recording"),
        "{}",
        stderr(&out)
    );
    let out = scatter(dir.path(), &["replay", "rec.jsonl", "--run", "7"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("no run 7: the file holds runs 1"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn run_picks_a_line_of_the_file() {
    let dir = recorded();
    let out = scatter(
        dir.path(),
        &["--once", "--record", "rec.jsonl", "--deadline", "50ms"],
    );
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    let last = replay(dir.path(), &[]);
    assert_eq!(last["run"], 2);
    assert_eq!(last["recorded"]["limits"]["deadline_ms"], 50);
    let first = replay(dir.path(), &["--run", "1"]);
    assert_eq!(first["run"], 1);
    assert_eq!(first["recorded"]["limits"]["deadline_ms"], Value::Null);
}

#[test]
fn fail_fast_cancels_what_runs_or_waits_when_the_first_source_fails() {
    let dir = recorded();
    let v = replay(dir.path(), &["--mode", "fail-fast", "--concurrency", "2"]);
    assert_eq!(v["replayed"]["aborted"], true);
    assert_eq!(v["recorded"]["aborted"], false);
    let sources = v["replayed"]["sources"].as_array().unwrap();
    let broken = sources.iter().find(|s| s["name"] == "broken").unwrap();
    assert_eq!(broken["state"], "error");
    let at = broken["finished_ms"].as_u64().unwrap();
    for s in sources {
        if s["state"] == "cancelled" {
            assert_eq!(s["error"], "fail-fast: broken failed");
            assert_eq!(s["finished_ms"].as_u64().unwrap(), at, "{s}");
        } else {
            assert!(s["finished_ms"].as_u64().unwrap() <= at, "{s}");
        }
    }
    assert!(sources.iter().any(|s| s["state"] == "cancelled"));
}
