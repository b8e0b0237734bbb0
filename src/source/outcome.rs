//! How a source's run ended, and the report the engine keeps for it.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use super::{Attempt, AttemptKind, SourceError};

/// Why a source was cancelled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CancelReason {
    /// The user cancelled the gather (Esc, Ctrl-C).
    User,
    /// `fail-fast`: another source failed first.
    FailFast {
        /// The source whose failure cancelled the rest.
        by: String,
    },
    /// A newer run replaced this one.
    Superseded,
    /// The program is exiting.
    Shutdown,
    /// Another attempt of the same source answered first (a hedge or the request it hedged):
    /// only ever the outcome of an attempt, never of a source.
    Lost,
}

impl fmt::Display for CancelReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::User => f.write_str("cancelled by user"),
            Self::FailFast { by } => write!(f, "fail-fast: {by} failed"),
            Self::Superseded => f.write_str("superseded by a newer run"),
            Self::Shutdown => f.write_str("shutting down"),
            Self::Lost => f.write_str("another attempt answered first"),
        }
    }
}

/// Which limit a timeout hit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeoutCause {
    /// The source's own `timeout`.
    Source,
    /// The gather's `deadline`.
    Deadline,
}

/// How a source's run ended: exactly one per source per gather.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// Finished; the rows (possibly none) are in the result.
    Ok,
    /// Failed with this error, shared so that the outcome is cheap to clone into events; its
    /// `Display` is the message and it says whether a retry could help
    /// ([`SourceError::is_transient`]).
    Error(Arc<SourceError>),
    /// Ran out of time.
    Timeout {
        /// The limit that was hit.
        limit: Duration,
        /// Whose limit it was.
        cause: TimeoutCause,
    },
    /// Stopped before it finished.
    Cancelled(CancelReason),
    /// Not run (disabled in the config).
    Skipped(String),
}

impl Outcome {
    /// The state this outcome shows as.
    #[must_use]
    pub fn state(&self) -> State {
        match self {
            Self::Ok => State::Ok,
            Self::Error(_) => State::Error,
            Self::Timeout { .. } => State::Timeout,
            Self::Cancelled(_) => State::Cancelled,
            Self::Skipped(_) => State::Skipped,
        }
    }

    /// Errors and timeouts: what `fail-fast` reacts to and exit code 3 counts.
    #[must_use]
    pub fn is_failure(&self) -> bool {
        matches!(self, Self::Error(_) | Self::Timeout { .. })
    }

    /// The message shown next to the state; `None` for `ok`.
    #[must_use]
    pub fn message(&self) -> Option<String> {
        match self {
            Self::Ok => None,
            Self::Error(e) => Some(e.to_string()),
            Self::Skipped(m) => Some(m.clone()),
            Self::Timeout { limit, cause } => Some(format!(
                "{} {}",
                match cause {
                    TimeoutCause::Source => "timeout",
                    TimeoutCause::Deadline => "deadline",
                },
                humantime::format_duration(*limit)
            )),
            Self::Cancelled(reason) => Some(reason.to_string()),
        }
    }
}

impl From<SourceError> for Outcome {
    fn from(e: SourceError) -> Self {
        Self::Error(Arc::new(e))
    }
}

/// A source's state as the dashboard and the JSON output name it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum State {
    /// Queued behind the concurrency limit.
    Pending,
    /// Running.
    Running,
    /// Finished with rows (or none).
    Ok,
    /// Failed.
    Error,
    /// Ran out of time.
    Timeout,
    /// Cancelled.
    Cancelled,
    /// Not run.
    Skipped,
}

impl State {
    /// Every state, in display order.
    pub const ALL: [Self; 7] = [
        Self::Pending,
        Self::Running,
        Self::Ok,
        Self::Error,
        Self::Timeout,
        Self::Cancelled,
        Self::Skipped,
    ];

    /// The machine-readable name (`ok`, `error`, `timeout`, ...).
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Running => "running",
            Self::Ok => "ok",
            Self::Error => "error",
            Self::Timeout => "timeout",
            Self::Cancelled => "cancelled",
            Self::Skipped => "skipped",
        }
    }

    /// Whether the source is done for this run.
    #[must_use]
    pub fn is_final(self) -> bool {
        !matches!(self, Self::Pending | Self::Running)
    }
}

/// When things happened to a source, as offsets from the start of the gather.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Timing {
    /// Queued (always at the start).
    pub queued: Duration,
    /// Got a concurrency slot and started; `None` if it never started.
    pub started: Option<Duration>,
    /// First row arrived.
    pub first_row: Option<Duration>,
    /// Finished (any outcome).
    pub finished: Duration,
}

impl Timing {
    /// Time from start to finish; zero if it never started.
    #[must_use]
    pub fn latency(&self) -> Duration {
        self.started
            .map_or(Duration::ZERO, |s| self.finished.saturating_sub(s))
    }
}

/// What the engine records for one source in one gather.
#[derive(Debug, Clone, PartialEq)]
pub struct SourceReport {
    /// Position of the source in the plan.
    pub index: usize,
    /// The source's name.
    pub name: String,
    /// Its kind (`sim`, `postgres`, ...).
    pub kind: &'static str,
    /// How it ended.
    pub outcome: Outcome,
    /// Rows it produced (also for a source cut off midway: what arrived before).
    pub rows: u64,
    /// When things happened.
    pub timing: Timing,
    /// What the user should know about its rows though it succeeded (a renamed column, a
    /// value that could not be kept as it was), once per distinct message.
    pub warnings: Vec<String>,
    /// Every attempt the source made, in the order they were sent; empty when it made none
    /// (skipped, cancelled while queued, could not be built).
    pub attempts: Vec<Attempt>,
}

impl SourceReport {
    /// The attempt whose rows are the source's: the one that succeeded (the others were cut
    /// off when it did); `None` when none did.
    #[must_use]
    pub fn winner(&self) -> Option<usize> {
        self.attempts.iter().position(|a| a.outcome == Outcome::Ok)
    }

    /// How many attempts were of `kind`.
    #[must_use]
    pub fn count(&self, kind: AttemptKind) -> usize {
        self.attempts.iter().filter(|a| a.kind == kind).count()
    }
}
