//! `--record FILE` through the real binary: one JSON line per gather, appended.

mod bin_common;

use bin_common::scatter;

const CONFIG: &str = r#"
query = "q"
[gather]
timeout = "300ms"
concurrency = 2
[[source]]
name = "fast"
kind = "sim"
latency = "20ms"
rows = 3
seed = 1
[[source]]
name = "broken"
kind = "sim"
latency = "10ms"
error = "boom"
[[source]]
name = "hung"
kind = "sim"
hang = true
[[source]]
name = "off"
kind = "sim"
enabled = false
"#;

#[test]
fn each_once_run_appends_one_line_with_its_limits_and_timings() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("sources.toml"), CONFIG).unwrap();
    for deadline in ["5s", "200ms"] {
        let out = scatter(
            dir.path(),
            &["--once", "--record", "rec.jsonl", "--deadline", deadline],
        );
        assert_eq!(
            out.status.code(),
            Some(3),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let text = std::fs::read_to_string(dir.path().join("rec.jsonl")).unwrap();
    let lines: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).expect("one JSON object per line"))
        .collect();
    assert_eq!(lines.len(), 2);
    for line in &lines {
        assert_eq!(line["scatter_record"], 1);
        assert_eq!(line["query"], "q");
        assert_eq!(line["limits"]["concurrency"], 2);
        assert_eq!(line["limits"]["timeout_ms"], 300.0);
        assert_eq!(line["limits"]["mode"], "partial");
        let names: Vec<&str> = line["sources"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["name"].as_str().unwrap())
            .collect();
        assert_eq!(names, ["fast", "broken", "hung", "off"]);
    }
    assert_eq!(lines[0]["limits"]["deadline_ms"], 5000.0);
    assert_eq!(lines[1]["limits"]["deadline_ms"], 200.0);
    let states = |l: &serde_json::Value| -> Vec<String> {
        l["sources"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| format!("{}:{}", s["state"].as_str().unwrap(), s["timeout_cause"]))
            .collect()
    };
    assert_eq!(
        states(&lines[0]),
        [
            "ok:null",
            "error:null",
            "timeout:\"source\"",
            "skipped:null"
        ]
    );
    assert_eq!(states(&lines[1])[2], "timeout:\"deadline\"");
    let fast = &lines[0]["sources"][0];
    assert_eq!(fast["rows"], 3);
    let t = &fast["timing"];
    let ran = t["finished_ms"].as_f64().unwrap() - t["started_ms"].as_f64().unwrap();
    assert!((20.0..250.0).contains(&ran), "{t}");
    let latency = fast["latency_ms"].as_f64().unwrap();
    assert!(
        (latency - ran).abs() <= 1.0,
        "the precise timing agrees with --once's latency: {latency} {ran}"
    );
}

#[test]
fn a_record_file_that_cannot_be_opened_is_a_usage_error() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("sources.toml"), CONFIG).unwrap();
    let out = scatter(dir.path(), &["--once", "--record", "no/such/dir/rec.jsonl"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("cannot record to no/such/dir/rec.jsonl"),
        "{err}"
    );
}
