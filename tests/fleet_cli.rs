//! Fleets in the real binary: `--list-sources`, a fleet's stderr summary, and fleet errors.

mod bin_common;

use bin_common::{config, scatter};

fn text(b: &[u8]) -> String {
    String::from_utf8(b.to_vec()).unwrap()
}

const FLEET: &str = r#"
[gather]
concurrency = 0
[[source]]
name = "shard-{region}-{n}"
kind = "sim"
latency = "1ms..20ms"
rows = 2
tags = ["{region}"]
each = { region = ["eu", "us"], n = "001..300" }
[[source]]
name = "broken-{n}"
kind = "sim"
latency = "1ms"
error = "connection refused"
tags = ["broken"]
each = { n = "01..60" }
"#;

#[test]
fn list_sources_expands_filters_and_queries_nothing() {
    let dir = config(FLEET);
    let out = scatter(dir.path(), &["--list-sources", "--format", "json"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["sources"].as_array().unwrap().len(), 660);
    assert_eq!(v["sources"][0]["name"], "shard-eu-001");
    assert_eq!(v["sources"][0]["target"], "1ms..20ms, 2 rows");
    let out = scatter(dir.path(), &["--list-sources", "--only", "us"]);
    let table = text(&out.stdout);
    assert_eq!(table.lines().count(), 301, "{table}");
    assert!(
        table
            .lines()
            .nth(1)
            .unwrap()
            .starts_with("shard-us-001  sim"),
        "{table}"
    );
    assert!(
        !dir.path().join("scatter.log").exists()
            || !text(&std::fs::read(dir.path().join("scatter.log")).unwrap())
                .contains("source finished")
    );
}

#[test]
fn a_fleet_summary_fits_on_a_screen_and_json_keeps_every_source() {
    let dir = config(FLEET);
    let out = scatter(dir.path(), &["--once", "--format", "ndjson"]);
    assert_eq!(out.status.code(), Some(3), "partial: {}", text(&out.stderr));
    let err = text(&out.stderr);
    let lines: Vec<&str> = err.lines().collect();
    assert_eq!(lines[0], "660 sources: ok 600 · error 60", "{err}");
    assert!(
        lines[1].starts_with("latency across 660 sources that ran: p50 "),
        "{err}"
    );
    assert_eq!(lines[2], "failed (60):");
    assert!(
        err.contains("  and 10 more (--summary full or --format json lists every source)"),
        "{err}"
    );
    assert!(err.contains("slowest 10:"), "{err}");
    assert!(lines.len() < 100, "{err}");
    assert_eq!(text(&out.stdout).lines().count(), 1200);
    let full = scatter(
        dir.path(),
        &["--once", "--format", "csv", "--summary", "full"],
    );
    assert_eq!(text(&full.stderr).lines().count(), 661);
    let json = scatter(dir.path(), &["--once", "--format", "json"]);
    let v: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(v["sources"].as_array().unwrap().len(), 660);
}

#[test]
fn fleet_errors_exit_2_naming_the_line_and_the_expansion() {
    let dir = config(
        "[[source]]\nname = \"s-{n}\"\nkind = \"sim\"\nlatency = \"{lat}\"\neach = { n = \"1..3\" }\n",
    );
    let out = scatter(dir.path(), &["--list-sources"]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        text(&out.stderr),
        "scatter: sources.toml:4: expansion (n = \"1\"): `latency`: undefined placeholder `{lat}` in \"{lat}\" (defined: n; write `{{lat}}` for the literal text)\n"
    );
    let dir = config(
        "[[source]]\nname = \"pg-{host}\"\nkind = \"sim\"\ntimeout = \"200ms\"\ninventory = [\"sh\", \"-c\", \"sleep 20\"]\n",
    );
    let started = std::time::Instant::now();
    let out = scatter(dir.path(), &["--once"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(started.elapsed() < std::time::Duration::from_secs(10));
    assert_eq!(
        text(&out.stderr),
        "scatter: sources.toml:5: `inventory`: `sh -c sleep 20` did not finish within 200ms (the source's timeout) and was stopped\n"
    );
}

#[test]
fn only_with_an_unknown_name_folds_a_long_list_of_names() {
    let dir = config(FLEET);
    let out = scatter(dir.path(), &["--list-sources", "--only", "nope"]);
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    assert!(err.starts_with("scatter: --only: \"nope\" is neither a source name nor a tag (tags: broken, eu, us; sources: shard-eu-001, shard-eu-002,"), "{err}");
    assert!(
        err.ends_with(", and 650 more; see --list-sources)\n"),
        "{err}"
    );
}

#[test]
fn an_inventory_script_runs_beside_a_config_given_by_a_relative_path() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let inv = dir.path().join("conf");
    std::fs::create_dir(&inv).unwrap();
    let script = inv.join("list.sh");
    std::fs::write(
        &script,
        "#!/bin/sh\necho '{\"host\": \"a\"}'\necho '{\"host\": \"b\", \"enabled\": false}'\n",
    )
    .unwrap();
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    std::fs::write(
        inv.join("fleet.toml"),
        "[[source]]\nname = \"pg-{host}\"\nkind = \"sim\"\ninventory = [\"./list.sh\"]\n",
    )
    .unwrap();
    let out = scatter(
        dir.path(),
        &["-c", "conf/fleet.toml", "--list-sources", "--format", "csv"],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(
        text(&out.stdout),
        "name,kind,target,tags,enabled\npg-a,sim,\"50ms, 10 rows\",,true\npg-b,sim,\"50ms, 10 rows\",,false\n"
    );
}
