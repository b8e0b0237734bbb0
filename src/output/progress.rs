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

/// Counts from the event stream, drawn as one line.
#[derive(Debug)]
pub struct ProgressLine {
    total: usize,
    states: Vec<State>,
    rows: Vec<u64>,
    start: Instant,
    draw: bool,
}

impl ProgressLine {
    /// A line for `total` sources; it draws only when `draw` (stderr is a terminal).
    #[must_use]
    pub fn new(total: usize, draw: bool) -> Self {
        Self {
            total,
            states: vec![State::Pending; total],
            rows: vec![0; total],
            start: Instant::now(),
            draw,
        }
    }

    /// Consumes `events_rx` until every sender is gone, redrawing as events arrive.
    pub async fn run(mut self, mut events_rx: mpsc::Receiver<Event>) {
        let mut last = None::<Instant>;
        let mut tick = tokio::time::interval(REDRAW_EVERY);
        loop {
            tokio::select! {
                event = events_rx.recv() => match event {
                    Some(e) => self.apply(&e),
                    None => break,
                },
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

    fn apply(&mut self, e: &Event) {
        match &e.kind {
            EventKind::Started { source, .. } => self.states[*source] = State::Running,
            EventKind::Rows { source, rows } => self.rows[*source] = *rows,
            EventKind::Finished { report, .. } => {
                self.states[report.index] = report.outcome.state();
                self.rows[report.index] = report.rows;
            }
            _ => {}
        }
    }

    /// The text of the line.
    #[must_use]
    pub fn text(&self) -> String {
        let done = self.states.iter().filter(|s| s.is_final()).count();
        let mut parts = Vec::new();
        for s in State::ALL {
            let n = self.states.iter().filter(|x| **x == s).count();
            if n > 0 {
                parts.push(format!("{} {n}", s.as_str()));
            }
        }
        format!(
            "scatter: {done}/{} sources · {} · {} rows · {:.1} s",
            self.total,
            parts.join(" · "),
            self.rows.iter().sum::<u64>(),
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
