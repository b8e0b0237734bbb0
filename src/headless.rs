//! `--once`: one gather, the result on stdout, the summary and progress on stderr.

use std::io::{IsTerminal, Write};
use std::sync::Arc;
use std::time::Duration;

use tokio::signal::unix::{SignalKind, signal};
use tokio::sync::mpsc;

use crate::config::Config;
use crate::engine::{self, GatherResult, Plan};
use crate::merge::{self, Merged};
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
    let mut merged = usable(&result, config)?;
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
        eprint!("{}", output::summary(&result, merged.as_ref(), summary));
    }
    if let Some(sql) = &sql {
        if sql.result.is_err() {
            code = output::EXIT_SQL_FAILED;
        }
        if format != Format::Json || sql.result.is_err() {
            eprintln!("{}", sql.summary());
        }
    }
    plan.cleanup.close();
    let _ = tokio::time::timeout(CLEANUP_GRACE, plan.cleanup.wait()).await;
    Ok(code)
}

/// The merged table, unless fail-fast aborted the gather.
fn usable(result: &GatherResult, config: &Config) -> std::io::Result<Option<Merged>> {
    if result.aborted {
        return Ok(None);
    }
    let inputs: Vec<(&str, &[arrow_array::RecordBatch])> = result
        .reports
        .iter()
        .zip(&result.batches)
        .map(|(r, b)| (r.name.as_str(), b.as_slice()))
        .collect();
    merge::merge(&inputs, &config.merge)
        .map(Some)
        .map_err(std::io::Error::other)
}
