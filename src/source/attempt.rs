//! One try of a source within a gather: the first request, a retry after a transient
//! failure, or a hedge sent to another replica while the first is slow. A source makes one
//! attempt or several, and still ends in one [`Outcome`]; its report lists every attempt.

use std::time::Duration;

use super::Outcome;

/// Why an attempt was made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AttemptKind {
    /// The source's first request of the run.
    First,
    /// Sent after an attempt failed with a transient error: to the next replica at once, or
    /// after a backoff when every replica has failed.
    Retry,
    /// Sent to another replica because the attempts in flight had not answered within
    /// `hedge_after`.
    Hedge,
}

impl AttemptKind {
    /// The name used in the JSON report (`first`, `retry`, `hedge`).
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::First => "first",
            Self::Retry => "retry",
            Self::Hedge => "hedge",
        }
    }
}

/// One attempt as the report keeps it.
#[derive(Debug, Clone, PartialEq)]
pub struct Attempt {
    /// Where it was sent, password hidden (the replica's URL; for `sim`, which copy).
    pub target: String,
    /// Which replica: 0 is the source's own `url`, then `replicas` in order.
    pub replica: usize,
    /// First, retry or hedge.
    pub kind: AttemptKind,
    /// When it was sent, from the start of the gather.
    pub start: Duration,
    /// When it ended, from the start of the gather.
    pub end: Duration,
    /// How it ended. A losing attempt ends `cancelled` ([`super::CancelReason::Lost`]).
    pub outcome: Outcome,
}

impl Attempt {
    /// How long it ran.
    #[must_use]
    pub fn latency(&self) -> Duration {
        self.end.saturating_sub(self.start)
    }
}
