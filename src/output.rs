//! Headless output (`--once`): the merged table as JSON, NDJSON, CSV, Parquet or an aligned table,
//! the per-source summary, and the exit code.

mod list;
mod parquet;
mod progress;
mod rows;
mod summary;
mod table;

use std::io::{self, Write};
use std::sync::Arc;

use arrow_array::RecordBatch;
use serde_json::json;

use crate::engine::GatherResult;
use crate::merge::{Merged, Ordered};
use crate::source::{Attempt, Outcome, SourceReport, State};
use crate::sql::SqlRun;

pub use list::write_sources;
pub use progress::ProgressLine;
pub use summary::{FLEET_SUMMARY_ABOVE, MergeFacts, summary};
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
    /// An Apache Parquet file (binary: to --output FILE or a pipe); the summary goes to stderr.
    Parquet,
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

/// Exit code when the SQL step failed (the sources' states are as reported): the result is
/// missing, but not because of a source.
pub const EXIT_SQL_FAILED: u8 = 5;

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
    write_result(out, format, query, result, merged, None)
}

/// Writes the result in `format`: the SQL step's rows when there was one (none when it
/// failed), else `merged` (absent when the gather produced no usable result).
pub fn write_result(
    out: &mut dyn Write,
    format: Format,
    query: &str,
    result: &GatherResult,
    merged: Option<&Merged>,
    sql: Option<&SqlRun>,
) -> io::Result<()> {
    let empty = RecordBatch::new_empty(crate::merge::union_schema([]));
    let no_rows = RecordBatch::new_empty(Arc::new(arrow_schema::Schema::empty()));
    let batch = match sql.map(|s| &s.result) {
        Some(Ok(out)) => &out.batch,
        Some(Err(_)) => &no_rows,
        None => merged.map_or(&empty, |m| &m.batch),
    };
    match format {
        Format::Json => write_json(out, query, result, merged, sql, batch),
        Format::Ndjson => rows::write(out, batch, rows::Rows::Ndjson),
        Format::Csv => rows::write(out, batch, rows::Rows::Csv),
        Format::Table => table::write(out, batch),
        Format::Parquet => parquet::write(out, batch),
    }
}

/// Writes the rows of a sorted merge that was never built into one table, in a row format
/// (`ndjson` or `csv`; `--once` with no SQL step): each chunk is gathered by the thread that
/// encodes it.
pub fn write_ordered(out: &mut dyn Write, format: Format, ordered: &Ordered) -> io::Result<()> {
    let kind = match format {
        Format::Ndjson => rows::Rows::Ndjson,
        Format::Csv => rows::Rows::Csv,
        _ => return Err(io::Error::other(format!("{format:?} is not a row format"))),
    };
    rows::write(out, ordered, kind)
}

fn write_json(
    out: &mut dyn Write,
    query: &str,
    result: &GatherResult,
    merged: Option<&Merged>,
    sql: Option<&SqlRun>,
    batch: &RecordBatch,
) -> io::Result<()> {
    let sources: Vec<_> = result.reports.iter().map(source_json).collect();
    let columns: Vec<_> = batch
        .schema()
        .fields()
        .iter()
        .map(|f| f.name().clone())
        .collect();
    let mut head = json!({
        "query": query,
        "elapsed_ms": result.elapsed.as_millis() as u64,
        "sources": sources,
        "columns": columns,
        "warnings": all_warnings(result, merged, sql),
    });
    if let Some(sql) = sql {
        head["sql"] = sql_json(sql);
    }
    // The head object, reopened to append the rows, streamed by arrow-json without building
    // a JSON value per row.
    let head = serde_json::to_string(&head).map_err(io::Error::other)?;
    out.write_all(&head.as_bytes()[..head.len() - 1])?;
    out.write_all(b",\"rows\":")?;
    rows::write(out, batch, rows::Rows::JsonArray)?;
    let total = match sql {
        Some(_) => batch.num_rows(),
        None => merged.map_or(0, |m| m.total),
    };
    writeln!(out, ",\"total\":{total}}}")
}

/// The `sql` object: the statement, the sources it covers, whether that is partial, the rows
/// it ran over and gave, and the error, if it failed.
fn sql_json(sql: &SqlRun) -> serde_json::Value {
    json!({
        "statement": sql.statement,
        "covers": {"sources": sql.coverage.answered, "of": sql.coverage.of},
        "partial": sql.coverage.is_partial(),
        "input_rows": sql.input_rows,
        "rows": sql.result.as_ref().ok().map(|o| o.batch.num_rows()),
        "elapsed_ms": sql.elapsed.as_millis() as u64,
        "error": sql.result.as_ref().err().map(ToString::to_string),
    })
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

/// [`json_warnings`] of a sorted merge's rows, before they are gathered: counted over the
/// sources' batches when every row is kept, else over the kept rows (a limit's top rows).
pub fn ordered_json_warnings(ordered: &Ordered) -> Result<Vec<String>, arrow_schema::ArrowError> {
    if ordered.num_rows() == ordered.total {
        return Ok(json_warnings_over(ordered.schema(), ordered.parts()));
    }
    let kept = ordered.chunk(0, ordered.num_rows())?;
    Ok(json_warnings_over(ordered.schema(), &[kept]))
}

/// For the JSON formats: a warning for each float column holding NaN or an infinity, which
/// JSON cannot write (arrow-json writes `null` in their place).
#[must_use]
pub fn json_warnings(batch: &RecordBatch) -> Vec<String> {
    json_warnings_over(&batch.schema(), std::slice::from_ref(batch))
}

/// [`json_warnings`] over `batches` of the columns of `schema` (a batch may lack `_source`,
/// the last; only float columns are looked at).
fn json_warnings_over(schema: &arrow_schema::SchemaRef, batches: &[RecordBatch]) -> Vec<String> {
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
    schema
        .fields()
        .iter()
        .enumerate()
        .filter_map(|(i, field)| {
            let columns = batches.iter().map(|b| b.column(i));
            let (nan, inf) = match field.data_type() {
                DataType::Float64 => counts(columns.flat_map(AsArray::as_primitive::<Float64Type>)),
                DataType::Float32 => counts(columns.flat_map(AsArray::as_primitive::<Float32Type>)),
                DataType::Float16 => counts(columns.flat_map(AsArray::as_primitive::<Float16Type>)),
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

/// Every warning of the gather: each source's, prefixed with its name, then the merge's
/// (`merge`).
#[must_use]
pub fn warnings(result: &GatherResult, merge: &[String]) -> Vec<String> {
    source_warnings(result)
        .chain(merge.iter().cloned())
        .collect()
}

/// Each source's warnings, prefixed with its name.
fn source_warnings(result: &GatherResult) -> impl Iterator<Item = String> + '_ {
    result
        .reports
        .iter()
        .flat_map(|r| r.warnings.iter().map(move |w| format!("{}: {w}", r.name)))
}

/// [`warnings`], then the SQL step's.
#[must_use]
pub fn all_warnings(
    result: &GatherResult,
    merged: Option<&Merged>,
    sql: Option<&SqlRun>,
) -> Vec<String> {
    let sources = source_warnings(result);
    let merge = merged.into_iter().flat_map(|m| m.warnings.iter().cloned());
    let sql = sql
        .and_then(|s| s.result.as_ref().ok())
        .into_iter()
        .flat_map(|o| o.warnings.iter().cloned());
    sources.chain(merge).chain(sql).collect()
}
