//! One source's task within a gather: wait for a slot, run under the timeout and the gather's
//! token, and report exactly one outcome.

use std::sync::Arc;

use arrow_array::RecordBatch;
use futures_util::FutureExt;
use tokio::sync::Semaphore;
use tokio::time::Instant;

use super::Shared;
use crate::event::EventKind;
use crate::source::{
    Outcome, Request, RowSink, SinkLimits, Source, SourceError, SourceReport, TimeoutCause, Timing,
};

/// What a source task is given.
pub(super) struct TaskCtx {
    pub shared: Shared,
    pub index: usize,
    /// When the gather started; event times are offsets from it.
    pub start: Instant,
    /// The concurrency limit; `None` = unlimited. A permit is held while the source runs.
    pub slots: Option<Arc<Semaphore>>,
    pub limits: SinkLimits,
}

/// Runs source `ctx.index` to its one outcome.
pub(super) async fn run_source(ctx: TaskCtx) -> (SourceReport, Vec<RecordBatch>) {
    let planned = &ctx.shared.plan.sources[ctx.index];
    let index = ctx.index;
    let mut timing = Timing::default();
    let report = |outcome, rows, timing| SourceReport {
        index,
        name: planned.name.clone(),
        kind: planned.kind,
        outcome,
        rows,
        timing,
        warnings: Vec::new(),
    };
    if !planned.enabled {
        timing.finished = ctx.start.elapsed();
        let r = report(Outcome::Skipped("disabled in the config".into()), 0, timing);
        ctx.shared
            .emit(EventKind::Finished {
                report: r.clone(),
                batches: Vec::new(),
            })
            .await;
        return (r, Vec::new());
    }
    ctx.shared
        .emit(EventKind::Queued {
            source: index,
            at: timing.queued,
        })
        .await;

    // This source's token: cancelled with the gather's, and by this task when the source is
    // cut off, so the source's own cleanup (server-side cancel) sees it.
    let token = ctx.shared.token.child_token();
    let _permit = match &ctx.slots {
        None => None,
        Some(slots) => tokio::select! {
            permit = Arc::clone(slots).acquire_owned() => Some(permit.expect("the semaphore is never closed")),
            () = token.cancelled() => {
                timing.finished = ctx.start.elapsed();
                return finish(&ctx, report(ctx.shared.stopped_outcome(), 0, timing), Vec::new()).await;
            }
        },
    };
    let started = ctx.start.elapsed();
    timing.started = Some(started);
    ctx.shared
        .emit(EventKind::Started {
            source: index,
            at: started,
        })
        .await;

    let source = match &planned.source {
        Ok(source) => Arc::clone(source),
        Err(error) => {
            timing.finished = ctx.start.elapsed();
            return finish(
                &ctx,
                report(Outcome::Error(Arc::clone(error)), 0, timing),
                Vec::new(),
            )
            .await;
        }
    };
    let request = Request {
        query: planned.query.clone(),
        allow_writes: ctx.shared.plan.allow_writes,
        timeout: planned.timeout,
        cancel: token.clone(),
        cleanup: ctx.shared.plan.cleanup.clone(),
    };
    let mut sink = RowSink::reporting(
        ctx.limits.clone(),
        ctx.shared.events_tx.clone(),
        ctx.shared.generation,
        index,
        ctx.start,
    );
    let outcome = run_to_outcome(&ctx, source.as_ref(), &request, &mut sink).await;
    // The source's future is gone by now; tell its cleanup (if any) that the run was cut off.
    if outcome != Outcome::Ok {
        token.cancel();
    }
    timing.finished = ctx.start.elapsed();
    timing.first_row = sink.first_row();
    let rows = sink.rows();
    let report = SourceReport {
        warnings: sink.warnings(),
        ..report(outcome, rows, timing)
    };
    finish(&ctx, report, sink.into_batches()).await
}

/// Runs `source` once under the source's timeout and the gather's token. A panic in the
/// source's code is caught here, so the source still ends in one outcome with its timing and
/// the watcher hears of it (the panic hook logs where it happened).
async fn run_to_outcome(
    ctx: &TaskCtx,
    source: &dyn Source,
    request: &Request,
    sink: &mut RowSink,
) -> Outcome {
    let timeout = ctx.shared.plan.sources[ctx.index].timeout;
    let run = std::panic::AssertUnwindSafe(source.run(request, sink)).catch_unwind();
    tokio::select! {
        biased;
        result = run => match result {
            Err(payload) => panicked(&*payload).into(),
            Ok(Ok(())) => Outcome::Ok,
            // A source that saw the cancel itself and gave up with an error was cut off: the
            // cancel is the cause, not the error.
            Ok(Err(_)) if request.cancel.is_cancelled() => ctx.shared.stopped_outcome(),
            Ok(Err(e)) => e.into(),
        },
        () = request.cancel.cancelled() => ctx.shared.stopped_outcome(),
        () = tokio::time::sleep(timeout) => {
            Outcome::Timeout { limit: timeout, cause: TimeoutCause::Source }
        }
    }
}

async fn finish(
    ctx: &TaskCtx,
    report: SourceReport,
    batches: Vec<RecordBatch>,
) -> (SourceReport, Vec<RecordBatch>) {
    tracing::debug!(
        generation = ctx.shared.generation,
        source = %report.name,
        state = report.outcome.state().as_str(),
        rows = report.rows,
        latency_ms = report.timing.latency().as_millis() as u64,
        "source finished"
    );
    let kept = if report.outcome == Outcome::Ok {
        batches
    } else {
        Vec::new()
    };
    ctx.shared
        .emit(EventKind::Finished {
            report: report.clone(),
            batches: kept.clone(),
        })
        .await;
    (report, kept)
}

/// The error of a source whose code panicked: a bug in scatter, said as such.
pub(super) fn panicked(payload: &(dyn std::any::Any + Send)) -> SourceError {
    SourceError::Failed(format!(
        "internal error (a bug in scatter): {}; the log has where it happened",
        crate::logging::panic_message(payload)
    ))
}
