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
