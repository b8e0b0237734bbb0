//! Helpers for the tests that run the real binary: one run in a directory, a directory
//! holding a config and its files, and the run's output as text or JSON.

#![allow(
    dead_code,
    reason = "each test binary uses a different part of these helpers"
)]

use std::path::Path;
use std::process::{Command, Output};

/// Runs `scatter ARGS` in `dir`, its log in `dir/scatter.log` (never the user's state
/// directory).
pub fn scatter(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_scatter"))
        .current_dir(dir)
        .args(args)
        .arg("--log-file")
        .arg(dir.join("scatter.log"))
        .output()
        .expect("the binary runs")
}

/// A temp dir holding `sources.toml` with `config` and each `(name, text)` file.
pub fn dir_with(config: &str, files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("sources.toml"), config).unwrap();
    for (name, text) in files {
        std::fs::write(dir.path().join(name), text).unwrap();
    }
    dir
}

/// A temp dir holding only `sources.toml` with `config`.
pub fn config(config: &str) -> tempfile::TempDir {
    dir_with(config, &[])
}

/// The run's stdout, which must be UTF-8.
pub fn stdout(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).expect("stdout is UTF-8")
}

/// The run's stderr, which must be UTF-8.
pub fn stderr(o: &Output) -> String {
    String::from_utf8(o.stderr.clone()).expect("stderr is UTF-8")
}

/// The run's stdout as one JSON value; on failure, the panic shows stdout and stderr.
pub fn json(o: &Output) -> serde_json::Value {
    serde_json::from_slice(&o.stdout).unwrap_or_else(|e| {
        panic!(
            "{e}: {}\n{}",
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        )
    })
}
