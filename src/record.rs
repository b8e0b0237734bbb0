//! `--record FILE`: each gather's report appended to FILE as one JSON line, for `scatter
//! replay` to replay under other limits.
//!
//! A line is shaped like `--once`'s JSON without the rows: `sources` (each as `--once` gives
//! it, plus its time limit and the offsets of its queueing, start, first row and end in
//! microsecond-precise milliseconds), `elapsed_ms`, and the limits the gather ran under. The
//! field [`MARKER`] holds the format's version: a line without it is not scatter's.
//!
//! Each line is written with one `write` on a file opened for appending, so lines of two
//! scatter processes recording to the same file do not interleave.

mod watched;

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_json::{Value, json};

use crate::config::GatherSettings;
use crate::engine::{GatherResult, Plan};
use crate::source::{Outcome, SourceReport, TimeoutCause};

pub use watched::WatchedRecorder;

/// The field that marks a line as a scatter recording; its value is [`VERSION`].
pub const MARKER: &str = "scatter_record";
/// The version of the line format this scatter writes and reads.
pub const VERSION: u64 = 1;

/// Recording failed.
#[derive(Debug, thiserror::Error)]
pub enum RecordError {
    /// The file could not be opened or written.
    #[error("cannot record to {}: {source}", path.display())]
    Io {
        /// The recording file.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
}

/// An open recording file; every gather given to [`Recorder::write`] becomes one line.
#[derive(Debug)]
pub struct Recorder {
    path: PathBuf,
    file: File,
}

impl Recorder {
    /// Opens `path` for appending, creating it if needed.
    pub fn open(path: &Path) -> Result<Self, RecordError> {
        let file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .map_err(|source| RecordError::Io {
                path: path.to_owned(),
                source,
            })?;
        Ok(Self {
            path: path.to_owned(),
            file,
        })
    }

    /// The file recorded to.
    #[must_use]
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Appends `result`, gathered by `plan` with `query` as the default query, as one line.
    pub fn write(
        &mut self,
        plan: &Plan,
        query: &str,
        result: &GatherResult,
    ) -> Result<(), RecordError> {
        let mut line = line(plan, query, result).to_string();
        line.push('\n');
        self.file
            .write_all(line.as_bytes())
            .map_err(|source| RecordError::Io {
                path: self.path.clone(),
                source,
            })
    }
}

/// The recording line of `result` (without its newline).
#[must_use]
pub fn line(plan: &Plan, query: &str, result: &GatherResult) -> Value {
    let sources: Vec<Value> = result
        .reports
        .iter()
        .map(|r| {
            let timeout = plan
                .sources
                .get(r.index)
                .map_or(plan.settings.timeout, |p| p.timeout);
            source(r, timeout)
        })
        .collect();
    json!({
        MARKER: VERSION,
        "recorded_at": chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        "generation": result.generation,
        "query": query,
        "limits": limits(&plan.settings),
        "elapsed_ms": result.elapsed.as_millis() as u64,
        "aborted": result.aborted,
        "sources": sources,
    })
}

/// The limits a gather ran under.
fn limits(settings: &GatherSettings) -> Value {
    json!({
        "timeout_ms": ms(settings.timeout),
        "deadline_ms": settings.deadline.map(ms),
        "concurrency": settings.concurrency,
        "mode": settings.mode.as_str(),
    })
}

/// A source as `--once` gives it, with its limit, the cause of a timeout and its timing.
fn source(r: &SourceReport, timeout: Duration) -> Value {
    let mut v = crate::output::source_json(r);
    let t = &r.timing;
    let extra = json!({
        "timeout_ms": ms(timeout),
        "timeout_cause": match r.outcome {
            Outcome::Timeout { cause: TimeoutCause::Source, .. } => Some("source"),
            Outcome::Timeout { cause: TimeoutCause::Deadline, .. } => Some("deadline"),
            _ => None,
        },
        "timing": {
            "queued_ms": ms(t.queued),
            "started_ms": t.started.map(ms),
            "first_row_ms": t.first_row.map(ms),
            "finished_ms": ms(t.finished),
        },
    });
    if let (Value::Object(map), Value::Object(extra)) = (&mut v, extra) {
        map.extend(extra);
    }
    v
}

/// Milliseconds with microsecond precision: replay compares ends with limits, and whole
/// milliseconds would blur a source ending a fraction of one before its deadline.
fn ms(d: Duration) -> f64 {
    d.as_micros() as f64 / 1000.0
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::{SourceError, Timing};

    fn report(index: usize, outcome: Outcome, started: Option<u64>, finished: u64) -> SourceReport {
        SourceReport {
            index,
            name: format!("s{index}"),
            kind: "sim",
            outcome,
            rows: 3,
            timing: Timing {
                queued: Duration::ZERO,
                started: started.map(Duration::from_micros),
                first_row: None,
                finished: Duration::from_micros(finished),
            },
            warnings: Vec::new(),
            attempts: Vec::new(),
        }
    }

    #[test]
    fn a_line_holds_the_marker_the_limits_and_precise_timing() {
        let plan = Plan {
            sources: Vec::new(),
            settings: GatherSettings {
                deadline: Some(Duration::from_millis(1500)),
                ..GatherSettings::default()
            },
            allow_writes: false,
            cleanup: tokio_util::task::TaskTracker::new(),
            columns: None,
        };
        let result = GatherResult {
            generation: 2,
            elapsed: Duration::from_millis(1500),
            reports: vec![
                report(0, Outcome::Ok, Some(10), 12_345),
                report(
                    1,
                    Outcome::Timeout {
                        limit: Duration::from_millis(1500),
                        cause: TimeoutCause::Deadline,
                    },
                    None,
                    1_500_000,
                ),
                report(2, SourceError::Failed("boom".into()).into(), Some(5), 900),
            ],
            batches: vec![Vec::new(); 3],
            aborted: false,
        };
        let v = line(&plan, "q", &result);
        assert_eq!(v[MARKER], VERSION);
        assert_eq!(v["limits"]["deadline_ms"], 1500.0);
        assert_eq!(v["limits"]["concurrency"], 8);
        assert_eq!(v["limits"]["mode"], "partial");
        let s = &v["sources"];
        assert_eq!(s[0]["timing"]["finished_ms"], 12.345);
        assert_eq!(s[0]["timing"]["started_ms"], 0.01);
        assert_eq!(s[0]["timeout_ms"], 10_000.0);
        assert_eq!(s[1]["state"], "timeout");
        assert_eq!(s[1]["timeout_cause"], "deadline");
        assert_eq!(s[1]["timing"]["started_ms"], Value::Null);
        assert_eq!(s[2]["error"], "boom");
        assert_eq!(s[2]["transient"], false);
    }
}
