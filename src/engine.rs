//! The scatter-gather engine: one task per source in a `JoinSet`, a semaphore for the
//! concurrency limit, a per-source timeout, a gather deadline, `partial` or `fail-fast`, and
//! events tagged with the gather's generation.
//!
//! Ownership: [`spawn`] returns a [`Gather`]; the task it starts owns the sources' tasks. The
//! gather ends when every source has an outcome. Cancelling (the user, a re-run, the deadline,
//! fail-fast) goes through one `CancellationToken` with a child per source; a cut-off source
//! still ends in a typed outcome (`timeout`, `cancelled`), never in silence.
//!
//! Within its slot a source may make several attempts (`attempt.rs`): retries after
//! transient errors, hedges to its replicas when it is slow (`hedge.rs`: backoff, hedge delay,
//! the run's hedge budget). It still ends in one outcome; its report lists the attempts.

mod attempt;
mod hedge;
mod plan;
mod task;

pub use hedge::LatencyHistory;
pub use plan::{Plan, PlannedSource, Replica};

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use arrow_array::RecordBatch;
use tokio::sync::{Semaphore, mpsc};
use tokio::task::JoinSet;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use crate::config::Mode;
use crate::event::{Event, EventKind};
use crate::source::{self, CancelReason, Outcome, SourceError, SourceReport, TimeoutCause, Timing};

/// Capacity of the event channel: room for a few events per source of a large gather, so
/// sources rarely wait on a busy watcher; progress events are dropped rather than waited for.
pub const EVENT_CHANNEL: usize = 8192;

/// The result of one gather.
#[derive(Debug, Clone)]
pub struct GatherResult {
    /// Which run this was.
    pub generation: u64,
    /// Wall time.
    pub elapsed: Duration,
    /// One report per source, in plan order.
    pub reports: Vec<SourceReport>,
    /// Batches per source, in plan order (empty for sources that produced none).
    pub batches: Vec<Vec<RecordBatch>>,
    /// `fail-fast` stopped the gather: the result is not to be used.
    pub aborted: bool,
}

/// A running gather.
pub struct Gather {
    /// Its generation.
    pub generation: u64,
    canceller: Canceller,
    /// The gather task; it owns the source tasks and ends when each has an outcome.
    handle: tokio::task::JoinHandle<GatherResult>,
}

/// Cancels a gather from anywhere; cheap to clone.
#[derive(Clone)]
pub struct Canceller {
    /// Parent of every source's token; cancelling it stops the whole gather.
    token: CancellationToken,
    /// Why the gather was stopped; set once, before `token` is cancelled, read by each source
    /// task to phrase its outcome.
    stop: Arc<OnceLock<Stop>>,
}

impl Canceller {
    /// Cancels every unfinished source with `reason` (the first reason given wins).
    pub fn cancel(&self, reason: CancelReason) {
        let _ = self.stop.set(Stop::Cancel(reason));
        self.token.cancel();
    }
}

impl Gather {
    /// Cancels every unfinished source with `reason` (the first reason given wins).
    pub fn cancel(&self, reason: CancelReason) {
        self.canceller.cancel(reason);
    }

    /// A handle that cancels this gather.
    #[must_use]
    pub fn canceller(&self) -> Canceller {
        self.canceller.clone()
    }

    /// Whether the gather is over.
    #[must_use]
    pub fn is_finished(&self) -> bool {
        self.handle.is_finished()
    }

    /// Waits for the result.
    ///
    /// # Panics
    ///
    /// If the gather task itself panicked (a source's panic is caught and reported as its
    /// error; this would be a bug in the engine).
    pub async fn join(self) -> GatherResult {
        self.handle.await.expect("the gather task does not panic")
    }
}

/// Starts gather number `generation` of `plan`, reporting to `events_tx`.
#[must_use]
pub fn spawn(plan: Arc<Plan>, generation: u64, events_tx: mpsc::Sender<Event>) -> Gather {
    let token = CancellationToken::new();
    let stop = Arc::new(OnceLock::new());
    let shared = Shared {
        plan,
        generation,
        events_tx,
        token: token.clone(),
        stop: Arc::clone(&stop),
    };
    let handle = tokio::spawn(run(shared));
    Gather {
        generation,
        canceller: Canceller { token, stop },
        handle,
    }
}

/// What the gather task and every source task share.
#[derive(Clone)]
struct Shared {
    plan: Arc<Plan>,
    generation: u64,
    /// Engine -> watcher. Lifecycle events are sent with `send().await` (a watcher that stopped
    /// receiving is ignored); progress events with `try_send`.
    events_tx: mpsc::Sender<Event>,
    /// The gather's token; each source task holds a child of it.
    token: CancellationToken,
    /// Why `token` was cancelled (see [`Gather`]).
    stop: Arc<OnceLock<Stop>>,
}

/// Why a gather was stopped before every source finished.
#[derive(Debug, Clone)]
enum Stop {
    /// Cancelled; unfinished sources end `cancelled` with this reason.
    Cancel(CancelReason),
    /// The deadline passed; unfinished sources end `timeout`.
    Deadline(Duration),
}

/// Stands in for "no deadline": far enough away never to fire.
const NO_DEADLINE: Duration = Duration::from_hours(24 * 365 * 100);

impl Shared {
    async fn emit(&self, kind: EventKind) {
        let _ = self
            .events_tx
            .send(Event {
                generation: self.generation,
                kind,
            })
            .await;
    }

    /// Stops the gather; the first stop wins.
    fn stop(&self, stop: Stop) {
        let _ = self.stop.set(stop);
        self.token.cancel();
    }

    /// The outcome of a source cut off by the gather's token.
    fn stopped_outcome(&self) -> Outcome {
        match self.stop.get() {
            Some(Stop::Deadline(limit)) => Outcome::Timeout {
                limit: *limit,
                cause: TimeoutCause::Deadline,
            },
            Some(Stop::Cancel(reason)) => Outcome::Cancelled(reason.clone()),
            None => Outcome::Cancelled(CancelReason::User),
        }
    }
}

async fn run(shared: Shared) -> GatherResult {
    let start = Instant::now();
    let settings = &shared.plan.settings;
    let n = shared.plan.sources.len();
    let slots = (settings.concurrency > 0).then(|| Arc::new(Semaphore::new(settings.concurrency)));
    let limits = source::SinkLimits::new(settings.max_rows_per_source, settings.max_rows);
    let enabled = shared.plan.sources.iter().filter(|s| s.enabled).count();
    let budget = Arc::new(hedge::HedgeBudget::for_run(
        settings.max_extra_load,
        enabled,
    ));
    let mut reports: Vec<Option<SourceReport>> = vec![None; n];
    let mut batches = vec![Vec::new(); n];
    let mut set = JoinSet::new();
    let mut ids = std::collections::HashMap::new();
    for index in 0..n {
        let ctx = task::TaskCtx {
            shared: shared.clone(),
            index,
            start,
            slots: slots.clone(),
            limits: limits.clone(),
            budget: Arc::clone(&budget),
        };
        let id = set.spawn(task::run_source(ctx)).id();
        ids.insert(id, index);
    }
    let deadline = tokio::time::sleep_until(start + settings.deadline.unwrap_or(NO_DEADLINE));
    tokio::pin!(deadline);
    let mut deadline_armed = settings.deadline.is_some();
    let mut aborted = false;
    loop {
        tokio::select! {
            joined = set.join_next_with_id() => {
                let Some(joined) = joined else { break };
                let (index, report, got) = match joined {
                    Ok((id, (report, got))) => (ids[&id], report, got),
                    Err(e) => {
                        let index = ids[&e.id()];
                        let report = panicked(&shared, index, start, e);
                        shared.emit(EventKind::Finished { report: report.clone(), batches: Vec::new() }).await;
                        (index, report, Vec::new())
                    }
                };
                let is_first_failure = report.outcome.is_failure() && !shared.token.is_cancelled();
                if settings.mode == Mode::FailFast && is_first_failure {
                    shared.stop(Stop::Cancel(CancelReason::FailFast { by: report.name.clone() }));
                    aborted = true;
                }
                if report.outcome == Outcome::Ok {
                    batches[index] = got;
                }
                reports[index] = Some(report);
            }
            () = &mut deadline, if deadline_armed => {
                deadline_armed = false;
                let limit = settings.deadline.unwrap_or_default();
                tracing::info!(generation = shared.generation, ?limit, "deadline passed");
                shared.stop(Stop::Deadline(limit));
            }
        }
    }
    let elapsed = start.elapsed();
    shared
        .emit(EventKind::GatherFinished { elapsed, aborted })
        .await;
    GatherResult {
        generation: shared.generation,
        elapsed,
        reports: reports
            .into_iter()
            .map(|r| r.expect("every source task reports"))
            .collect(),
        batches,
        aborted,
    }
}

/// The report for a source whose task panicked outside the source's own code (the source's
/// panics are caught in its task): an error, not a missing row.
fn panicked(
    shared: &Shared,
    index: usize,
    start: Instant,
    e: tokio::task::JoinError,
) -> SourceReport {
    let planned = &shared.plan.sources[index];
    tracing::error!(source = %planned.name, error = %e, "source task panicked");
    let outcome = match e.try_into_panic() {
        Ok(payload) => task::panicked(&*payload),
        Err(e) => SourceError::Failed(format!("internal error (a bug in scatter): {e}")),
    };
    SourceReport {
        index,
        name: planned.name.clone(),
        kind: planned.kind,
        outcome: outcome.into(),
        rows: 0,
        timing: Timing {
            finished: start.elapsed(),
            ..Timing::default()
        },
        warnings: Vec::new(),
        attempts: Vec::new(),
    }
}

#[cfg(test)]
mod tests;
