//! [`RowSink`]: where a source pushes its batches. It counts rows, enforces the row caps,
//! gives every column a name of its own ([`names`](super::names)), collects the source's
//! warnings and tells the watcher about the first row and the rows so far.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use arrow_array::{RecordBatch, RecordBatchOptions};
use arrow_schema::{Field, Schema};
use tokio::sync::mpsc;
use tokio::time::Instant;

use super::{SourceError, names};
use crate::event::{Event, EventKind};

/// Least time between two `Rows` events from one source: fast enough to look live, slow
/// enough that a source streaming a million rows sends a handful of events, not thousands.
const PROGRESS_EVERY: Duration = Duration::from_millis(50);

/// Most warnings kept for one source in one run: enough for every renamed column of a wide
/// result; past it, one last line says more were dropped, so a source cannot fill memory with
/// them.
const MAX_WARNINGS: usize = 50;

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
    warnings: Vec<String>,
    /// Warnings came past [`MAX_WARNINGS`] and were dropped.
    warnings_dropped: bool,
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
            warnings: Vec::new(),
            warnings_dropped: false,
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

    /// Adds a batch. Fails when a row cap is exceeded; rows before the cap are kept. Columns
    /// whose name repeats, is empty or is `_source` are renamed, with a warning.
    pub fn push(&mut self, batch: RecordBatch) -> Result<(), SourceError> {
        let batch = self.named(batch)?;
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

    /// `batch` with a name of its own for every column.
    fn named(&mut self, batch: RecordBatch) -> Result<RecordBatch, SourceError> {
        let schema = batch.schema();
        let given: Vec<&str> = schema.fields().iter().map(|f| f.name().as_str()).collect();
        let Some((renamed, warnings)) = names::unique(&given) else {
            return Ok(batch);
        };
        for w in warnings {
            self.warn(w);
        }
        let fields: Vec<Field> = schema
            .fields()
            .iter()
            .zip(renamed)
            .map(|(f, name)| f.as_ref().clone().with_name(name))
            .collect();
        let schema = Arc::new(Schema::new_with_metadata(fields, schema.metadata().clone()));
        let (_, columns, rows) = batch.into_parts();
        let options = RecordBatchOptions::new().with_row_count(Some(rows));
        Ok(RecordBatch::try_new_with_options(
            schema, columns, &options,
        )?)
    }

    /// Records a warning for this run (once per distinct message): something the user should
    /// know about the rows, though the source succeeded.
    pub fn warn(&mut self, message: impl Into<String>) {
        let message = message.into();
        if self.warnings.contains(&message) {
            return;
        }
        if self.warnings.len() < MAX_WARNINGS {
            self.warnings.push(message);
        } else {
            self.warnings_dropped = true;
        }
    }

    /// The warnings recorded so far, with a last line when some were dropped.
    #[must_use]
    pub fn warnings(&self) -> Vec<String> {
        let mut out = self.warnings.clone();
        if self.warnings_dropped {
            out.push(format!(
                "more warnings after these {MAX_WARNINGS} were dropped"
            ));
        }
        out
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

    /// Drops the rows collected and gives them back to the gather's total cap: they are not
    /// kept (an attempt that lost to another, or whose rows another attempt's replace).
    pub fn discard(self) {
        self.limits
            .used
            .fetch_sub(self.rows as usize, Ordering::Relaxed);
    }

    /// The batches collected.
    #[must_use]
    pub fn into_batches(self) -> Vec<RecordBatch> {
        self.batches
    }
}

/// Runs `produce` on a blocking thread and pushes the batches it hands over into `sink` as
/// they come. The producer stops early when the sink refuses a batch (row cap) or this future
/// is dropped: its next hand-over then returns `false`. `what` names it if its thread fails.
pub async fn push_blocking(
    sink: &mut RowSink,
    what: &'static str,
    produce: impl FnOnce(&mut dyn FnMut(RecordBatch) -> bool) -> Result<(), SourceError>
    + Send
    + 'static,
) -> Result<(), SourceError> {
    // Producer thread -> this future. Small: the producer runs at most a few batches ahead.
    // Dropping the receiver (cancel, cap) makes the producer's next send fail, which stops it.
    let (batch_tx, mut batch_rx) = mpsc::channel::<RecordBatch>(4);
    let producer = tokio::task::spawn_blocking(move || {
        produce(&mut |batch| batch_tx.blocking_send(batch).is_ok())
    });
    while let Some(batch) = batch_rx.recv().await {
        sink.push(batch)?;
    }
    producer
        .await
        .map_err(|e| SourceError::Failed(format!("{what} failed: {e}")))?
}

#[cfg(test)]
mod tests {
    use arrow_array::{ArrayRef, Int64Array};

    use super::*;

    fn batch(names: &[&str]) -> RecordBatch {
        let fields: Vec<Field> = names
            .iter()
            .map(|n| Field::new(*n, arrow_schema::DataType::Int64, true))
            .collect();
        let columns: Vec<ArrayRef> = (0..names.len())
            .map(|i| Arc::new(Int64Array::from(vec![i as i64])) as ArrayRef)
            .collect();
        RecordBatch::try_new(Arc::new(Schema::new(fields)), columns).unwrap()
    }

    #[test]
    fn repeated_names_are_renamed_once_per_run_with_a_warning() {
        let mut sink = RowSink::detached(SinkLimits::new(100, 100));
        sink.push(batch(&["a", "a"])).unwrap();
        sink.push(batch(&["a", "a"])).unwrap();
        sink.push(batch(&["b"])).unwrap();
        assert_eq!(
            sink.warnings(),
            ["column 2 repeats the name \"a\": shown as \"a_2\""]
        );
        let batches = sink.into_batches();
        let schema = batches[1].schema();
        let names: Vec<&str> = schema.fields().iter().map(|f| f.name().as_str()).collect();
        assert_eq!(names, ["a", "a_2"]);
        let second = batches[1].column(1).as_any().downcast_ref::<Int64Array>();
        assert_eq!(second.unwrap().value(0), 1, "the values keep their places");
    }

    #[test]
    fn warnings_past_the_limit_are_dropped_and_said_so() {
        let mut sink = RowSink::detached(SinkLimits::new(100, 100));
        for i in 0..MAX_WARNINGS + 3 {
            sink.warn(format!("w{i}"));
            sink.warn(format!("w{i}"));
        }
        let w = sink.warnings();
        assert_eq!(w.len(), MAX_WARNINGS + 1);
        assert_eq!(
            w.last().unwrap(),
            "more warnings after these 50 were dropped"
        );
    }
}
