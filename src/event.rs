//! Engine events: what the engine tells its watcher (the dashboard, the headless progress
//! line) while a gather runs. Every event carries the generation of the gather that sent it,
//! so a watcher drops what belongs to a run it has since replaced.

use std::time::Duration;

use arrow_array::RecordBatch;

use crate::source::SourceReport;

/// One event from the gather numbered `generation`.
#[derive(Debug, Clone)]
pub struct Event {
    /// Which gather sent it; a re-run uses a higher number.
    pub generation: u64,
    /// What happened.
    pub kind: EventKind,
}

/// What happened. Times are offsets from the start of the gather. `source` is the source's
/// index in the plan.
#[derive(Debug, Clone)]
pub enum EventKind {
    /// The source is waiting for a concurrency slot.
    Queued {
        /// Source index.
        source: usize,
        /// When.
        at: Duration,
    },
    /// The source got a slot and started.
    Started {
        /// Source index.
        source: usize,
        /// When.
        at: Duration,
    },
    /// The source's first row arrived (not sent when the event channel is full; the
    /// `Finished` report carries the same time).
    FirstRow {
        /// Source index.
        source: usize,
        /// When.
        at: Duration,
    },
    /// Rows received so far (throttled, and dropped when the channel is full; `Finished` has
    /// the final count).
    Rows {
        /// Source index.
        source: usize,
        /// Rows so far.
        rows: u64,
    },
    /// The source is done: its outcome, timing, rows and the batches themselves.
    Finished {
        /// The report.
        report: SourceReport,
        /// The rows it produced (cheap clones of shared buffers).
        batches: Vec<RecordBatch>,
    },
    /// Every source is done.
    GatherFinished {
        /// Wall time of the whole gather.
        elapsed: Duration,
        /// `fail-fast` stopped the gather: its result is not to be used (as
        /// [`GatherResult::aborted`](crate::engine::GatherResult::aborted)).
        aborted: bool,
    },
}
