//! The virtual-time scheduler: what the engine would have done with sources that behave as
//! recorded, under other limits. Pure computation over durations, no clock and no sleeping:
//! sources are queued in order, take a concurrency slot when one frees, end when their
//! behaviour says or when their timeout or the deadline cuts them off, and `fail-fast`
//! cancels the rest at the first failure, as the engine does (`crate::engine`).
//!
//! What is assumed of a source:
//! - a source that ended by itself (`ok` or `error`) `after` its start ends the same way the
//!   same time after its start, wherever that start falls;
//! - a source that was cut off (timeout, deadline, cancelled) had run `ran` and was still
//!   running: under a limit no longer than `ran` it is cut off again (known); under a longer
//!   one its outcome is unknown. While unknown it holds its slot until its limit (the worst
//!   case for the sources queued behind it) and does not trigger `fail-fast`.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, VecDeque};
use std::time::Duration;

use crate::config::Mode;

/// Tokio's timers fire on a millisecond grain: a source seen running until within this of a
/// limit counts as having reached it.
pub const TIMER_GRAIN: Duration = Duration::from_millis(1);

/// What a source is known to do once started.
#[derive(Debug, Clone, PartialEq)]
pub enum Behaviour {
    /// Not run (disabled in the config), with the reason.
    Skipped(String),
    /// Ends by itself `after` its start.
    Ends {
        /// Time from start to end.
        after: Duration,
        /// How it ends.
        end: End,
    },
    /// Was cut off after running `ran`; later than that, nothing is known.
    AtLeast {
        /// How long it was seen running.
        ran: Duration,
    },
}

/// How a source that ends by itself ends.
#[derive(Debug, Clone, PartialEq)]
pub enum End {
    /// With its rows.
    Ok,
    /// With this error.
    Error {
        /// The message.
        message: String,
        /// Whether a retry could help.
        transient: bool,
    },
}

/// One source to schedule.
#[derive(Debug, Clone, PartialEq)]
pub struct Task {
    /// What it does.
    pub behaviour: Behaviour,
    /// Its time limit.
    pub timeout: Duration,
}

/// The gather-wide limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GatherLimits {
    /// The whole gather's limit.
    pub deadline: Option<Duration>,
    /// Sources at once; 0 = all.
    pub concurrency: usize,
    /// `partial` or `fail-fast`.
    pub mode: Mode,
}

/// How a source's run ends (the engine's outcomes, plus not knowing).
#[derive(Debug, Clone, PartialEq)]
pub enum Fate {
    /// Ended with its rows.
    Ok,
    /// Failed.
    Error {
        /// The message.
        message: String,
        /// Whether a retry could help.
        transient: bool,
    },
    /// Cut off by a limit.
    Timeout {
        /// The limit.
        limit: Duration,
        /// The gather's deadline rather than the source's timeout.
        by_deadline: bool,
    },
    /// Cancelled, with the reason as the engine words it.
    Cancelled(String),
    /// Not run.
    Skipped(String),
    /// The recording does not say: the source ran at least `ran` and the limit was longer.
    Unknown {
        /// How long it was seen running.
        ran: Duration,
        /// The limit it would have had.
        limit: Duration,
    },
}

impl Fate {
    /// An error or a timeout: what `fail-fast` reacts to.
    #[must_use]
    pub fn is_failure(&self) -> bool {
        matches!(self, Self::Error { .. } | Self::Timeout { .. })
    }
}

/// One source's replayed run.
#[derive(Debug, Clone, PartialEq)]
pub struct Run {
    /// Got a slot, if it did.
    pub started: Option<Duration>,
    /// Ended (for an unknown outcome: when its slot was given back, the worst case).
    pub finished: Duration,
    /// How.
    pub fate: Fate,
}

impl Run {
    /// Start to end; zero if it never started.
    #[must_use]
    pub fn latency(&self) -> Duration {
        self.started
            .map_or(Duration::ZERO, |s| self.finished.saturating_sub(s))
    }
}

/// A whole replayed gather.
#[derive(Debug, Clone, PartialEq)]
pub struct Schedule {
    /// One run per task, in task order.
    pub runs: Vec<Run>,
    /// When the last source ended.
    pub elapsed: Duration,
    /// `fail-fast` stopped it.
    pub aborted: bool,
}

/// Replays `tasks` under `limits`, queued in `order` (indices into `tasks`; the engine's
/// queue is first come, first served). `names` words a `fail-fast` cancel.
///
/// # Panics
///
/// If `order` does not hold every index of `tasks`.
#[must_use]
pub fn schedule(tasks: &[Task], order: &[usize], limits: GatherLimits, names: &[&str]) -> Schedule {
    let mut runs: Vec<Option<Run>> = vec![None; tasks.len()];
    let mut queue = VecDeque::new();
    for &i in order {
        match &tasks[i].behaviour {
            Behaviour::Skipped(why) => {
                runs[i] = Some(Run {
                    started: None,
                    finished: Duration::ZERO,
                    fate: Fate::Skipped(why.clone()),
                });
            }
            _ => queue.push_back(i),
        }
    }
    let slots = if limits.concurrency == 0 {
        usize::MAX
    } else {
        limits.concurrency
    };
    // Running sources by the time they give their slot back (then by index, for ties).
    let mut running: BinaryHeap<Reverse<(Duration, usize)>> = BinaryHeap::new();
    let mut started = vec![Duration::ZERO; tasks.len()];
    let mut now = Duration::ZERO;
    let mut aborted = false;
    loop {
        while running.len() < slots
            && let Some(i) = queue.pop_front()
        {
            started[i] = now;
            running.push(Reverse((now + hold(&tasks[i]), i)));
        }
        let Some(&Reverse((end, i))) = running.peek() else {
            break;
        };
        if let Some(deadline) = limits.deadline
            && end > deadline
        {
            now = deadline;
            for Reverse((_, j)) in running.drain() {
                let fate =
                    cut_at_deadline(&tasks[j], deadline.saturating_sub(started[j]), deadline);
                runs[j] = Some(Run {
                    started: Some(started[j]),
                    finished: deadline,
                    fate,
                });
            }
            let fate = Fate::Timeout {
                limit: deadline,
                by_deadline: true,
            };
            stop_queued(&mut runs, &mut queue, now, &fate);
            break;
        }
        running.pop();
        now = end;
        let fate = ended(&tasks[i]);
        let is_failure = fate.is_failure();
        runs[i] = Some(Run {
            started: Some(started[i]),
            finished: end,
            fate,
        });
        if limits.mode == Mode::FailFast && is_failure {
            aborted = true;
            let fate = Fate::Cancelled(format!("fail-fast: {} failed", names[i]));
            for Reverse((_, j)) in running.drain() {
                runs[j] = Some(Run {
                    started: Some(started[j]),
                    finished: now,
                    fate: fate.clone(),
                });
            }
            stop_queued(&mut runs, &mut queue, now, &fate);
            break;
        }
    }
    let runs: Vec<Run> = runs
        .into_iter()
        .map(|r| r.expect("`order` holds every task"))
        .collect();
    let elapsed = runs.iter().map(|r| r.finished).max().unwrap_or_default();
    Schedule {
        runs,
        elapsed,
        aborted,
    }
}

/// How long a started task keeps its slot: until it ends or its timeout; a task whose end is
/// unknown, until its timeout (the worst case).
fn hold(task: &Task) -> Duration {
    match &task.behaviour {
        Behaviour::Ends { after, .. } => (*after).min(task.timeout),
        Behaviour::AtLeast { .. } | Behaviour::Skipped(_) => task.timeout,
    }
}

/// The fate of a task that gave its slot back before the deadline.
fn ended(task: &Task) -> Fate {
    let timeout = Fate::Timeout {
        limit: task.timeout,
        by_deadline: false,
    };
    match &task.behaviour {
        // At a tie the source's answer wins, as in the engine's biased select.
        Behaviour::Ends { after, .. } if *after > task.timeout => timeout,
        Behaviour::Ends { end: End::Ok, .. } => Fate::Ok,
        Behaviour::Ends {
            end: End::Error { message, transient },
            ..
        } => Fate::Error {
            message: message.clone(),
            transient: *transient,
        },
        Behaviour::AtLeast { ran } if task.timeout <= *ran + TIMER_GRAIN => timeout,
        Behaviour::AtLeast { ran } => Fate::Unknown {
            ran: *ran,
            limit: task.timeout,
        },
        Behaviour::Skipped(why) => Fate::Skipped(why.clone()),
    }
}

/// The fate of a task still running when the deadline passed, `ran` after its start.
fn cut_at_deadline(task: &Task, ran: Duration, deadline: Duration) -> Fate {
    match &task.behaviour {
        Behaviour::AtLeast { ran: seen } if ran > *seen + TIMER_GRAIN => Fate::Unknown {
            ran: *seen,
            limit: ran,
        },
        _ => Fate::Timeout {
            limit: deadline,
            by_deadline: true,
        },
    }
}

/// Every task still queued ends at `now` with `fate`, never started.
fn stop_queued(runs: &mut [Option<Run>], queue: &mut VecDeque<usize>, now: Duration, fate: &Fate) {
    for j in queue.drain(..) {
        runs[j] = Some(Run {
            started: None,
            finished: now,
            fate: fate.clone(),
        });
    }
}

#[cfg(test)]
mod tests;
