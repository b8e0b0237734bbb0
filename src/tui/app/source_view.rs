//! One source as the dashboard tracks it: this run's state, times and rows, and the history
//! of its recent runs (for the sparkline and p50/p95 in watch mode).

use std::collections::VecDeque;
use std::time::Duration;

use arrow_array::RecordBatch;

use crate::engine::PlannedSource;
use crate::source::{Attempt, Outcome, SourceReport, State};

/// Runs kept per source for the sparkline, p50/p95 and the details panel.
pub const HISTORY: usize = 20;

/// One finished run of a source.
#[derive(Debug, Clone, PartialEq)]
pub struct RunRecord {
    /// The run's generation.
    pub generation: u64,
    /// How it ended.
    pub state: State,
    /// Start to finish.
    pub latency: Duration,
    /// Rows produced.
    pub rows: u64,
}

/// A source in the dashboard.
#[derive(Debug, Clone)]
pub struct SourceView {
    /// Its name.
    pub name: String,
    /// Its kind.
    pub kind: &'static str,
    /// Its tags (from the config), for the name-or-tag filter and grouping.
    pub tags: Vec<String>,
    /// The query it runs this run.
    pub query: String,
    /// Where it reads from (`Source::describe`, passwords already redacted), or why it could
    /// not be built.
    pub describe: String,
    /// Its time limit.
    pub timeout: Duration,
    /// This run's state.
    pub state: State,
    /// Offsets from the start of this run.
    pub queued: Option<Duration>,
    /// Got a slot.
    pub started: Option<Duration>,
    /// First row arrived.
    pub first_row: Option<Duration>,
    /// Finished.
    pub finished: Option<Duration>,
    /// Rows so far (live while streaming, final once finished).
    pub rows: u64,
    /// How this run ended; `None` while it runs.
    pub outcome: Option<Outcome>,
    /// This run's warnings (renamed columns, values not kept as they were).
    pub warnings: Vec<String>,
    /// This run's attempts (first, retries, hedges), once it finished.
    pub attempts: Vec<Attempt>,
    /// The rows of the latest run that produced any result, for the table.
    pub batches: Vec<RecordBatch>,
    /// Recent finished runs, oldest first.
    pub history: VecDeque<RunRecord>,
}

impl SourceView {
    /// A source of the plan, before any run.
    #[must_use]
    pub fn new(planned: &PlannedSource) -> Self {
        Self {
            name: planned.name.clone(),
            kind: planned.kind,
            tags: Vec::new(),
            query: planned.query.clone(),
            describe: match &planned.source {
                Ok(source) => source.describe(),
                Err(message) => format!("not available: {message}"),
            },
            timeout: planned.timeout,
            state: State::Pending,
            queued: None,
            started: None,
            first_row: None,
            finished: None,
            rows: 0,
            outcome: None,
            warnings: Vec::new(),
            attempts: Vec::new(),
            batches: Vec::new(),
            history: VecDeque::new(),
        }
    }

    /// Back to pending for a new run; the previous run's rows stay until this one finishes.
    pub fn reset(&mut self, query: &str) {
        query.clone_into(&mut self.query);
        self.state = State::Pending;
        self.queued = None;
        self.started = None;
        self.first_row = None;
        self.finished = None;
        self.rows = 0;
        self.outcome = None;
        self.warnings.clear();
        self.attempts.clear();
    }

    /// Applies the source's final report and rows.
    pub fn finish(&mut self, report: SourceReport, batches: Vec<RecordBatch>, generation: u64) {
        self.state = report.outcome.state();
        self.queued = Some(report.timing.queued);
        self.started = report.timing.started;
        self.first_row = report.timing.first_row;
        self.finished = Some(report.timing.finished);
        self.rows = report.rows;
        self.warnings = report.warnings;
        self.attempts = report.attempts;
        if report.outcome == Outcome::Ok {
            self.batches = batches;
        } else {
            self.batches.clear();
        }
        self.history.push_back(RunRecord {
            generation,
            state: self.state,
            latency: report.timing.latency(),
            rows: report.rows,
        });
        while self.history.len() > HISTORY {
            self.history.pop_front();
        }
        self.outcome = Some(report.outcome);
    }

    /// Start to finish, or start to `elapsed` while running; `None` before it starts.
    #[must_use]
    pub fn latency(&self, elapsed: Duration) -> Option<Duration> {
        let started = self.started?;
        Some(self.finished.unwrap_or(elapsed).saturating_sub(started))
    }

    /// The message next to the state (error text, timeout limit, cancel reason).
    #[must_use]
    pub fn message(&self) -> Option<String> {
        self.outcome.as_ref().and_then(Outcome::message)
    }

    /// Latencies of the recent runs that finished `ok`, oldest first.
    #[must_use]
    pub fn ok_latencies(&self) -> Vec<Duration> {
        self.history
            .iter()
            .filter(|r| r.state == State::Ok)
            .map(|r| r.latency)
            .collect()
    }

    /// The `p`-th percentile (0 to 100, nearest rank) of the recent `ok` latencies.
    #[must_use]
    pub fn percentile(&self, p: u32) -> Option<Duration> {
        percentile(&self.ok_latencies(), p)
    }
}

/// Nearest-rank percentile of `values`; `None` when empty.
#[must_use]
pub fn percentile(values: &[Duration], p: u32) -> Option<Duration> {
    if values.is_empty() {
        return None;
    }
    let mut sorted = values.to_vec();
    sorted.sort_unstable();
    percentile_sorted(&sorted, p)
}

/// Nearest-rank percentile of `sorted` (ascending); `None` when empty.
#[must_use]
pub fn percentile_sorted(sorted: &[Duration], p: u32) -> Option<Duration> {
    if sorted.is_empty() {
        return None;
    }
    let rank = (u64::from(p) * sorted.len() as u64).div_ceil(100).max(1) as usize;
    Some(sorted[rank.min(sorted.len()) - 1])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(v: &[u64]) -> Vec<Duration> {
        v.iter().map(|&m| Duration::from_millis(m)).collect()
    }

    #[test]
    fn percentiles_use_the_nearest_rank() {
        let v = ms(&[50, 10, 40, 20, 30]);
        assert_eq!(percentile(&v, 50), Some(Duration::from_millis(30)));
        assert_eq!(percentile(&v, 95), Some(Duration::from_millis(50)));
        assert_eq!(percentile(&v, 0), Some(Duration::from_millis(10)));
        assert_eq!(percentile(&[], 50), None);
    }
}
