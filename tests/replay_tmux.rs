//! Recording and replay with a terminal, the real binary in a tmux pane: the dashboard
//! records each of its runs with `--record`; `scatter replay` opens the dashboard on the
//! replayed run (states, timeline), `r` replays it again, `q` quits with 0. Skips, saying
//! why, when tmux is not installed.

mod tmux_common;

use std::fmt::Write as _;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use tmux_common::Tmux;

/// How long a screen may take to show what a test waits for.
const WAIT: Duration = Duration::from_secs(10);

fn record(dir: &Path) {
    let mut config =
        String::from("query = \"q\"\n[gather]\ntimeout = \"400ms\"\nconcurrency = 0\n");
    for ms in [10, 40, 160] {
        let _ = write!(
            config,
            "[[source]]\nname = \"s{ms}\"\nkind = \"sim\"\nlatency = \"{ms}ms\"\nrows = 2\nseed = 1\n"
        );
    }
    std::fs::write(dir.join("sources.toml"), config).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_scatter"))
        .current_dir(dir)
        .args(["--once", "--record", "rec.jsonl", "--log-file", "log"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
}

/// `scatter ARGS` in `dir` in a tmux pane; the exit status is written to `dir/status`.
fn start(dir: &Path, name: &str, args: &str) -> Option<Tmux> {
    let script = format!(
        "cd {} && {} {args} --log-file log; echo \"exit=$?\" > status; sleep 60",
        dir.display(),
        env!("CARGO_BIN_EXE_scatter"),
    );
    Tmux::start(name, &script)
}

/// Quits with `q` and checks the exit status is 0.
fn quit(tmux: &Tmux, dir: &Path) {
    tmux.keys(&["q"]);
    let status = dir.join("status");
    let start = Instant::now();
    while std::fs::read_to_string(&status).is_err() {
        assert!(start.elapsed() < Duration::from_secs(10), "no exit after q");
        std::thread::sleep(Duration::from_millis(100));
    }
    let log = std::fs::read_to_string(dir.join("log")).unwrap_or_default();
    assert_eq!(
        std::fs::read_to_string(&status).unwrap().trim(),
        "exit=0",
        "{log}"
    );
}

#[test]
fn the_dashboard_records_every_run_of_watch_mode() {
    let dir = tempfile::tempdir().unwrap();
    record(dir.path());
    let Some(tmux) = start(dir.path(), "record", "--record dash.jsonl --watch 300ms") else {
        return;
    };
    tmux.wait_for("a third run", WAIT, |s| s.contains("run 3 ·"));
    quit(&tmux, dir.path());
    let text = std::fs::read_to_string(dir.path().join("dash.jsonl")).unwrap();
    let generations: Vec<u64> = text
        .lines()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).unwrap();
            assert_eq!(v["sources"].as_array().unwrap().len(), 3);
            v["generation"].as_u64().unwrap()
        })
        .collect();
    assert!(generations.len() >= 3, "{generations:?}");
    assert!(
        generations.windows(2).all(|w| w[0] < w[1]),
        "{generations:?}"
    );
    assert_eq!(generations[0], 1);
}

#[test]
fn replay_opens_the_dashboard_on_the_replayed_run() {
    let dir = tempfile::tempdir().unwrap();
    record(dir.path());
    let Some(tmux) = start(
        dir.path(),
        "replay",
        "replay rec.jsonl --deadline 100ms --concurrency 1",
    ) else {
        return;
    };
    let done = |run: &'static str| {
        move |s: &str| s.contains(run) && s.contains("✓ ok 2") && s.contains("timed out 1")
    };
    let screen = tmux.wait_for("the replayed run", WAIT, done("run 1 ·"));
    assert!(screen.contains("replay of run 1 of rec.jsonl"), "{screen}");
    assert!(screen.contains("timeline"), "{screen}");
    // One at a time: s10 and s40 end by 50 ms; s160 starts there and the deadline cuts it.
    let row = |s: &str, name: &str| {
        s.lines()
            .find(|l| l.contains(&format!(" {name} ")) && l.contains(" sim "))
            .unwrap_or_default()
            .to_owned()
    };
    assert!(row(&screen, "s10").contains("ok"), "{screen}");
    assert!(row(&screen, "s160").contains("deadline 100ms"), "{screen}");
    tmux.keys(&["r"]);
    tmux.wait_for("the second replay", WAIT, done("run 2 ·"));
    quit(&tmux, dir.path());
}
