//! The real binary: output formats, exit codes and config errors.

mod bin_common;

use bin_common::{config, scatter, stderr, stdout};

use std::path::PathBuf;
use std::process::Command;

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn sim(name: &str, extra: &str) -> String {
    let latency = if extra.contains("latency") {
        ""
    } else {
        "latency = \"10ms\"\n"
    };
    format!("[[source]]\nname = \"{name}\"\nkind = \"sim\"\n{latency}seed = 1\n{extra}\n")
}

#[test]
fn demo_json_has_every_state_and_sorted_rows() {
    let out = scatter(&repo(), &["--once", "--format", "json"]);
    assert_eq!(
        out.status.code(),
        Some(3),
        "partial result: {}",
        stderr(&out)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("one JSON object");
    let sources = v["sources"].as_array().unwrap();
    let state = |name: &str| {
        let s = sources.iter().find(|s| s["name"] == name).unwrap();
        (
            s["state"].as_str().unwrap().to_owned(),
            s["rows"].as_u64().unwrap(),
            s["error"].clone(),
        )
    };
    assert_eq!(
        state("catalog-eu"),
        ("ok".into(), 9, serde_json::Value::Null)
    );
    assert_eq!(
        state("catalog-us"),
        ("ok".into(), 7, serde_json::Value::Null)
    );
    assert_eq!(
        state("inventory"),
        ("ok".into(), 5, serde_json::Value::Null)
    );
    assert_eq!(
        state("warehouse"),
        ("ok".into(), 3, serde_json::Value::Null)
    );
    assert_eq!(state("mongodb"), ("timeout".into(), 0, "timeout 3s".into()));
    assert_eq!(
        state("redis"),
        (
            "error".into(),
            0,
            "key eviction due to memory pressure".into()
        )
    );
    let mongodb = sources.iter().find(|s| s["name"] == "mongodb").unwrap();
    assert!((3000..3500).contains(&mongodb["latency_ms"].as_u64().unwrap()));
    for s in sources {
        for key in ["name", "kind", "state", "latency_ms", "rows", "error"] {
            assert!(s.get(key).is_some(), "source lacks {key}: {s}");
        }
    }
    let rows = v["rows"].as_array().unwrap();
    assert_eq!(v["total"].as_u64().unwrap() as usize, rows.len());
    assert!(
        rows.len() >= 24,
        "catalogs, inventory and warehouse at least"
    );
    let prices: Vec<Option<f64>> = rows.iter().map(|r| r["price"].as_f64()).collect();
    let known: Vec<f64> = prices.iter().map_while(|p| *p).collect();
    assert!(
        known.windows(2).all(|w| w[0] <= w[1]),
        "sorted by price: {known:?}"
    );
    assert!(
        prices[known.len()..].iter().all(Option::is_none),
        "nulls last"
    );
    assert!(rows.iter().all(|r| r["_source"].is_string()));
    assert_eq!(v["columns"][0], "type");
    assert!(v["elapsed_ms"].as_u64().unwrap() >= 3000);
    assert_eq!(
        v["query"],
        "SELECT type, manufacturer, model, price FROM products"
    );
}

const TWO_OK: &str = "query = \"q\"\n[merge]\nsort = [\"-price\"]\n";

#[test]
fn all_ok_exits_0_in_every_format() {
    let dir = config(&format!(
        "{TWO_OK}{}{}",
        sim("a", "rows = 3"),
        sim("b", "rows = 2")
    ));
    let ndjson = scatter(dir.path(), &["--format", "ndjson"]);
    assert_eq!(ndjson.status.code(), Some(0), "{}", stderr(&ndjson));
    let lines: Vec<serde_json::Value> = stdout(&ndjson)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 5);
    let prices: Vec<f64> = lines.iter().map(|l| l["price"].as_f64().unwrap()).collect();
    assert!(
        prices.windows(2).all(|w| w[0] >= w[1]),
        "descending: {prices:?}"
    );
    assert!(
        stderr(&ndjson).contains("5 rows from 2 of 2 sources"),
        "summary on stderr: {}",
        stderr(&ndjson)
    );

    let csv = scatter(dir.path(), &["--once", "--format", "csv"]);
    let text = stdout(&csv);
    assert_eq!(
        text.lines().next(),
        Some("type,manufacturer,model,price,_source")
    );
    assert_eq!(text.lines().count(), 6);

    // stdout is a pipe here, so no --once is needed; the default format is the table.
    let table = scatter(dir.path(), &[]);
    assert_eq!(table.status.code(), Some(0));
    let text = stdout(&table);
    assert!(text.lines().next().unwrap().starts_with("type "), "{text}");
    assert_eq!(text.lines().count(), 6);
}

#[test]
fn exit_codes_follow_the_outcomes() {
    let cases = [
        (
            format!("{}{}", sim("a", ""), sim("b", "error = \"down\"")),
            vec![],
            3,
        ),
        (
            format!(
                "{}{}",
                sim("a", "error = \"down\""),
                sim("b", "error = \"down\"")
            ),
            vec![],
            4,
        ),
        (
            format!(
                "{}{}",
                sim("a", "latency = \"2s\""),
                sim("b", "error = \"down\"")
            ),
            vec!["--mode", "fail-fast"],
            4,
        ),
        (
            format!("{}{}", sim("a", "hang = true"), sim("b", "hang = true")),
            vec!["--deadline", "200ms"],
            4,
        ),
        (
            format!("{}{}", sim("a", ""), sim("b", "enabled = false")),
            vec![],
            0,
        ),
    ];
    for (text, args, want) in cases {
        let dir = config(&text);
        let mut all = vec!["--once", "--format", "json"];
        all.extend(args.iter().copied());
        let out = scatter(dir.path(), &all);
        assert_eq!(out.status.code(), Some(want), "{text}\n{}", stderr(&out));
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        if want == 4 {
            assert_eq!(v["rows"].as_array().unwrap().len(), 0, "no result: {v}");
        }
    }
}

#[test]
fn json_says_which_errors_are_transient() {
    let dir = config(&format!(
        "query = \"q\"\n{}{}{}",
        sim("flaky", "fail = 1.0"),
        sim("broken", "error = \"disk full\""),
        sim("fine", "")
    ));
    let out = scatter(dir.path(), &["--once", "--format", "json"]);
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let by_name = |name: &str| {
        let s = v["sources"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["name"] == name)
            .unwrap();
        (
            s["state"].clone(),
            s["error"].clone(),
            s["transient"].clone(),
        )
    };
    assert_eq!(
        by_name("flaky"),
        (
            "error".into(),
            "simulated failure (fail = 1)".into(),
            true.into()
        )
    );
    assert_eq!(
        by_name("broken"),
        ("error".into(), "disk full".into(), false.into())
    );
    assert_eq!(
        by_name("fine"),
        (
            "ok".into(),
            serde_json::Value::Null,
            serde_json::Value::Null
        )
    );
}

#[test]
fn config_errors_exit_2_naming_file_and_line() {
    let dir = config("[gather]\ntimeout = \"3x\"\n");
    let out = scatter(dir.path(), &["--once"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).starts_with("scatter: sources.toml:2: `timeout`: invalid duration \"3x\""),
        "{}",
        stderr(&out)
    );

    let missing = scatter(dir.path(), &["-c", "nope.toml"]);
    assert_eq!(missing.status.code(), Some(2));
    assert!(
        stderr(&missing).starts_with("scatter: cannot read nope.toml:"),
        "{}",
        stderr(&missing)
    );

    let dir = config(&sim("a", ""));
    let bad_flag = scatter(dir.path(), &["--timeout", "soon"]);
    assert_eq!(bad_flag.status.code(), Some(2));
    assert!(
        stderr(&bad_flag).contains("invalid duration \"soon\""),
        "{}",
        stderr(&bad_flag)
    );
    let bad_only = scatter(dir.path(), &["--only", "zzz"]);
    assert_eq!(bad_only.status.code(), Some(2));
    assert!(stderr(&bad_only).contains("--only: \"zzz\" is neither a source name nor a tag"));
}

#[test]
fn help_documents_every_option() {
    let out = Command::new(env!("CARGO_BIN_EXE_scatter"))
        .arg("--help")
        .output()
        .unwrap();
    let help = stdout(&out);
    for flag in [
        "--config",
        "--once",
        "--format",
        "--timeout",
        "--deadline",
        "--concurrency",
        "--mode",
        "--sort",
        "--limit",
        "--only",
        "--watch",
        "--log-file",
        "--verbose",
        "--allow-writes",
    ] {
        assert!(help.contains(flag), "--help lacks {flag}");
    }
    assert!(help.contains("Exit codes"));
}

#[test]
fn command_line_query_and_limit_override_the_file() {
    let dir = config(&format!("{TWO_OK}{}", sim("a", "rows = 10")));
    let out = scatter(
        dir.path(),
        &[
            "--format",
            "json",
            "--limit",
            "3",
            "--sort",
            "price",
            "SELECT 42",
        ],
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["query"], "SELECT 42");
    assert_eq!(v["rows"].as_array().unwrap().len(), 3);
    assert_eq!(v["total"], 10);
    let prices: Vec<f64> = v["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["price"].as_f64().unwrap())
        .collect();
    assert!(prices.windows(2).all(|w| w[0] <= w[1]));
}

#[test]
fn logs_go_to_the_file_and_verbose_raises_the_level() {
    let dir = config(&sim("a", ""));
    let quiet = scatter(dir.path(), &["--once"]);
    assert_eq!(quiet.status.code(), Some(0));
    let log = std::fs::read_to_string(dir.path().join("scatter.log")).unwrap();
    assert!(log.contains("starting"), "info lines are logged: {log}");
    assert!(
        !log.contains("source finished"),
        "debug lines are not logged by default"
    );
    assert!(
        !stderr(&quiet).contains("starting"),
        "logs never reach the terminal"
    );

    std::fs::remove_file(dir.path().join("scatter.log")).unwrap();
    let verbose = scatter(dir.path(), &["--once", "-v"]);
    assert_eq!(verbose.status.code(), Some(0));
    let log = std::fs::read_to_string(dir.path().join("scatter.log")).unwrap();
    assert!(
        log.contains("source finished") && log.contains("source=a"),
        "{log}"
    );
}

/// A source whose code panics (`panic`, a sim key standing for a bug) ends in `error` with the
/// panic's message; the panic itself goes to the log, not to stderr.
#[test]
fn a_panic_in_a_source_is_its_error_and_goes_to_the_log_only() {
    let dir = config(&format!(
        "{}{}",
        sim("buggy", "panic = \"attempt to divide by zero\""),
        sim("fine", "rows = 2")
    ));
    let out = scatter(dir.path(), &["--once", "--format", "json"]);
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        !err.contains("panicked") && !err.contains("backtrace"),
        "{err}"
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let buggy = &v["sources"][0];
    assert_eq!(buggy["state"], "error");
    assert_eq!(
        buggy["error"],
        "internal error (a bug in scatter): attempt to divide by zero; the log has where it \
         happened"
    );
    assert_eq!(v["total"], 2);
    let log = std::fs::read_to_string(dir.path().join("scatter.log")).unwrap();
    assert!(log.contains("panic: attempt to divide by zero"), "{log}");
}
