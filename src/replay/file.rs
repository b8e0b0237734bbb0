//! Reading a `--record` file: one gather per line, each checked to be scatter's and complete.

use std::path::Path;
use std::time::Duration;

use serde::Deserialize;

use super::ReplayError;
use crate::config::Mode;
use crate::record::{MARKER, VERSION};
use crate::source::State;

/// One recorded gather.
#[derive(Debug, Clone, PartialEq)]
pub struct RecordedRun {
    /// Its line in the file (1-based), which is also its number for `--run`.
    pub line: usize,
    /// When it was recorded (RFC 3339), as written.
    pub recorded_at: String,
    /// The default query.
    pub query: String,
    /// The limits it ran under.
    pub limits: Limits,
    /// Its wall time.
    pub elapsed: Duration,
    /// `fail-fast` aborted it.
    pub aborted: bool,
    /// Its sources, in plan order.
    pub sources: Vec<RecordedSource>,
}

/// The limits of a gather (recorded, or asked for a replay).
#[derive(Debug, Clone, PartialEq)]
pub struct Limits {
    /// `[gather] timeout`.
    pub timeout: Duration,
    /// `[gather] deadline`.
    pub deadline: Option<Duration>,
    /// Sources at once; 0 = all.
    pub concurrency: usize,
    /// `partial` or `fail-fast`.
    pub mode: Mode,
    /// Hedge after this long (replay only; `None` = as recorded).
    pub hedge_after: Option<Duration>,
}

/// One source of a recorded gather.
#[derive(Debug, Clone, PartialEq)]
pub struct RecordedSource {
    /// Name.
    pub name: String,
    /// Kind name as recorded.
    pub kind: String,
    /// Final state.
    pub state: State,
    /// The message beside the state (error text, timeout limit, cancel reason).
    pub error: Option<String>,
    /// For an error: whether it was transient.
    pub transient: Option<bool>,
    /// For a timeout: whether the gather's deadline (not the source's timeout) cut it off.
    pub by_deadline: bool,
    /// Rows it produced.
    pub rows: u64,
    /// Its own time limit.
    pub timeout: Duration,
    /// Started (got a slot), if it did.
    pub started: Option<Duration>,
    /// First row, if any.
    pub first_row: Option<Duration>,
    /// Ended.
    pub finished: Duration,
    /// Warnings about its rows.
    pub warnings: Vec<String>,
    /// Its attempts, when the recording has them (retries, hedges).
    pub attempts: Vec<Attempt>,
}

/// One attempt of a source on one target, as the JSON report gives it.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Attempt {
    /// Which server (password hidden).
    #[serde(default)]
    pub target: String,
    /// Start, from the gather's start.
    #[serde(default)]
    pub start_ms: f64,
    /// End, from the gather's start (absent when it had not ended).
    #[serde(default)]
    pub end_ms: Option<f64>,
    /// How it ended (`ok`, `error`, `timeout`, `cancelled`).
    #[serde(default)]
    pub state: String,
    /// `first`, `retry` or `hedge`.
    #[serde(default)]
    pub kind: String,
}

/// Why one line of a recording is not a run this scatter reads.
#[derive(Debug, thiserror::Error)]
pub enum LineError {
    /// The JSON ends before the line does: a recording cut off mid-write.
    #[error("the line is cut short (a truncated recording?): {0}")]
    Truncated(#[source] serde_json::Error),
    /// The line is not JSON at all.
    #[error("not JSON: {0}")]
    NotJson(#[source] serde_json::Error),
    /// JSON without the recording's marker field.
    #[error("not a scatter recording (no \"{MARKER}\" field)")]
    NotScatter,
    /// A format version this scatter does not know.
    #[error("recorded by a newer scatter (format {0}; this one reads {VERSION})")]
    Newer(u64),
    /// The marker is there but the fields are not as scatter writes them.
    #[error("a scatter recording, but not as this scatter writes it: {0}")]
    Shape(#[source] serde_json::Error),
    /// `limits.mode` is neither `partial` nor `fail-fast`.
    #[error("unknown mode \"{0}\"")]
    Mode(String),
    /// A source's state is not a final one.
    #[error("source {source_name}: unknown final state \"{state}\"")]
    State {
        /// The source.
        source_name: String,
        /// The state as written.
        state: String,
    },
    /// A time that is negative, infinite or not a number.
    #[error("{0} is not a time in ms")]
    Time(f64),
}

#[derive(Deserialize)]
struct RawRun {
    #[serde(rename = "scatter_record")]
    version: Option<u64>,
    #[serde(default)]
    recorded_at: String,
    #[serde(default)]
    query: String,
    limits: RawLimits,
    elapsed_ms: f64,
    #[serde(default)]
    aborted: bool,
    sources: Vec<RawSource>,
}

#[derive(Deserialize)]
struct RawLimits {
    timeout_ms: f64,
    deadline_ms: Option<f64>,
    concurrency: usize,
    mode: String,
}

#[derive(Deserialize)]
struct RawSource {
    name: String,
    kind: String,
    state: String,
    #[serde(default)]
    rows: u64,
    error: Option<String>,
    transient: Option<bool>,
    #[serde(default)]
    warnings: Vec<String>,
    timeout_ms: f64,
    timeout_cause: Option<String>,
    timing: RawTiming,
    #[serde(default)]
    attempts: Vec<Attempt>,
}

#[derive(Deserialize)]
#[expect(
    clippy::struct_field_names,
    reason = "the names of the recording's fields"
)]
struct RawTiming {
    started_ms: Option<f64>,
    first_row_ms: Option<f64>,
    finished_ms: f64,
}

/// Reads every run of the recording at `path`.
pub fn read(path: &Path) -> Result<Vec<RecordedRun>, ReplayError> {
    let text = std::fs::read_to_string(path).map_err(|source| ReplayError::Read {
        path: path.to_owned(),
        source,
    })?;
    parse(path, &text)
}

/// Parses a recording's text; `path` names it in errors.
pub fn parse(path: &Path, text: &str) -> Result<Vec<RecordedRun>, ReplayError> {
    let mut runs = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let n = i + 1;
        let bad = |kind| ReplayError::Line {
            path: path.to_owned(),
            line: n,
            kind,
        };
        runs.push(run(line, n).map_err(bad)?);
    }
    if runs.is_empty() {
        return Err(ReplayError::Empty {
            path: path.to_owned(),
        });
    }
    Ok(runs)
}

/// One line as a run, or why it is not one.
fn run(line: &str, n: usize) -> Result<RecordedRun, LineError> {
    // Straight into the typed form (a 1,000-source line is about 400 KB); only a line that
    // does not fit is read again, to say why.
    let raw = match serde_json::from_str::<RawRun>(line) {
        Ok(raw) if raw.version.is_some_and(|v| v <= VERSION) => raw,
        Ok(_) | Err(_) => return Err(why_not(line)),
    };
    let mode = match raw.limits.mode.as_str() {
        "partial" => Mode::Partial,
        "fail-fast" => Mode::FailFast,
        other => return Err(LineError::Mode(other.to_owned())),
    };
    let sources = raw
        .sources
        .into_iter()
        .map(source)
        .collect::<Result<_, _>>()?;
    Ok(RecordedRun {
        line: n,
        recorded_at: raw.recorded_at,
        query: raw.query,
        limits: Limits {
            timeout: ms(raw.limits.timeout_ms)?,
            deadline: raw.limits.deadline_ms.map(ms).transpose()?,
            concurrency: raw.limits.concurrency,
            mode,
            hedge_after: None,
        },
        elapsed: ms(raw.elapsed_ms)?,
        aborted: raw.aborted,
        sources,
    })
}

/// Why `line` is not a run this scatter reads.
fn why_not(line: &str) -> LineError {
    let value: serde_json::Value = match serde_json::from_str(line) {
        Ok(v) => v,
        Err(e) if e.is_eof() => return LineError::Truncated(e),
        Err(e) => return LineError::NotJson(e),
    };
    match value.get(MARKER).and_then(serde_json::Value::as_u64) {
        None => LineError::NotScatter,
        Some(v) if v > VERSION => LineError::Newer(v),
        // The typed read failed, so this one does too, and says where.
        Some(_) => match serde_json::from_value::<RawRun>(value) {
            Err(e) => LineError::Shape(e),
            Ok(_) => LineError::NotScatter,
        },
    }
}

fn source(raw: RawSource) -> Result<RecordedSource, LineError> {
    let Some(state) = State::ALL
        .into_iter()
        .find(|s| s.as_str() == raw.state && s.is_final())
    else {
        return Err(LineError::State {
            source_name: raw.name,
            state: raw.state,
        });
    };
    Ok(RecordedSource {
        state,
        error: raw.error,
        transient: raw.transient,
        by_deadline: raw.timeout_cause.as_deref() == Some("deadline"),
        rows: raw.rows,
        timeout: ms(raw.timeout_ms)?,
        started: raw.timing.started_ms.map(ms).transpose()?,
        first_row: raw.timing.first_row_ms.map(ms).transpose()?,
        finished: ms(raw.timing.finished_ms)?,
        warnings: raw.warnings,
        attempts: raw.attempts,
        name: raw.name,
        kind: raw.kind,
    })
}

/// A recorded number of milliseconds as a duration.
fn ms(v: f64) -> Result<Duration, LineError> {
    Duration::try_from_secs_f64(v / 1000.0).map_err(|_| LineError::Time(v))
}

#[cfg(test)]
mod tests {
    use super::*;

    const LINE: &str = r#"{"scatter_record":1,"recorded_at":"t","query":"q","limits":{"timeout_ms":1000.0,"deadline_ms":null,"concurrency":4,"mode":"partial"},"elapsed_ms":20,"aborted":false,"sources":[{"name":"a","kind":"sim","state":"ok","latency_ms":12,"rows":3,"error":null,"transient":null,"warnings":[],"timeout_ms":1000.0,"timeout_cause":null,"timing":{"queued_ms":0.0,"started_ms":0.5,"first_row_ms":null,"finished_ms":12.5}}]}"#;

    fn err(text: &str) -> String {
        parse(Path::new("rec.jsonl"), text).unwrap_err().to_string()
    }

    #[test]
    fn a_line_reads_back() {
        let runs = parse(Path::new("r"), &format!("{LINE}\n\n{LINE}\n")).unwrap();
        assert_eq!(runs.len(), 2);
        assert_eq!(runs[1].line, 3);
        let s = &runs[0].sources[0];
        assert_eq!(s.state, State::Ok);
        assert_eq!(s.started, Some(Duration::from_micros(500)));
        assert_eq!(s.finished, Duration::from_micros(12_500));
        assert_eq!(runs[0].limits.concurrency, 4);
        assert!(s.attempts.is_empty());
    }

    #[test]
    fn bad_lines_are_named() {
        let cut = &LINE[..LINE.len() - 30];
        let e = err(&format!("{LINE}\n{cut}"));
        assert!(e.starts_with("rec.jsonl:2:"), "{e}");
        assert!(e.contains("cut short"), "{e}");
        let e = err("{\"query\": \"x\"}\n");
        assert!(
            e.starts_with("rec.jsonl:1:") && e.contains("not a scatter recording"),
            "{e}"
        );
        let e = err("id,name\n1,a\n");
        assert!(
            e.starts_with("rec.jsonl:1:") && e.contains("not JSON"),
            "{e}"
        );
        let newer = LINE.replace("\"scatter_record\":1", "\"scatter_record\":9");
        assert!(err(&newer).contains("newer scatter"));
        let state = LINE.replace("\"state\":\"ok\"", "\"state\":\"running\"");
        assert!(err(&state).contains("unknown final state \"running\""));
        assert!(err("\n\n").contains("no recorded run"));
    }
}
