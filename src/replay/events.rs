//! A replayed gather as the dashboard sees a live one: a configuration and a plan with the
//! recorded sources (never run), and the engine events of the replayed run.

use std::sync::Arc;
use std::time::Duration;

use super::Replay;
use super::schedule::{Fate, Run};
use crate::config::{Config, GatherSettings, KindSpec, SimSpec, SourceSpec};
use crate::engine::{Plan, PlannedSource};
use crate::event::{Event, EventKind};
use crate::source::{CancelReason, Outcome, SourceError, SourceReport, TimeoutCause, Timing};

/// The kinds a recording can name, as the `&'static str` a report holds.
const KINDS: [&str; 9] = [
    "postgres", "mysql", "sqlite", "redis", "mongodb", "http", "command", "file", "sim",
];

/// The configuration and plan the dashboard shows a replay with. The sources are the
/// recording's names and kinds; none can run (the dashboard only reads names, kinds, limits
/// and queries from them; a run is the replay's events, see [`events`]), and each one's
/// spec is a placeholder that is never built.
#[must_use]
pub fn plan(r: &Replay) -> (Config, Plan) {
    let settings = GatherSettings {
        timeout: r.limits.timeout,
        deadline: r.limits.deadline,
        concurrency: r.limits.concurrency,
        mode: r.limits.mode,
        ..GatherSettings::default()
    };
    let not_run = Arc::new(SourceError::Failed(format!(
        "replayed from {} (run {}); a replay does not query the source",
        r.path.display(),
        r.recorded.line
    )));
    let sources: Vec<PlannedSource> = r
        .recorded
        .sources
        .iter()
        .zip(&r.timeouts)
        .map(|(s, &timeout)| PlannedSource {
            query: r.recorded.query.clone(),
            ..PlannedSource::single(
                s.name.clone(),
                kind(&s.kind),
                timeout,
                Err(Arc::clone(&not_run)),
            )
        })
        .collect();
    let specs = r.recorded.sources.iter().map(placeholder).collect();
    let config = Config {
        path: r.path.clone(),
        query: Some(r.recorded.query.clone()),
        allow_writes: false,
        gather: settings.clone(),
        merge: crate::merge::MergeSpec::default(),
        sql: None,
        sources: specs,
    };
    let plan = Plan {
        sources,
        settings,
        allow_writes: false,
        cleanup: tokio_util::task::TaskTracker::new(),
        columns: None,
    };
    (config, plan)
}

/// A spec that names the source and is never built.
fn placeholder(s: &super::RecordedSource) -> SourceSpec {
    SourceSpec {
        name: s.name.clone(),
        kind: KindSpec::Sim(SimSpec {
            latency: (Duration::ZERO, Duration::ZERO),
            rows: 0,
            error: None,
            fail: 0.0,
            hang: false,
            panic: None,
            seed: None,
            tail: 0.0,
            tail_latency: Duration::ZERO,
        }),
        timeout: Some(s.timeout),
        query: None,
        tags: Vec::new(),
        enabled: true,
        replicas: Vec::new(),
        attempts: crate::config::AttemptSpec::default(),
    }
}

fn kind(name: &str) -> &'static str {
    KINDS.into_iter().find(|k| *k == name).unwrap_or("other")
}

/// The replayed run as gather `generation`'s events, in time order: each source queued at
/// the start, started when it got its slot, finished with its replayed outcome; then the
/// gather's end. An unknown outcome shows as `skipped` with what the recording cannot say.
#[must_use]
pub fn events(r: &Replay, generation: u64) -> Vec<Event> {
    let mut timed: Vec<(Duration, u8, EventKind)> = Vec::new();
    for (index, (s, run)) in r.recorded.sources.iter().zip(&r.replayed.runs).enumerate() {
        if !matches!(run.fate, Fate::Skipped(_)) {
            timed.push((
                Duration::ZERO,
                0,
                EventKind::Queued {
                    source: index,
                    at: Duration::ZERO,
                },
            ));
        }
        if let Some(at) = run.started {
            timed.push((at, 1, EventKind::Started { source: index, at }));
        }
        let report = SourceReport {
            index,
            name: s.name.clone(),
            kind: kind(&s.kind),
            outcome: outcome(run),
            rows: if run.fate == Fate::Ok { s.rows } else { 0 },
            timing: Timing {
                queued: Duration::ZERO,
                started: run.started,
                first_row: None,
                finished: run.finished,
            },
            warnings: Vec::new(),
            attempts: Vec::new(),
        };
        timed.push((
            run.finished,
            2,
            EventKind::Finished {
                report,
                batches: Vec::new(),
            },
        ));
    }
    timed.sort_by_key(|(at, order, _)| (*at, *order));
    let mut events: Vec<Event> = timed
        .into_iter()
        .map(|(_, _, kind)| Event { generation, kind })
        .collect();
    events.push(Event {
        generation,
        kind: EventKind::GatherFinished {
            elapsed: r.replayed.elapsed,
            aborted: r.replayed.aborted,
        },
    });
    events
}

fn outcome(run: &Run) -> Outcome {
    match &run.fate {
        Fate::Ok => Outcome::Ok,
        Fate::Error { message, transient } => Outcome::from(if *transient {
            SourceError::transient(message.clone())
        } else {
            SourceError::Failed(message.clone())
        }),
        Fate::Timeout { limit, by_deadline } => Outcome::Timeout {
            limit: *limit,
            cause: if *by_deadline {
                TimeoutCause::Deadline
            } else {
                TimeoutCause::Source
            },
        },
        Fate::Cancelled(m) => match m
            .strip_prefix("fail-fast: ")
            .and_then(|m| m.strip_suffix(" failed"))
        {
            Some(by) => Outcome::Cancelled(CancelReason::FailFast { by: by.to_owned() }),
            None => Outcome::Skipped(format!("cancelled in the recording: {m}")),
        },
        Fate::Skipped(m) => Outcome::Skipped(m.clone()),
        unknown @ Fate::Unknown { .. } => {
            Outcome::Skipped(format!("unknown: {}", unknown.note().unwrap_or_default()))
        }
    }
}
