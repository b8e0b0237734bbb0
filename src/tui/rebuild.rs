//! Re-merging the table off the event loop. Merging and sorting a million rows takes most of
//! a second, so the app asks the loop to run a [`RebuildJob`] on a blocking thread and gets
//! the [`Rebuilt`] table back as an action; meanwhile the old table stays on screen and keys
//! keep working. [`Rebuilds`] is the bookkeeping: at most one job at a time, throttled while
//! sources finish, the final table of a run fingerprinted, and results of jobs asked for
//! before the rows were discarded dropped.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::{Duration, Instant};

use arrow_array::RecordBatch;
use arrow_schema::ArrowError;

use crate::merge::MergeSpec;
use crate::tui::view::TableView;

mod sql;

pub use sql::{SqlJob, SqlRebuilt};

/// Least time between two rebuilds of the table while sources finish: a few per second looks
/// live, and with a thousand sources finishing it merges a few times instead of a thousand.
pub const REBUILD_EVERY: Duration = Duration::from_millis(250);

/// Everything a merge needs, owned (batches are cheap clones of shared buffers).
#[derive(Debug, Clone)]
pub struct RebuildJob {
    /// Which request this is (see [`Rebuilds::begin`]).
    ticket: Ticket,
    /// Each source's name and rows.
    inputs: Vec<(String, Vec<RecordBatch>)>,
    /// Sort, dedupe and limit.
    spec: MergeSpec,
    /// The filter to apply.
    filter: String,
    /// The SQL step to run over the merged rows, if there is one.
    sql: Option<SqlJob>,
}

/// A finished [`RebuildJob`].
#[derive(Debug)]
pub struct Rebuilt {
    ticket: Ticket,
    /// The sort and filter it was built with (the user may have changed them since).
    pub spec: MergeSpec,
    /// The filter it was built with.
    pub filter: String,
    /// The table, and for a run's final table its rows' fingerprints; or why the merge failed.
    pub result: Result<(TableView, Option<HashSet<u64>>), ArrowError>,
    /// The SQL step's table, when the job had a step and the merge worked.
    pub sql: Option<SqlRebuilt>,
}

impl Rebuilt {
    /// Whether this is a run's final table.
    #[must_use]
    pub fn is_final(&self) -> bool {
        self.ticket.is_final
    }
}

/// What [`Rebuilds::begin`] hands a job: its number, whether it is the run's final table, and
/// the previous run's fingerprints to mark changed rows against.
#[derive(Debug, Clone)]
pub struct Ticket {
    seq: u64,
    is_final: bool,
    previous: Option<Arc<HashSet<u64>>>,
    /// The previous run's SQL rows' fingerprints.
    previous_sql: Option<Arc<HashSet<u64>>>,
}

impl RebuildJob {
    /// A merge of `inputs` by `spec`, filtered by `filter`, under `ticket`.
    #[must_use]
    pub fn new(
        ticket: Ticket,
        inputs: Vec<(String, Vec<RecordBatch>)>,
        spec: MergeSpec,
        filter: String,
    ) -> Self {
        Self {
            ticket,
            inputs,
            spec,
            filter,
            sql: None,
        }
    }

    /// The same job, running `sql` over the merged rows too.
    #[must_use]
    pub fn with_sql(mut self, sql: Option<SqlJob>) -> Self {
        self.sql = sql;
        self
    }

    /// [`Self::run`], with a panic caught: the table then fails to rebuild with the panic's
    /// message (the panic hook logged where), instead of never landing and leaving the app
    /// waiting for it.
    #[must_use]
    pub fn run_caught(self) -> Rebuilt {
        let (ticket, spec, filter) = (self.ticket.clone(), self.spec.clone(), self.filter.clone());
        caught(ticket, spec, filter, || self.run())
    }

    /// Merges, sorts, filters and marks the rows (slow: run it off the event loop).
    #[must_use]
    pub fn run(self) -> Rebuilt {
        let inputs: Vec<(&str, &[RecordBatch])> = self
            .inputs
            .iter()
            .map(|(n, b)| (n.as_str(), b.as_slice()))
            .collect();
        let ticket = self.ticket;
        let result = TableView::build(&inputs, &self.spec, &self.filter)
            .and_then(|table| marked(table, ticket.previous.as_deref(), ticket.is_final));
        let sql = match (&self.sql, &result) {
            (Some(job), Ok((table, _))) => Some(job.run(table, &inputs, &self.spec, &ticket)),
            _ => None,
        };
        Rebuilt {
            ticket,
            spec: self.spec,
            filter: self.filter,
            result,
            sql,
        }
    }
}

/// `table` with the rows not in `previous` marked, and its fingerprints when it is a run's
/// final table.
fn marked(
    mut table: TableView,
    previous: Option<&HashSet<u64>>,
    is_final: bool,
) -> Result<(TableView, Option<HashSet<u64>>), ArrowError> {
    if let Some(previous) = previous {
        table.mark_changed(previous)?;
    }
    let fingerprints = if is_final {
        Some(table.fingerprints()?)
    } else {
        None
    };
    Ok((table, fingerprints))
}

/// What `build` returns, or, when it panics, a failed rebuild for `ticket` saying so.
fn caught(
    ticket: Ticket,
    spec: MergeSpec,
    filter: String,
    build: impl FnOnce() -> Rebuilt,
) -> Rebuilt {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(build)).unwrap_or_else(|payload| {
        Rebuilt {
            ticket,
            spec,
            filter,
            result: Err(ArrowError::ComputeError(format!(
                "internal error (a bug in scatter): {}; the log has where it happened",
                crate::logging::panic_message(&*payload)
            ))),
            sql: None,
        }
    })
}

/// The table's rebuild bookkeeping, owned by the app.
#[derive(Debug, Default)]
pub struct Rebuilds {
    /// Sources finished (or the sort or filter of a large table changed) since the last job.
    dirty: bool,
    /// When the last job was asked for.
    last: Option<Instant>,
    /// A job runs off the loop; no other is asked for until it lands.
    in_flight: bool,
    /// Number of the last job asked for.
    seq: u64,
    /// Jobs up to this number were asked for before the rows were discarded.
    discard_through: u64,
    /// A run ended: the next job is its final table (and fingerprints it).
    final_pending: bool,
    /// Fingerprints of the previous run's rows (watch mode's changed mark).
    previous_rows: Option<Arc<HashSet<u64>>>,
    /// The same for the SQL step's rows.
    previous_sql: Option<Arc<HashSet<u64>>>,
}

impl Rebuilds {
    /// The rows changed: a rebuild is wanted (throttled).
    pub fn mark_dirty(&mut self) {
        self.dirty = true;
    }

    /// A run ended: the next rebuild is its final table, wanted at once.
    pub fn mark_final(&mut self) {
        self.final_pending = true;
        self.dirty = true;
    }

    /// Whether a throttled rebuild should start at `now`.
    #[must_use]
    pub fn is_due(&self, now: Instant) -> bool {
        let throttled = self
            .last
            .is_some_and(|t| now.saturating_duration_since(t) < REBUILD_EVERY);
        self.dirty && !throttled && !self.in_flight
    }

    /// Whether the table on screen is about to change (a rebuild is wanted or running).
    #[must_use]
    pub fn is_busy(&self) -> bool {
        self.dirty || self.in_flight
    }

    /// Starts a job at `now`, unless one is running (it is asked again when that one lands).
    pub fn begin(&mut self, now: Instant) -> Option<Ticket> {
        if self.in_flight {
            return None;
        }
        self.in_flight = true;
        self.dirty = false;
        self.last = Some(now);
        self.seq += 1;
        Some(Ticket {
            seq: self.seq,
            is_final: std::mem::take(&mut self.final_pending),
            previous: self.previous_rows.clone(),
            previous_sql: self.previous_sql.clone(),
        })
    }

    /// A job landed; `false` when its rows were discarded meanwhile (drop it).
    pub fn land(&mut self, rebuilt: &Rebuilt) -> bool {
        self.in_flight = false;
        rebuilt.ticket.seq > self.discard_through
    }

    /// Keeps a final table's fingerprints for the next run's changed marks.
    pub fn remember(&mut self, fingerprints: HashSet<u64>) {
        self.previous_rows = Some(Arc::new(fingerprints));
    }

    /// Keeps a final SQL table's fingerprints for the next run's changed marks.
    pub fn remember_sql(&mut self, fingerprints: HashSet<u64>) {
        self.previous_sql = Some(Arc::new(fingerprints));
    }

    /// The SQL step changed: its rows of the previous run are no baseline for the next.
    pub fn forget_sql(&mut self) {
        self.previous_sql = None;
    }

    /// Whether a run ended while the last job was built (its final table is still wanted).
    #[must_use]
    pub fn is_final_pending(&self) -> bool {
        self.final_pending
    }

    /// The rows are gone (the query changed): drop the baseline, what is wanted, and the result
    /// of any job in flight.
    pub fn discard(&mut self) {
        self.previous_rows = None;
        self.previous_sql = None;
        self.dirty = false;
        self.final_pending = false;
        self.discard_through = self.seq;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn landed(ticket: Ticket) -> Rebuilt {
        RebuildJob::new(ticket, Vec::new(), MergeSpec::default(), String::new()).run()
    }

    #[test]
    fn a_rebuild_that_panics_lands_as_a_failure_and_frees_the_slot() {
        let mut r = Rebuilds::default();
        r.mark_dirty();
        let ticket = r.begin(Instant::now()).unwrap();
        let rebuilt = caught(ticket, MergeSpec::default(), String::new(), || {
            panic!("index out of bounds")
        });
        let message = rebuilt.result.as_ref().map(|_| ()).unwrap_err().to_string();
        assert!(message.contains("internal error (a bug in scatter): index out of bounds"));
        assert!(r.land(&rebuilt));
        assert!(!r.is_busy(), "the next rebuild may start");
    }

    #[test]
    fn one_job_at_a_time_throttled_and_dropped_after_a_discard() {
        let t0 = Instant::now();
        let mut r = Rebuilds::default();
        assert!(!r.is_due(t0), "nothing to rebuild");
        r.mark_dirty();
        assert!(r.is_due(t0));
        let first = r.begin(t0).unwrap();
        assert!(r.begin(t0).is_none(), "one at a time");
        r.mark_dirty();
        assert!(!r.is_due(t0 + REBUILD_EVERY), "not while one runs");
        assert!(r.land(&landed(first)));
        assert!(!r.is_due(t0 + REBUILD_EVERY / 2), "throttled");
        assert!(r.is_due(t0 + REBUILD_EVERY));
        let second = r.begin(t0 + REBUILD_EVERY).unwrap();
        r.discard();
        assert!(!r.land(&landed(second)), "asked for before the discard");
        assert!(!r.is_busy());
    }

    #[test]
    fn the_final_table_is_fingerprinted_once() {
        let mut r = Rebuilds::default();
        r.mark_final();
        let ticket = r.begin(Instant::now()).unwrap();
        assert!(ticket.is_final && !r.is_final_pending());
        let rebuilt = landed(ticket);
        assert!(rebuilt.is_final());
        assert!(matches!(rebuilt.result, Ok((_, Some(_)))));
    }
}
