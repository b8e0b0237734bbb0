//! End to end: the real binary on the demo `sources.toml` in a tmux pane of 140×45. It must
//! show every source's final state and the rows sorted by price, filter with `/`, quit on `q`
//! with exit code 0, and leave the terminal as it found it (no alternate screen, no raw mode).
//! Skips, saying why, when tmux is not installed.

mod common;
mod db_common;
mod tmux_common;

use std::path::Path;
use std::time::{Duration, Instant};

use tmux_common::Tmux;

/// The prices in the results table, top to bottom (nulls, shown as `-`, skipped).
fn prices(screen: &str) -> Vec<f64> {
    let lines: Vec<&str> = screen.lines().collect();
    let header = lines
        .iter()
        .position(|l| l.contains("price ↑1"))
        .expect("the results header shows the sort");
    let at = lines[header].find("price ↑1").unwrap();
    let end = lines[header][..at].chars().count() + "price ↑1".chars().count();
    lines[header + 1..]
        .iter()
        .take_while(|l| l.starts_with("│ "))
        .filter_map(|l| {
            let cell: String = l.chars().take(end).collect();
            cell.split_whitespace().last()?.parse().ok()
        })
        .collect()
}

fn line_of<'a>(screen: &'a str, name: &str) -> &'a str {
    screen
        .lines()
        .find(|l| l.starts_with('│') && l.contains(&format!(" {name} ")))
        .unwrap_or_else(|| panic!("no line for {name}:\n{screen}"))
}

/// The binary running on the demo in a fresh tmux server, with files for its exit status and
/// the terminal settings after it exits.
struct Session {
    tmux: Tmux,
    status: std::path::PathBuf,
    stty: std::path::PathBuf,
    dir: tempfile::TempDir,
}

impl Session {
    /// The demo; `None` (after saying why) when tmux is not installed.
    fn start(name: &str) -> Option<Self> {
        Self::start_with(name, Path::new(env!("CARGO_MANIFEST_DIR")), "sources.toml")
    }

    /// The binary on `config`, run in `root`; `None` (after saying why) without tmux.
    fn start_with(name: &str, root: &Path, config: &str) -> Option<Self> {
        let root = root.display();
        let bin = env!("CARGO_BIN_EXE_scatter");
        let dir = tempfile::tempdir().unwrap();
        let status = dir.path().join("status");
        let stty = dir.path().join("stty");
        let log = dir.path().join("log");
        let script = format!(
            "cd {root} && {bin} -c {config} --log-file {log}; code=$?; stty -a > {stty}; \
             echo \"exit=$code\" > {status}; sleep 60",
            log = log.display(),
            status = status.display(),
            stty = stty.display(),
        );
        let tmux = Tmux::start(name, &script)?;
        Some(Self {
            tmux,
            status,
            stty,
            dir,
        })
    }

    /// The log file the binary writes.
    fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("log")).unwrap_or_default()
    }

    /// Waits for the process to exit; checks it exited 0 and left the terminal as it was.
    fn assert_clean_exit(&self) {
        let start = Instant::now();
        while !status_written(&self.status) {
            assert!(
                start.elapsed() < Duration::from_secs(10),
                "no exit after quitting"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        assert_eq!(
            std::fs::read_to_string(&self.status).unwrap().trim(),
            "exit=0"
        );
        let stty = std::fs::read_to_string(&self.stty).unwrap();
        assert!(
            stty.contains(" icanon") && !stty.contains("-icanon"),
            "raw mode left on: {stty}"
        );
        assert!(
            stty.contains(" echo ") && !stty.contains("-echo "),
            "echo left off: {stty}"
        );
        let tmux = &self.tmux;
        let alternate = tmux.cmd(&["display-message", "-p", "-t", "e2e", "#{alternate_on}"]);
        assert_eq!(alternate.trim(), "0", "the alternate screen was left");
        let mouse = tmux.cmd(&["display-message", "-p", "-t", "e2e", "#{mouse_any_flag}"]);
        assert_eq!(mouse.trim(), "0", "mouse capture was left on");
    }
}

#[test]
fn demo_dashboard_in_tmux() {
    let Some(session) = Session::start("demo") else {
        return;
    };
    let tmux = &session.tmux;
    let screen = tmux.wait_for("every source to finish", Duration::from_secs(20), |s| {
        s.contains("○ pending 0") && s.contains("◐ running 0") && s.contains("results")
    });
    assert!(line_of(&screen, "catalog-eu").contains("ok"), "{screen}");
    assert!(
        line_of(&screen, "catalog-us").contains("7 rows"),
        "{screen}"
    );
    assert!(
        line_of(&screen, "mongodb").contains("timed out"),
        "{screen}"
    );
    assert!(
        line_of(&screen, "redis").contains("key eviction"),
        "{screen}"
    );
    assert!(line_of(&screen, "warehouse").contains("ok"), "{screen}");
    let p = prices(&screen);
    assert!(p.len() >= 10, "rows on screen: {p:?}\n{screen}");
    assert!(p.windows(2).all(|w| w[0] <= w[1]), "sorted by price: {p:?}");

    tmux.keys(&["/", "sony", "Enter"]);
    let screen = tmux.wait_for("the filter", Duration::from_secs(5), |s| {
        s.contains("filter \"sony\"")
    });
    let rows: Vec<&str> = screen
        .lines()
        .skip_while(|l| !l.contains("price ↑1"))
        .skip(1)
        .take_while(|l| l.starts_with("│ ") && !l.trim_matches(['│', ' ']).is_empty())
        .collect();
    assert!(!rows.is_empty(), "{screen}");
    assert!(
        rows.iter().all(|r| r.to_lowercase().contains("sony")),
        "{rows:#?}"
    );

    tmux.keys(&["q"]);
    session.assert_clean_exit();
}

#[test]
fn ctrl_c_during_a_run_quits_cleanly() {
    let Some(session) = Session::start("ctrl-c") else {
        return;
    };
    let tmux = &session.tmux;
    tmux.wait_for("the run to start", Duration::from_secs(20), |s| {
        s.contains("run 1") && s.contains("◐ running") && !s.contains("◐ running 0")
    });
    tmux.keys(&["C-c"]);
    session.assert_clean_exit();
}

/// A source that panics (a sim source with `panic`, standing for a bug in a source's code),
/// and the same again on a re-run: its row shows the error, the log has the panic, and nothing
/// of it reaches the screen, which stays the dashboard's.
#[test]
fn a_source_that_panics_leaves_the_screen_intact() {
    let dir = tempfile::tempdir().unwrap();
    let config = "query = \"SELECT 1\"\n\
        [[source]]\nname = \"buggy\"\nkind = \"sim\"\nlatency = \"100ms\"\n\
        panic = \"index out of bounds: the len is 2 but the index is 2\"\n\
        [[source]]\nname = \"healthy\"\nkind = \"sim\"\nlatency = \"50ms\"\nrows = 3\n";
    std::fs::write(dir.path().join("panics.toml"), config).unwrap();
    let Some(session) = Session::start_with("panics", dir.path(), "panics.toml") else {
        return;
    };
    let tmux = &session.tmux;
    let intact = |screen: &str| {
        for leak in [
            "panicked at",
            "stack backtrace",
            "RUST_BACKTRACE",
            "src/source/sim.rs",
        ] {
            assert!(!screen.contains(leak), "{leak:?} on screen:\n{screen}");
        }
        assert!(
            screen.contains(" query SELECT 1"),
            "the header is gone:\n{screen}"
        );
        assert!(screen.contains("? help"), "the footer is gone:\n{screen}");
    };
    for run in ["run 1", "run 2"] {
        let screen = tmux.wait_for("the panic to be reported", Duration::from_secs(20), |s| {
            s.contains(run) && s.contains("◐ running 0") && s.contains("○ pending 0")
        });
        intact(&screen);
        assert!(line_of(&screen, "buggy").contains("error"), "{screen}");
        let details: String = screen
            .lines()
            .filter_map(|l| l.split_once("││").map(|(_, d)| d.trim_end_matches('│')))
            .collect();
        assert!(
            details.contains("internal error (a bug in scatter): index out"),
            "the details show it:\n{screen}"
        );
        assert!(line_of(&screen, "healthy").contains("3 rows"), "{screen}");
        tmux.keys(&["r"]);
    }
    std::thread::sleep(Duration::from_millis(500));
    intact(&tmux.capture());
    tmux.keys(&["q"]);
    session.assert_clean_exit();
    let log = session.log();
    assert!(
        log.contains("panic: index out of bounds: the len is 2 but the index is 2"),
        "{log}"
    );
    assert!(
        log.contains("src/source/sim.rs"),
        "the log says where: {log}"
    );
}

fn status_written(path: &Path) -> bool {
    std::fs::read_to_string(path).is_ok_and(|s| s.ends_with('\n'))
}

/// Quitting the dashboard while a statement runs on each server stops both statements there,
/// not only in the client.
#[test]
fn quitting_mid_gather_stops_the_statements_on_the_servers() {
    let (Some(pg), Some(my)) = (
        db_common::url("SCATTER_TEST_PG_URL"),
        db_common::url("SCATTER_TEST_MYSQL_URL"),
    ) else {
        return;
    };
    let markers = (
        db_common::unique("tui_quit_pg"),
        db_common::unique("tui_quit_my"),
    );
    let markers = (markers.0.as_str(), markers.1.as_str());
    let dir = tempfile::tempdir().unwrap();
    let source = |name: &str, kind: &str, url: &str, query: &str| {
        format!(
            "[[source]]\nname = \"{name}\"\nkind = \"{kind}\"\nurl = {}\nquery = {}\ntimeout = \"60s\"\n",
            common::lit(url),
            common::lit(query)
        )
    };
    let config = source(
        "pg",
        "postgres",
        &pg,
        &format!("SELECT pg_sleep(30) AS {}", markers.0),
    ) + &source(
        "my",
        "mysql",
        &my,
        &format!("SELECT SLEEP(30) AS {}", markers.1),
    );
    std::fs::write(dir.path().join("sources.toml"), config).unwrap();
    let Some(session) = Session::start_with("quit-db", dir.path(), "sources.toml") else {
        return;
    };
    let rt = tokio::runtime::Runtime::new().unwrap();
    let running = || rt.block_on(db_common::running(&pg, &my, markers));
    let start = Instant::now();
    while running() != (1, 1) {
        assert!(
            start.elapsed() < Duration::from_secs(15),
            "the statements never started:\n{}",
            session.tmux.capture()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    session.tmux.keys(&["q"]);
    session.assert_clean_exit();
    let quit = Instant::now();
    while running() != (0, 0) {
        assert!(
            quit.elapsed() < Duration::from_secs(2),
            "still running on the servers: {:?}",
            running()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// 1,000 sim sources with latencies from 5 to 300 ms, five that fail and four that hang
/// past a 500 ms timeout: `o` puts the slowest first, `f` lists exactly the failed ones.
#[test]
fn a_thousand_sources_sorted_by_latency_and_filtered_to_the_failures() {
    use std::fmt::Write as _;
    let dir = tempfile::tempdir().unwrap();
    let mut config =
        String::from("query = \"SELECT 1\"\n[gather]\ntimeout = \"10s\"\nconcurrency = 0\n");
    let mut failed = Vec::new();
    for i in 0..1000 {
        let name = format!("shard-{i:04}");
        let _ = write!(
            config,
            "[[source]]\nname = \"{name}\"\nkind = \"sim\"\nrows = 2\nseed = {i}\n"
        );
        if i % 200 == 13 {
            config.push_str("error = \"connection refused\"\n");
            failed.push(name);
        } else if i % 250 == 7 {
            config.push_str("hang = true\ntimeout = \"500ms\"\n");
            failed.push(name);
        } else {
            config.push_str("latency = \"5ms..300ms\"\n");
        }
    }
    std::fs::write(dir.path().join("fleet.toml"), config).unwrap();
    let Some(session) = Session::start_with("fleet", dir.path(), "fleet.toml") else {
        return;
    };
    let tmux = &session.tmux;
    tmux.wait_for("every source to finish", Duration::from_secs(30), |s| {
        s.contains("○ pending 0") && s.contains("◐ running 0") && s.contains("✓ ok 991")
    });
    tmux.keys(&["o"]);
    // tmux may capture a frame half written: wait for the whole panel, not only its title.
    let sorted = |s: &str| {
        let rows = panel_rows(s);
        s.contains("by latency ↓") && rows.len() == 12 && rows.windows(2).all(|w| w[0].1 >= w[1].1)
    };
    let screen = tmux.wait_for("the slowest first", Duration::from_secs(5), sorted);
    let rows = panel_rows(&screen);
    assert!(rows[0].1 >= 0.5, "the timeouts (500 ms) lead: {rows:?}");
    tmux.keys(&["f"]);
    let listed = |s: &str| {
        let mut names: Vec<String> = panel_rows(s).into_iter().map(|r| r.0).collect();
        names.sort();
        names
    };
    tmux.wait_for("exactly the failed sources", Duration::from_secs(5), |s| {
        s.contains("991 hidden") && listed(s) == failed
    });
    tmux.keys(&["q"]);
    session.assert_clean_exit();
}

/// The sources panel's rows on screen: name and latency in seconds.
fn panel_rows(screen: &str) -> Vec<(String, f64)> {
    screen
        .lines()
        .skip_while(|l| !l.starts_with("┌ sources"))
        .skip(1)
        .take_while(|l| l.starts_with('│'))
        .filter_map(|l| {
            let words: Vec<&str> = l.trim_start_matches('│').split_whitespace().collect();
            let name = (*words.get(1)?).to_owned();
            let at = words.iter().position(|w| *w == "ms" || *w == "s")?;
            let value: f64 = words[at - 1].parse().ok()?;
            let seconds = if words[at] == "ms" {
                value / 1000.0
            } else {
                value
            };
            Some((name, seconds))
        })
        .collect()
}
