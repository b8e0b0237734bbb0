//! Recording gathers the dashboard watches through their events: the reports of each run are
//! collected as its sources finish, and the run becomes a line when its last event arrives.

use std::collections::HashMap;
use std::sync::Arc;

use super::{RecordError, Recorder};
use crate::engine::{GatherResult, Plan};
use crate::event::{Event, EventKind};
use crate::source::SourceReport;

/// A run started and not finished yet.
struct Run {
    plan: Arc<Plan>,
    query: String,
    reports: Vec<Option<SourceReport>>,
}

/// Records every run of the dashboard, superseded runs included (each is a gather that ran,
/// with its cancelled sources), from the events the event loop receives.
pub struct WatchedRecorder {
    recorder: Recorder,
    /// Runs started and not yet recorded, by generation.
    runs: HashMap<u64, Run>,
}

impl WatchedRecorder {
    /// Records to `recorder`.
    #[must_use]
    pub fn new(recorder: Recorder) -> Self {
        Self {
            recorder,
            runs: HashMap::new(),
        }
    }

    /// Gather `generation` of `plan`, with `query` as its default query, has started.
    pub fn started(&mut self, generation: u64, plan: Arc<Plan>, query: &str) {
        let reports = vec![None; plan.sources.len()];
        self.runs.insert(
            generation,
            Run {
                plan,
                query: query.to_owned(),
                reports,
            },
        );
    }

    /// Takes note of `event`; at the end of a gather, appends its line.
    pub fn observe(&mut self, event: &Event) -> Result<(), RecordError> {
        match &event.kind {
            EventKind::Finished { report, .. } => {
                if let Some(run) = self.runs.get_mut(&event.generation)
                    && let Some(slot) = run.reports.get_mut(report.index)
                {
                    *slot = Some(report.clone());
                }
                Ok(())
            }
            EventKind::GatherFinished { elapsed, aborted } => {
                let Some(run) = self.runs.remove(&event.generation) else {
                    return Ok(());
                };
                let n = run.reports.len();
                let reports: Vec<SourceReport> = run.reports.into_iter().flatten().collect();
                if reports.len() < n {
                    tracing::warn!(
                        generation = event.generation,
                        "a run's reports are missing; not recorded"
                    );
                    return Ok(());
                }
                let result = GatherResult {
                    generation: event.generation,
                    elapsed: *elapsed,
                    reports,
                    batches: vec![Vec::new(); n],
                    aborted: *aborted,
                };
                self.recorder.write(&run.plan, &run.query, &result)
            }
            _ => Ok(()),
        }
    }

    /// A gather's result obtained by joining it (the last run, at quit, whose end the event
    /// loop no longer watched); recorded unless its end event was.
    pub fn joined(&mut self, result: &GatherResult) -> Result<(), RecordError> {
        match self.runs.remove(&result.generation) {
            Some(run) => self.recorder.write(&run.plan, &run.query, result),
            None => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::engine::PlannedSource;
    use crate::source::{Outcome, SourceError, Timing};

    fn plan(n: usize) -> Arc<Plan> {
        let sources = (0..n)
            .map(|i| PlannedSource {
                query: "q".into(),
                ..PlannedSource::single(
                    format!("s{i}"),
                    "sim",
                    Duration::from_secs(1),
                    Err(Arc::new(SourceError::Failed("not built".into()))),
                )
            })
            .collect();
        Arc::new(Plan {
            sources,
            settings: crate::config::GatherSettings::default(),
            allow_writes: false,
            cleanup: tokio_util::task::TaskTracker::new(),
            columns: None,
        })
    }

    fn finished(generation: u64, index: usize) -> Event {
        Event {
            generation,
            kind: EventKind::Finished {
                report: SourceReport {
                    index,
                    name: format!("s{index}"),
                    kind: "sim",
                    outcome: Outcome::Ok,
                    rows: 1,
                    timing: Timing::default(),
                    warnings: Vec::new(),
                    attempts: Vec::new(),
                },
                batches: Vec::new(),
            },
        }
    }

    fn done(generation: u64) -> Event {
        Event {
            generation,
            kind: EventKind::GatherFinished {
                elapsed: Duration::from_millis(5),
                aborted: false,
            },
        }
    }

    #[test]
    fn every_run_is_a_line_when_it_ends_superseded_runs_included() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("rec.jsonl");
        let mut r = WatchedRecorder::new(Recorder::open(&path).unwrap());
        r.started(1, plan(2), "first");
        r.observe(&finished(1, 0)).unwrap();
        // Run 2 replaces run 1 before run 1's second source is done.
        r.started(2, plan(2), "second");
        r.observe(&finished(2, 1)).unwrap();
        r.observe(&finished(1, 1)).unwrap();
        r.observe(&done(1)).unwrap();
        r.observe(&finished(2, 0)).unwrap();
        r.observe(&done(2)).unwrap();
        // A run whose end was never seen is recorded from its joined result, once.
        r.started(3, plan(1), "third");
        let result = GatherResult {
            generation: 3,
            elapsed: Duration::ZERO,
            reports: Vec::new(),
            batches: Vec::new(),
            aborted: false,
        };
        r.joined(&result).unwrap();
        r.joined(&result).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        let lines: Vec<serde_json::Value> = text
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        let queries: Vec<&str> = lines.iter().map(|l| l["query"].as_str().unwrap()).collect();
        assert_eq!(queries, ["first", "second", "third"]);
        assert_eq!(lines[0]["sources"][1]["name"], "s1");
        assert_eq!(lines[1]["generation"], 2);
    }
}
