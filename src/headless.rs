//! `--once`: one gather, the result on stdout, the summary and progress on stderr.

use std::io::{IsTerminal, Write};
use std::sync::Arc;
use std::time::Duration;

use tokio::signal::unix::{SignalKind, signal};
use tokio::sync::mpsc;

use crate::config::Config;
use crate::engine::{self, GatherResult, Plan};
use crate::merge;
use crate::output::{self, Format, ProgressLine, SummaryMode};
use crate::record::Recorder;
use crate::source::CancelReason;

/// How long to wait at exit for sources' cleanup (server-side cancels) to finish.
const CLEANUP_GRACE: Duration = Duration::from_secs(3);

/// Runs one gather of `config`, writes the result to `out` in `format`, the summary (as
/// `summary` says) to stderr, appends the gather's report to `record` when given, and returns
/// the exit code. Ctrl-C (SIGINT) or SIGTERM (`timeout(1)`, a job runner stopping the process) cancels
/// the gather, on the servers too; what finished is still printed.
pub async fn run(
    config: &Config,
    format: Format,
    summary: SummaryMode,
    record: Option<&mut Recorder>,
    out: &mut dyn Write,
) -> std::io::Result<u8> {
    let plan = Arc::new(Plan::new(config));
    let (events_tx, events_rx) = mpsc::channel(engine::EVENT_CHANNEL);
    let progress = ProgressLine::new(plan.sources.len(), std::io::stderr().is_terminal());
    let progress = tokio::spawn(progress.run(events_rx));
    let gather = engine::spawn(Arc::clone(&plan), 1, events_tx);
    let canceller = gather.canceller();
    let join = gather.join();
    let ctrl_c = tokio::signal::ctrl_c();
    // Without a handler SIGTERM would end the process at once, leaving statements running on
    // the servers until their backstop limits.
    let mut term = signal(SignalKind::terminate())?;
    tokio::pin!(join, ctrl_c);
    let mut interrupted = false;
    let result = loop {
        tokio::select! {
            result = &mut join => break result,
            _ = &mut ctrl_c, if !interrupted => {
                interrupted = true;
                canceller.cancel(CancelReason::User);
            }
            _ = term.recv(), if !interrupted => {
                interrupted = true;
                canceller.cancel(CancelReason::Shutdown);
            }
        }
    };
    // The gather task owned the last event sender; the progress line ends when it is gone.
    let _ = progress.await;
    if let Some(recorder) = record {
        let query = config.query.as_deref().unwrap_or("");
        if let Err(e) = recorder.write(&plan, query, &result) {
            eprintln!("scatter: warning: {e}");
        }
    }
    let only_rows = config.sql.is_none() && matches!(format, Format::Ndjson | Format::Csv);
    let mut merged = match usable(&result, config, only_rows)? {
        Some(merge::Rows::Ordered(ordered)) => {
            return finish_ordered(&plan, &result, format, summary, &ordered, out).await;
        }
        Some(merge::Rows::Table(merged)) => Some(merged),
        None => None,
    };
    if matches!(format, Format::Json | Format::Ndjson)
        && let Some(m) = merged.as_mut()
    {
        let lost = output::json_warnings(&m.batch);
        m.warnings.extend(lost);
    }
    let mut code = output::exit_code(&result);
    let sql = match (&config.sql, &merged) {
        // No result (exit code 4): nothing to run the step over.
        (Some(step), Some(m)) if code != 4 => Some(
            step.run_over(&m.batch, &result.reports, &result.batches)
                .await,
        ),
        _ => None,
    };
    output::write_result(
        out,
        format,
        config.query.as_deref().unwrap_or(""),
        &result,
        merged.as_ref(),
        sql.as_ref(),
    )?;
    out.flush()?;
    if format != Format::Json {
        let facts = merged.as_ref().map(output::MergeFacts::from);
        eprint!("{}", output::summary(&result, facts, summary));
    }
    if let Some(sql) = &sql {
        if sql.result.is_err() {
            code = output::EXIT_SQL_FAILED;
        }
        if format != Format::Json || sql.result.is_err() {
            eprintln!("{}", sql.summary());
        }
    }
    cleanup(&plan).await;
    Ok(code)
}

/// Waits (a little) for sources' cleanup, server-side cancels, to finish before exiting.
async fn cleanup(plan: &Plan) {
    plan.cleanup.close();
    let _ = tokio::time::timeout(CLEANUP_GRACE, plan.cleanup.wait()).await;
}

/// The end of a run whose result is a sorted merge written in a row format with no SQL step:
/// the rows go out chunk by chunk, never built into one table ([`merge::Ordered`]).
async fn finish_ordered(
    plan: &Plan,
    result: &GatherResult,
    format: Format,
    summary: SummaryMode,
    ordered: &merge::Ordered,
    out: &mut dyn Write,
) -> std::io::Result<u8> {
    let mut warnings = ordered.warnings.clone();
    if format == Format::Ndjson {
        warnings.extend(output::ordered_json_warnings(ordered).map_err(std::io::Error::other)?);
    }
    output::write_ordered(out, format, ordered)?;
    out.flush()?;
    let facts = output::MergeFacts {
        rows: ordered.num_rows(),
        warnings: &warnings,
    };
    eprint!("{}", output::summary(result, Some(facts), summary));
    cleanup(plan).await;
    Ok(output::exit_code(result))
}

/// The merged rows, unless fail-fast aborted the gather: in their order only (a sorted merge,
/// [`merge::merge_rows`]) when `only_rows`, the caller writing them and nothing else.
fn usable(
    result: &GatherResult,
    config: &Config,
    only_rows: bool,
) -> std::io::Result<Option<merge::Rows>> {
    if result.aborted {
        return Ok(None);
    }
    let inputs: Vec<(&str, &[arrow_array::RecordBatch])> = result
        .reports
        .iter()
        .zip(&result.batches)
        .map(|(r, b)| (r.name.as_str(), b.as_slice()))
        .collect();
    let rows = if only_rows {
        merge::merge_rows(&inputs, &config.merge)
    } else {
        merge::merge(&inputs, &config.merge).map(merge::Rows::Table)
    };
    rows.map(Some).map_err(std::io::Error::other)
}
