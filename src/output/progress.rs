//! The live progress line on stderr while a headless gather runs (only when stderr is a
//! terminal): sources done of total, by state, rows so far, elapsed. Erased before the result
//! prints.

use std::io::Write;
use std::time::Duration;

use tokio::sync::mpsc;
use tokio::time::Instant;

use crate::event::{Event, EventKind};
use crate::source::State;

/// Least time between two redraws: smooth to the eye, negligible work.
const REDRAW_EVERY: Duration = Duration::from_millis(100);

/// Events taken from the channel at a time: one wake-up per batch, not per event.
const DRAIN: usize = 256;

/// Counts from the event stream, drawn as one line. Kept up to date per event in O(1), so a
/// redraw costs the same at 10,000 sources as at 10.
#[derive(Debug)]
pub struct ProgressLine {
    total: usize,
    /// Each source's state and rows, to correct the counts when it changes.
    states: Vec<State>,
    rows: Vec<u64>,
    /// Sources per state, in [`State::ALL`] order.
    counts: [usize; State::ALL.len()],
    rows_total: u64,
    start: Instant,
    draw: bool,
}

fn slot(state: State) -> usize {
    State::ALL
        .iter()
        .position(|s| *s == state)
        .expect("ALL holds every state")
}

impl ProgressLine {
    /// A line for `total` sources; it draws only when `draw` (stderr is a terminal).
    #[must_use]
    pub fn new(total: usize, draw: bool) -> Self {
        let mut counts = [0; State::ALL.len()];
        counts[slot(State::Pending)] = total;
        Self {
            total,
            states: vec![State::Pending; total],
            rows: vec![0; total],
            counts,
            rows_total: 0,
            start: Instant::now(),
            draw,
        }
    }

    /// Consumes `events_rx` until every sender is gone, redrawing at most every
    /// [`REDRAW_EVERY`].
    pub async fn run(mut self, mut events_rx: mpsc::Receiver<Event>) {
        let mut last = None::<Instant>;
        let mut tick = tokio::time::interval(REDRAW_EVERY);
        let mut events = Vec::with_capacity(DRAIN);
        loop {
            tokio::select! {
                n = events_rx.recv_many(&mut events, DRAIN) => {
                    if n == 0 {
                        break;
                    }
                    for e in events.drain(..) {
                        self.apply(&e);
                    }
                }
                _ = tick.tick() => {}
            }
            if self.draw && last.is_none_or(|t| t.elapsed() >= REDRAW_EVERY) {
                self.redraw();
                last = Some(Instant::now());
            }
        }
        if self.draw {
            Self::erase();
        }
    }

    fn set(&mut self, source: usize, state: Option<State>, rows: u64) {
        if let Some(state) = state {
            self.counts[slot(self.states[source])] -= 1;
            self.counts[slot(state)] += 1;
            self.states[source] = state;
        }
        self.rows_total = self.rows_total - self.rows[source] + rows;
        self.rows[source] = rows;
    }

    fn apply(&mut self, e: &Event) {
        match &e.kind {
            EventKind::Started { source, .. } => {
                self.set(*source, Some(State::Running), self.rows[*source]);
            }
            EventKind::Rows { source, rows } => self.set(*source, None, *rows),
            EventKind::Finished { report, .. } => {
                self.set(report.index, Some(report.outcome.state()), report.rows);
            }
            _ => {}
        }
    }

    /// The text of the line.
    #[must_use]
    pub fn text(&self) -> String {
        let done: usize = State::ALL
            .iter()
            .zip(self.counts)
            .filter(|(s, _)| s.is_final())
            .map(|(_, n)| n)
            .sum();
        let parts: Vec<String> = State::ALL
            .iter()
            .zip(self.counts)
            .filter(|(_, n)| *n > 0)
            .map(|(s, n)| format!("{} {n}", s.as_str()))
            .collect();
        format!(
            "scatter: {done}/{} sources · {} · {} rows · {:.1} s",
            self.total,
            parts.join(" · "),
            self.rows_total,
            self.start.elapsed().as_secs_f64()
        )
    }

    fn redraw(&self) {
        let mut err = std::io::stderr().lock();
        let _ = write!(err, "\r\x1b[2K{}", self.text());
        let _ = err.flush();
    }

    fn erase() {
        let mut err = std::io::stderr().lock();
        let _ = write!(err, "\r\x1b[2K");
        let _ = err.flush();
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::source::{SourceError, SourceReport, Timing};

    fn event(kind: EventKind) -> Event {
        Event {
            generation: 1,
            kind,
        }
    }

    #[test]
    fn counts_states_and_rows_from_events() {
        let mut line = ProgressLine::new(3, false);
        line.apply(&event(EventKind::Started {
            source: 0,
            at: Duration::ZERO,
        }));
        line.apply(&event(EventKind::Started {
            source: 1,
            at: Duration::ZERO,
        }));
        line.apply(&event(EventKind::Rows {
            source: 0,
            rows: 40,
        }));
        let report = SourceReport {
            index: 1,
            name: "b".into(),
            kind: "sim",
            outcome: SourceError::Failed("x".into()).into(),
            rows: 0,
            timing: Timing::default(),
            warnings: Vec::new(),
            attempts: Vec::new(),
        };
        line.apply(&event(EventKind::Finished {
            report,
            batches: Vec::new(),
        }));
        let text = line.text();
        assert!(
            text.starts_with("scatter: 1/3 sources · pending 1 · running 1 · error 1 · 40 rows · "),
            "{text}"
        );
    }
}
