//! [`Idle`]: the few logged-in sessions a server source keeps between runs.

use std::sync::{Mutex, PoisonError};

/// Up to `cap` idle sessions of one source, reused by the next run instead of logging in again.
///
/// A run takes a session out ([`Idle::take`]) and owns it while its statement runs; it puts it
/// back ([`Idle::put`]) only when the statement ended cleanly on the server. Sessions that
/// failed or were cancelled are dropped instead, which closes them.
#[derive(Debug)]
pub struct Idle<S> {
    cap: usize,
    /// The idle sessions, most recently returned last. Locked only to push or pop, never
    /// across an await, by the runs of this one source.
    sessions: Mutex<Vec<S>>,
}

impl<S> Idle<S> {
    /// An empty pool that keeps at most `cap` sessions (at least one).
    #[must_use]
    pub fn new(cap: usize) -> Self {
        Self {
            cap: cap.max(1),
            sessions: Mutex::new(Vec::new()),
        }
    }

    /// The most recently returned idle session that `fits`; sessions that do not fit (opened
    /// read-only when the run may write, or the other way round) are dropped.
    pub fn take(&self, fits: impl Fn(&S) -> bool) -> Option<S> {
        let mut sessions = self.sessions.lock().unwrap_or_else(PoisonError::into_inner);
        while let Some(s) = sessions.pop() {
            if fits(&s) {
                return Some(s);
            }
        }
        None
    }

    /// Keeps `session` for the next run, unless the pool is full (then it is dropped).
    pub fn put(&self, session: S) {
        let mut sessions = self.sessions.lock().unwrap_or_else(PoisonError::into_inner);
        if sessions.len() < self.cap {
            sessions.push(session);
        }
    }

    /// Idle sessions held now.
    #[must_use]
    pub fn len(&self) -> usize {
        self.sessions
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .len()
    }

    /// Whether no session is idle.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pool_keeps_at_most_cap_and_drops_misfits() {
        let idle = Idle::new(2);
        for i in 0..3 {
            idle.put(i);
        }
        assert_eq!(idle.len(), 2);
        assert_eq!(
            idle.take(|&s| s == 0),
            Some(0),
            "1 does not fit and is dropped"
        );
        assert!(idle.is_empty());
    }
}
