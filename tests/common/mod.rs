//! Helpers shared by the fault-injection tests (`tests/fault_*.rs`): a healthy sim source to
//! run beside the faulty one, a TCP proxy that stalls or drips, a throwaway PostgreSQL
//! cluster, and process-table checks through `/proc`.

#![allow(
    dead_code,
    reason = "each test binary uses a different part of these helpers"
)]

pub mod cluster;
pub mod proxy;

use std::path::Path;
use std::time::{Duration, Instant};

use arrow_array::RecordBatch;
use arrow_array::cast::AsArray;
use scatter::engine::{GatherResult, Plan};
use scatter::source::Outcome;

/// Rows of the healthy sim source [`healthy`] makes.
pub const HEALTHY_ROWS: usize = 7;

/// A `[[source]]` table for a sim source that succeeds quickly with [`HEALTHY_ROWS`] rows.
pub fn healthy(name: &str) -> String {
    format!(
        "[[source]]\nname = \"{name}\"\nkind = \"sim\"\nlatency = \"20ms\"\n\
         rows = {HEALTHY_ROWS}\nseed = 7\n"
    )
}

/// Asserts that source `name` of `result` ended `ok` with all of [`HEALTHY_ROWS`] rows.
pub fn assert_healthy(result: &GatherResult, name: &str) {
    let i = result
        .reports
        .iter()
        .position(|r| r.name == name)
        .unwrap_or_else(|| panic!("no source {name}"));
    let report = &result.reports[i];
    assert_eq!(report.outcome, Outcome::Ok, "{name} is unaffected");
    let rows: usize = result.batches[i].iter().map(RecordBatch::num_rows).sum();
    assert_eq!(rows, HEALTHY_ROWS, "{name} kept all its rows");
    assert_eq!(report.rows, HEALTHY_ROWS as u64);
    let first = &result.batches[i][0];
    let column = first
        .column_by_name("model")
        .expect("sim rows have a model");
    assert!(!column.as_string::<i32>().value(0).is_empty());
}

/// A TOML basic string for `s`.
pub fn lit(s: &str) -> String {
    toml::Value::String(s.to_owned()).to_string()
}

/// Processes still alive (zombies excluded) whose process group is `group`.
pub fn live_in_group(group: i32) -> Vec<String> {
    procs()
        .into_iter()
        .filter(|p| p.pgrp == group && p.state != "Z")
        .map(|p| p.head)
        .collect()
}

/// Live processes whose command line contains `needle`.
pub fn live_with_cmdline(needle: &str) -> Vec<String> {
    procs()
        .into_iter()
        .filter(|p| p.state != "Z" && p.cmdline.contains(needle))
        .map(|p| format!("{} {}", p.head, p.cmdline))
        .collect()
}

/// Waits up to `within` for `check` to hold, polling every 20 ms; returns whether it did.
pub fn wait_until(within: Duration, mut check: impl FnMut() -> bool) -> bool {
    let start = Instant::now();
    loop {
        if check() {
            return true;
        }
        if start.elapsed() >= within {
            return false;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

struct Proc {
    /// `pid (comm)`.
    head: String,
    state: String,
    pgrp: i32,
    /// Arguments joined by spaces.
    cmdline: String,
}

fn procs() -> Vec<Proc> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir("/proc").expect("/proc").flatten() {
        if entry.file_name().to_string_lossy().parse::<i32>().is_err() {
            continue;
        }
        let Ok(stat) = std::fs::read_to_string(entry.path().join("stat")) else {
            continue;
        };
        // `pid (comm) state ppid pgrp ...`; comm may hold spaces and parentheses.
        let Some(close) = stat.rfind(')') else {
            continue;
        };
        let fields: Vec<&str> = stat[close + 2..].split(' ').collect();
        let cmdline = std::fs::read(entry.path().join("cmdline"))
            .map(|b| String::from_utf8_lossy(&b).replace('\0', " "))
            .unwrap_or_default();
        out.push(Proc {
            head: stat[..=close].to_owned(),
            state: fields[0].to_owned(),
            pgrp: fields[2].parse().unwrap_or(0),
            cmdline,
        });
    }
    out
}

/// Waits until the file at `path` holds a pid (the command under test writes its own first).
pub async fn read_pid(path: &Path) -> i32 {
    for _ in 0..500 {
        if let Ok(text) = std::fs::read_to_string(path)
            && let Ok(pid) = text.trim().parse()
        {
            return pid;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("the command never wrote its pid");
}

/// Waits for the gather's cleanup (the reaping of killed children), then asserts that no
/// process of group `pgid` is alive and that its leader was reaped.
pub async fn assert_group_gone(pgid: i32, plan: &Plan) {
    plan.cleanup.close();
    tokio::time::timeout(Duration::from_secs(5), plan.cleanup.wait())
        .await
        .expect("the killed command is reaped");
    let gone = wait_until(Duration::from_secs(3), || live_in_group(pgid).is_empty());
    assert!(
        gone,
        "processes of group {pgid} remain: {:?}",
        live_in_group(pgid)
    );
    let reaped = wait_until(Duration::from_secs(3), || {
        !Path::new(&format!("/proc/{pgid}")).exists()
    });
    assert!(reaped, "the group's leader {pgid} was not reaped");
}
