//! The clock and the engine from the app's side: each tick (notices fade, the table and the
//! sources index are rebuilt when due, watch mode's next run) and each engine event of the
//! current run (older runs' events are dropped, a paused display keeps them for later).

use std::time::{Duration, Instant};

use super::{App, DEFAULT_WATCH, HISTORY, NOTICE_FOR, state_rank};
use crate::event::{Event, EventKind};
use crate::source::State;
use crate::tui::action::Effect;

impl App {
    pub(super) fn tick(&mut self, now: Instant) -> Option<Effect> {
        if self.is_paused {
            return None;
        }
        self.now = now;
        self.refresh_fleet_if_due(now);
        if self
            .notice
            .as_ref()
            .is_some_and(|n| now.saturating_duration_since(n.at) > NOTICE_FOR)
        {
            self.notice = None;
        }
        if self.rebuilds.is_due(now) {
            return self.request_rebuild();
        }
        let watch_due = self.next_run.is_some_and(|t| now >= t);
        // A run that needs a yes waits until no question is open and no line is being edited.
        let may_ask = self.mode.is_normal() || !self.allow_writes();
        if self.is_watching && watch_due && !self.is_running && may_ask {
            self.next_run = None;
            return self.request_run();
        }
        None
    }

    pub(super) fn on_engine(&mut self, event: Event) -> Option<Effect> {
        if event.generation != self.generation {
            self.stale_dropped += 1;
            return None;
        }
        if self.is_paused {
            self.backlog.push(event);
            return None;
        }
        let generation = event.generation;
        self.fleet_refresh.is_dirty = true;
        match event.kind {
            EventKind::Queued { source, at } => self.sources[source].queued = Some(at),
            EventKind::Started { source, at } => {
                self.sources[source].started = Some(at);
                self.set_state(source, State::Running);
            }
            EventKind::FirstRow { source, at } => self.sources[source].first_row = Some(at),
            EventKind::Rows { source, rows } => {
                let s = &mut self.sources[source];
                if !s.state.is_final() {
                    s.rows = rows;
                }
            }
            EventKind::Finished { report, batches } => {
                let index = report.index;
                let before = self.sources[index].state;
                self.sources[index].finish(report, batches, generation);
                self.count_change(before, self.sources[index].state);
                self.rebuilds.mark_dirty();
            }
            EventKind::GatherFinished { elapsed, .. } => return self.gather_finished(elapsed),
        }
        None
    }

    /// The run is over: its final table is built at once (not throttled).
    fn gather_finished(&mut self, elapsed: Duration) -> Option<Effect> {
        self.is_running = false;
        self.runs += 1;
        self.last_elapsed = elapsed;
        self.refresh_fleet();
        if let Some(p99) = self.stats.percentile(99) {
            self.run_p99.push_back(p99);
            while self.run_p99.len() > HISTORY {
                self.run_p99.pop_front();
            }
        }
        if self.is_watching {
            self.next_run = Some(self.now + self.watch.unwrap_or(DEFAULT_WATCH));
        }
        self.rebuilds.mark_final();
        self.request_rebuild()
    }

    /// Puts source `i` in `state`, keeping the counts by state.
    fn set_state(&mut self, i: usize, state: State) {
        let before = std::mem::replace(&mut self.sources[i].state, state);
        self.count_change(before, state);
    }

    /// One source went from `before` to `after`.
    fn count_change(&mut self, before: State, after: State) {
        self.state_counts[state_rank(before)] -= 1;
        self.state_counts[state_rank(after)] += 1;
    }
}
