//! One source's task within a gather: wait for a slot, make its attempts (see `attempt.rs`)
//! under the timeout and the gather's token, and report exactly one outcome.

use std::sync::Arc;

use arrow_array::RecordBatch;
use tokio::sync::Semaphore;
use tokio::time::Instant;

use super::hedge::HedgeBudget;
use super::{Shared, attempt};
use crate::event::EventKind;
use crate::source::{Outcome, SinkLimits, SourceError, SourceReport, Timing};

/// What a source task is given.
pub(super) struct TaskCtx {
    pub shared: Shared,
    pub index: usize,
    /// When the gather started; event times are offsets from it.
    pub start: Instant,
    /// The concurrency limit; `None` = unlimited. A permit is held while the source runs.
    pub slots: Option<Arc<Semaphore>>,
    pub limits: SinkLimits,
    /// The hedges the run may still send, shared by its sources.
    pub budget: Arc<HedgeBudget>,
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
        attempts: Vec::new(),
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

    let attempted = attempt::run(&ctx, &token).await;
    // The attempts' futures are gone by now; tell the source's cleanup (if any) that the run
    // was cut off.
    if attempted.outcome != Outcome::Ok {
        token.cancel();
    }
    timing.finished = ctx.start.elapsed();
    let (rows, warnings, batches) = match attempted.sink {
        Some(sink) => {
            timing.first_row = sink.first_row();
            (sink.rows(), sink.warnings(), sink.into_batches())
        }
        None => (0, Vec::new(), Vec::new()),
    };
    let report = SourceReport {
        warnings,
        attempts: attempted.attempts,
        ..report(attempted.outcome, rows, timing)
    };
    finish(&ctx, report, batches).await
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
