//! `scatter replay FILE`: a recorded gather (`--record`) replayed under other limits in
//! virtual time, beside what did happen.
//!
//! - `file`: reading a recording, each line checked to be scatter's and whole;
//! - `schedule`: the virtual-time scheduler (pure: concurrency slots, timeouts, deadline,
//!   `fail-fast`) and what it assumes of sources whose recording ends early;
//! - `hedge`: what `--hedge-after` changes for a source, from its recorded attempts;
//! - `report`: the comparison as text and as JSON;
//! - `events`: a replayed gather as engine events, for the dashboard.

mod events;
pub mod file;
mod hedge;
mod report;
pub mod schedule;

use std::path::{Path, PathBuf};
use std::time::Duration;

pub use events::{events, plan};
pub use file::{Limits, LineError, RecordedRun, RecordedSource};
pub use hedge::Unhedged;
pub use report::{json, text};
pub use schedule::{Behaviour, End, Fate, GatherLimits, Run, Schedule, Task};

use crate::source::State;

/// A recording could not be replayed.
#[derive(Debug, thiserror::Error)]
pub enum ReplayError {
    /// The file could not be read.
    #[error("cannot read {}: {source}", path.display())]
    Read {
        /// The recording.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// A line is not a whole scatter recording.
    #[error("{}:{line}: {kind}", path.display())]
    Line {
        /// The recording.
        path: PathBuf,
        /// The line, 1-based.
        line: usize,
        /// What is wrong with it.
        #[source]
        kind: LineError,
    },
    /// The file holds no run.
    #[error("{}: no recorded run in the file (record one with --record)", path.display())]
    Empty {
        /// The recording.
        path: PathBuf,
    },
    /// `--run N` names no run of the file.
    #[error("{}: no run {run}: the file holds runs {}", path.display(), lines.join(", "))]
    NoRun {
        /// The recording.
        path: PathBuf,
        /// The run asked for.
        run: usize,
        /// The lines that hold runs.
        lines: Vec<String>,
    },
}

/// What to replay and under which limits; `None` keeps the recorded value.
#[derive(Debug, Clone, Default)]
pub struct Request {
    /// The run: its line in the file; `None` = the last.
    pub run: Option<usize>,
    /// Every source's timeout.
    pub timeout: Option<Duration>,
    /// The gather's deadline.
    pub deadline: Option<Duration>,
    /// Sources at once; 0 = all.
    pub concurrency: Option<usize>,
    /// `partial` or `fail-fast`.
    pub mode: Option<crate::config::Mode>,
    /// Send a hedge to the next replica after this long.
    pub hedge_after: Option<Duration>,
}

/// A recorded run and its replay.
#[derive(Debug, Clone)]
pub struct Replay {
    /// The recording it came from.
    pub path: PathBuf,
    /// The run as recorded.
    pub recorded: RecordedRun,
    /// The recorded run as a schedule (its own times and outcomes).
    pub as_recorded: Schedule,
    /// The limits replayed under.
    pub limits: Limits,
    /// Each source's timeout in the replay.
    pub timeouts: Vec<Duration>,
    /// The replayed run.
    pub replayed: Schedule,
    /// Sources whose hedging `--hedge-after` asked for but the recording cannot replay, with
    /// why.
    pub unhedged: Vec<(usize, Unhedged)>,
}

/// Reads the recording at `path` and replays the run `request` names under its limits.
pub fn replay(path: &Path, request: &Request) -> Result<Replay, ReplayError> {
    let mut runs = file::read(path)?;
    let index = match request.run {
        None => runs.len() - 1,
        Some(n) => runs
            .iter()
            .position(|r| r.line == n)
            .ok_or_else(|| ReplayError::NoRun {
                path: path.to_owned(),
                run: n,
                lines: runs.iter().map(|r| r.line.to_string()).collect(),
            })?,
    };
    let recorded = runs.swap_remove(index);
    Ok(replay_run(path, recorded, request))
}

/// Replays `recorded` under the limits of `request`.
#[must_use]
pub fn replay_run(path: &Path, recorded: RecordedRun, request: &Request) -> Replay {
    let limits = Limits {
        timeout: request.timeout.unwrap_or(recorded.limits.timeout),
        deadline: request.deadline.or(recorded.limits.deadline),
        concurrency: request.concurrency.unwrap_or(recorded.limits.concurrency),
        mode: request.mode.unwrap_or(recorded.limits.mode),
        hedge_after: request.hedge_after,
    };
    let mut unhedged = Vec::new();
    let tasks: Vec<Task> = recorded
        .sources
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let mut behaviour = behaviour(s);
            // A source whose first attempt answered before the hedge was due would not have
            // been hedged.
            let is_answered_by = |after: Duration| {
                s.attempts.len() <= 1
                    && matches!(behaviour, Behaviour::Ends { after: took, end: End::Ok } if took <= after)
            };
            let is_run = !matches!(behaviour, Behaviour::Skipped(_));
            if let Some(after) = limits.hedge_after
                && is_run
                && !is_answered_by(after)
            {
                match hedge::behaviour(s, after) {
                    Ok(b) => behaviour = b,
                    Err(why) => unhedged.push((i, why)),
                }
            }
            Task {
                behaviour,
                timeout: request.timeout.unwrap_or(s.timeout),
            }
        })
        .collect();
    let timeouts = tasks.iter().map(|t| t.timeout).collect();
    let names: Vec<&str> = recorded.sources.iter().map(|s| s.name.as_str()).collect();
    let gather = GatherLimits {
        deadline: limits.deadline,
        concurrency: limits.concurrency,
        mode: limits.mode,
    };
    let replayed = schedule::schedule(&tasks, &queue_order(&recorded), gather, &names);
    Replay {
        path: path.to_owned(),
        as_recorded: as_recorded(&recorded),
        recorded,
        limits,
        timeouts,
        replayed,
        unhedged,
    }
}

/// The order sources queue in. A recording under a concurrency limit says it: the order they
/// took their slots (the engine's queue is first come, first served, and tasks reach it in no
/// fixed order), those that never started last. Without a limit every source started at
/// once, and the order of those microseconds says nothing: plan order.
fn queue_order(run: &RecordedRun) -> Vec<usize> {
    let n = run.sources.len();
    let mut order: Vec<usize> = (0..n).collect();
    let limit = run.limits.concurrency;
    if limit > 0 && limit < n {
        order.sort_by_key(|&i| (run.sources[i].started.unwrap_or(Duration::MAX), i));
    }
    order
}

/// What a recorded source is known to do once started (see [`schedule`] for what is assumed).
#[must_use]
pub fn behaviour(s: &RecordedSource) -> Behaviour {
    let ran = s
        .started
        .map_or(Duration::ZERO, |t| s.finished.saturating_sub(t));
    match s.state {
        State::Ok => Behaviour::Ends {
            after: ran,
            end: End::Ok,
        },
        State::Error => Behaviour::Ends {
            after: ran,
            end: End::Error {
                message: s.error.clone().unwrap_or_default(),
                transient: s.transient.unwrap_or(false),
            },
        },
        State::Skipped => Behaviour::Skipped(s.error.clone().unwrap_or_default()),
        State::Timeout | State::Cancelled | State::Pending | State::Running => {
            Behaviour::AtLeast { ran }
        }
    }
}

/// The recorded run as a schedule, with the recorded times and outcomes.
fn as_recorded(run: &RecordedRun) -> Schedule {
    let runs = run
        .sources
        .iter()
        .map(|s| Run {
            started: s.started,
            finished: s.finished,
            fate: recorded_fate(s, &run.limits),
        })
        .collect();
    Schedule {
        runs,
        elapsed: run.elapsed,
        aborted: run.aborted,
    }
}

fn recorded_fate(s: &RecordedSource, limits: &Limits) -> Fate {
    let message = || s.error.clone().unwrap_or_default();
    match s.state {
        State::Ok => Fate::Ok,
        State::Error => Fate::Error {
            message: message(),
            transient: s.transient.unwrap_or(false),
        },
        State::Timeout => Fate::Timeout {
            limit: if s.by_deadline {
                limits.deadline.unwrap_or(s.timeout)
            } else {
                s.timeout
            },
            by_deadline: s.by_deadline,
        },
        State::Cancelled | State::Pending | State::Running => Fate::Cancelled(message()),
        State::Skipped => Fate::Skipped(message()),
    }
}
