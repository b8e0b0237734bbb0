//! [`RowSink`]: where a source pushes its batches. It counts rows, enforces the row caps and
//! tells the watcher about the first row and the rows so far.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use arrow_array::RecordBatch;
use tokio::sync::mpsc;
use tokio::time::Instant;

use super::SourceError;
use crate::event::{Event, EventKind};

/// Least time between two `Rows` events from one source: fast enough to look live, slow
/// enough that a source streaming a million rows sends a handful of events, not thousands.
const PROGRESS_EVERY: Duration = Duration::from_millis(50);

/// Row caps shared by all the sinks of one gather.
#[derive(Debug, Clone)]
pub struct SinkLimits {
    /// Most rows one source may produce.
    pub per_source: usize,
    /// Most rows all sources together may produce.
    pub total: usize,
    /// Rows produced so far by all sources of the gather.
    pub used: Arc<AtomicUsize>,
}

impl SinkLimits {
    /// Fresh limits with nothing used.
    #[must_use]
    pub fn new(per_source: usize, total: usize) -> Self {
        Self {
            per_source,
            total,
            used: Arc::new(AtomicUsize::new(0)),
        }
    }
}

/// Who to tell about progress.
#[derive(Debug)]
struct Progress {
    /// The gather's event channel; sent to with `try_send`, so a slow watcher never slows a
    /// source (these events are advisory, `Finished` carries the truth).
    events_tx: mpsc::Sender<Event>,
    generation: u64,
    source: usize,
    start: Instant,
    last_sent: Option<Instant>,
}

/// Collects one source's batches during one run.
#[derive(Debug)]
pub struct RowSink {
    batches: Vec<RecordBatch>,
    rows: u64,
    first_row: Option<Duration>,
    start: Instant,
    limits: SinkLimits,
    progress: Option<Progress>,
}

impl RowSink {
    /// A sink that reports nothing (tests, tools).
    #[must_use]
    pub fn detached(limits: SinkLimits) -> Self {
        Self {
            batches: Vec::new(),
            rows: 0,
            first_row: None,
            start: Instant::now(),
            limits,
            progress: None,
        }
    }

    /// A sink that reports progress of `source` in gather `generation` to `events_tx`.
    #[must_use]
    pub fn reporting(
        limits: SinkLimits,
        events_tx: mpsc::Sender<Event>,
        generation: u64,
        source: usize,
        start: Instant,
    ) -> Self {
        let progress = Progress {
            events_tx,
            generation,
            source,
            start,
            last_sent: None,
        };
        Self {
            start,
            progress: Some(progress),
            ..Self::detached(limits)
        }
    }

    /// Adds a batch. Fails when a row cap is exceeded; rows before the cap are kept.
    pub fn push(&mut self, batch: RecordBatch) -> Result<(), SourceError> {
        let n = batch.num_rows();
        if self.rows as usize + n > self.limits.per_source {
            return Err(SourceError::SourceCap {
                cap: self.limits.per_source,
            });
        }
        let before = self.limits.used.fetch_add(n, Ordering::Relaxed);
        if before + n > self.limits.total {
            self.limits.used.fetch_sub(n, Ordering::Relaxed);
            return Err(SourceError::TotalCap {
                cap: self.limits.total,
            });
        }
        self.batches.push(batch);
        if n > 0 {
            self.rows += n as u64;
            self.report(n);
        }
        Ok(())
    }

    fn report(&mut self, added: usize) {
        let now = Instant::now();
        let first = self.first_row.is_none() && added > 0;
        if first {
            self.first_row = Some(now - self.start);
        }
        let Some(p) = self.progress.as_mut() else {
            return;
        };
        let send = |kind| {
            let _ = p.events_tx.try_send(Event {
                generation: p.generation,
                kind,
            });
        };
        if first {
            send(EventKind::FirstRow {
                source: p.source,
                at: now - p.start,
            });
        }
        if p.last_sent.is_none_or(|t| now - t >= PROGRESS_EVERY) {
            send(EventKind::Rows {
                source: p.source,
                rows: self.rows,
            });
            p.last_sent = Some(now);
        }
    }

    /// Rows so far.
    #[must_use]
    pub fn rows(&self) -> u64 {
        self.rows
    }

    /// When the first row arrived, from the start of the gather.
    #[must_use]
    pub fn first_row(&self) -> Option<Duration> {
        self.first_row
    }

    /// The batches collected.
    #[must_use]
    pub fn into_batches(self) -> Vec<RecordBatch> {
        self.batches
    }
}
