//! Headless output (`--once`): the merged table as JSON, NDJSON, CSV or an aligned table,
//! the per-source summary, and the exit code.

mod list;
mod progress;
mod summary;
mod table;

use std::io::{self, Write};

use arrow_array::RecordBatch;
use serde_json::json;

use crate::engine::GatherResult;
use crate::merge::Merged;
use crate::source::{Attempt, Outcome, SourceReport, State};

pub use list::write_sources;
pub use progress::ProgressLine;
pub use summary::{FLEET_SUMMARY_ABOVE, summary};
pub use table::align_decimals;

/// Output format of `--once`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum Format {
    /// An aligned text table; the summary goes to stderr.
    #[default]
    Table,
    /// One JSON object with the sources, the columns and the rows.
    Json,
    /// One JSON object per row; the summary goes to stderr.
    Ndjson,
    /// Header and rows; the summary goes to stderr.
    Csv,
}

/// How much of the per-source summary `--once` prints on stderr.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum SummaryMode {
    /// One line per source up to [`FLEET_SUMMARY_ABOVE`] sources, the fleet summary above.
    #[default]
    #[value(help = "One line per source up to 20 sources, the fleet summary above")]
    Auto,
    /// One line per source, however many.
    Full,
}

/// The process exit code for a gather's result: 0 every source ok, 3 partial (results
/// printed, some sources failed), 4 no result (fail-fast abort, or no source ok).
#[must_use]
pub fn exit_code(result: &GatherResult) -> u8 {
    let count = |s: State| {
        result
            .reports
            .iter()
            .filter(|r| r.outcome.state() == s)
            .count()
    };
    let ok = count(State::Ok);
    let fine = ok + count(State::Skipped);
    if result.aborted || (ok == 0 && fine < result.reports.len()) {
        4
    } else if fine < result.reports.len() {
        3
    } else {
        0
    }
}

/// Writes `merged` (absent when the gather produced no usable result) in `format`.
pub fn write(
    out: &mut dyn Write,
    format: Format,
    query: &str,
    result: &GatherResult,
    merged: Option<&Merged>,
) -> io::Result<()> {
    let empty = RecordBatch::new_empty(crate::merge::union_schema([]));
    let batch = merged.map_or(&empty, |m| &m.batch);
    match format {
        Format::Json => write_json(out, query, result, merged, batch),
        Format::Ndjson => {
            let mut w = arrow_json::WriterBuilder::new()
                .with_explicit_nulls(true)
                .build::<_, arrow_json::writer::LineDelimited>(&mut *out);
            w.write(batch).map_err(io::Error::other)?;
            w.finish().map_err(io::Error::other)
        }
        Format::Csv => arrow_csv::WriterBuilder::new()
            .with_header(true)
            .build(&mut *out)
            .write(batch)
            .map_err(io::Error::other),
        Format::Table => table::write(out, batch),
    }
}

fn write_json(
    out: &mut dyn Write,
    query: &str,
    result: &GatherResult,
    merged: Option<&Merged>,
    batch: &RecordBatch,
) -> io::Result<()> {
    let sources: Vec<_> = result.reports.iter().map(source_json).collect();
    let columns: Vec<_> = batch
        .schema()
        .fields()
        .iter()
        .map(|f| f.name().clone())
        .collect();
    let head = json!({
        "query": query,
        "elapsed_ms": result.elapsed.as_millis() as u64,
        "sources": sources,
        "columns": columns,
        "warnings": warnings(result, merged),
    });
    // The head object, reopened to append the rows, streamed by arrow-json without building
    // a JSON value per row.
    let head = serde_json::to_string(&head).map_err(io::Error::other)?;
    out.write_all(&head.as_bytes()[..head.len() - 1])?;
    out.write_all(b",\"rows\":")?;
    {
        let mut w = arrow_json::WriterBuilder::new()
            .with_explicit_nulls(true)
            .build::<_, arrow_json::writer::JsonArray>(&mut *out);
        w.write(batch).map_err(io::Error::other)?;
        w.finish().map_err(io::Error::other)?;
    }
    writeln!(out, ",\"total\":{}}}", merged.map_or(0, |m| m.total))
}

/// A source as `--once`'s JSON gives it (also the base of a `--record` line's sources).
#[must_use]
pub fn source_json(r: &SourceReport) -> serde_json::Value {
    json!({
        "name": r.name,
        "kind": r.kind,
        "state": r.outcome.state().as_str(),
        "latency_ms": r.timing.latency().as_millis() as u64,
        "rows": r.rows,
        "error": r.outcome.message(),
        "transient": match &r.outcome {
            Outcome::Error(e) => Some(e.is_transient()),
            _ => None,
        },
        "warnings": r.warnings,
        "attempts": r.attempts.iter().map(attempt_json).collect::<Vec<_>>(),
        "winner": r.winner(),
    })
}

/// One attempt: where it went, when (ms from the gather's start), how it ended, and why it
/// was sent (`first`, `retry`, `hedge`).
fn attempt_json(a: &Attempt) -> serde_json::Value {
    json!({
        "target": a.target,
        "start_ms": a.start.as_millis() as u64,
        "end_ms": a.end.as_millis() as u64,
        "state": a.outcome.state().as_str(),
        "kind": a.kind.as_str(),
        "error": a.outcome.message(),
    })
}

/// For the JSON formats: a warning for each float column holding NaN or an infinity, which
/// JSON cannot write (arrow-json writes `null` in their place).
#[must_use]
pub fn json_warnings(batch: &RecordBatch) -> Vec<String> {
    use arrow_array::cast::AsArray;
    use arrow_array::types::{Float16Type, Float32Type, Float64Type};
    use arrow_schema::DataType;
    fn counts<T: Into<f64>>(values: impl Iterator<Item = Option<T>>) -> (usize, usize) {
        values
            .flatten()
            .map(Into::into)
            .fold((0, 0), |(nan, inf), v: f64| {
                (
                    nan + usize::from(v.is_nan()),
                    inf + usize::from(v.is_infinite()),
                )
            })
    }
    let schema = batch.schema();
    schema
        .fields()
        .iter()
        .zip(batch.columns())
        .filter_map(|(field, column)| {
            let (nan, inf) = match field.data_type() {
                DataType::Float64 => counts(column.as_primitive::<Float64Type>().iter()),
                DataType::Float32 => counts(column.as_primitive::<Float32Type>().iter()),
                DataType::Float16 => counts(column.as_primitive::<Float16Type>().iter()),
                _ => return None,
            };
            let what = match (nan, inf) {
                (0, 0) => return None,
                (n, 0) => format!("{n} NaN"),
                (0, i) => format!("{i} infinite"),
                (n, i) => format!("{n} NaN and {i} infinite"),
            };
            Some(format!(
                "column `{}`: {what} written as null (JSON has no NaN or infinity; \
                 --format csv keeps them)",
                field.name()
            ))
        })
        .collect()
}

/// Every warning of the gather: each source's, prefixed with its name, then the merge's.
#[must_use]
pub fn warnings(result: &GatherResult, merged: Option<&Merged>) -> Vec<String> {
    let sources = result
        .reports
        .iter()
        .flat_map(|r| r.warnings.iter().map(move |w| format!("{}: {w}", r.name)));
    let merge = merged.into_iter().flat_map(|m| m.warnings.iter().cloned());
    sources.chain(merge).collect()
}
