//! What a server source keeps between runs ([`Idle`], a small pool of logged-in sessions) and
//! how a statement cut off mid-run is stopped on the server ([`CancelOnDrop`]).
//!
//! Dropping a sqlx query future, or even its connection, leaves the statement running on the
//! server (PostgreSQL 15 and MariaDB 10.11 both keep going until they next write to the
//! socket, which `pg_sleep` or a long sort never does). So a run arms a [`CancelOnDrop`] while
//! its statement is on the server; if the engine drops the run before it disarms the guard, the
//! guard spawns the kind's cancel (a second connection sending `pg_cancel_backend` or `KILL
//! QUERY`) on the gather's cleanup tracker, and the session, owned by the dropped future, is
//! gone with it: a cancelled connection is never returned to the pool.

use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use futures_util::future::BoxFuture;
use tokio_util::task::TaskTracker;

use super::errors::Target;
use crate::source::SourceError;

/// How long a server-side cancel may take (connect, send, answer) before it is given up; the
/// statement's own server-side time limit stops it later in that case.
pub const CANCEL_WITHIN: Duration = Duration::from_secs(5);

/// Margin added to a source's timeout for the server-side statement limit: the client gives up
/// first and cancels, the server's limit is only the backstop when that cancel cannot arrive.
pub const BACKSTOP_MARGIN: Duration = Duration::from_secs(2);

/// The server-side statement limit for a source whose client-side limit is `timeout`.
#[must_use]
pub fn backstop(timeout: Duration) -> Duration {
    timeout.saturating_add(BACKSTOP_MARGIN)
}

/// Up to `cap` idle sessions of one source, reused by the next run instead of logging in again.
///
/// A run takes a session out ([`Idle::take`]) and owns it while the statement runs; it puts it
/// back ([`Idle::put`]) only when the statement ended cleanly on the server. Sessions that
/// failed or were cancelled are dropped instead, which closes them.
#[derive(Debug)]
pub struct Idle<S> {
    cap: usize,
    /// The idle sessions; locked only to push or pop, never across an await.
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

/// A logged-in session of one SQL driver, as [`Idle::take_live`] needs to see it.
pub trait PooledSession: Send {
    /// Opened so that it may write (`--allow-writes`), not read-only.
    fn is_writable(&self) -> bool;
    /// The server-side statement limit in force.
    fn limit(&self) -> Duration;
    /// One round trip: fails when the server closed the session.
    fn ping(&mut self) -> BoxFuture<'_, Result<(), sqlx::Error>>;
    /// Sets the server-side statement limit.
    fn set_limit(&mut self, limit: Duration) -> BoxFuture<'_, Result<(), SourceError>>;
}

impl<S: PooledSession> Idle<S> {
    /// A kept session for a run that may write or not (`writable`), still alive and with its
    /// statement limit set to `limit`; `None` when none is left (log in anew). A session the
    /// server closed while idle (a restart, an idle timeout, a killed backend) is dropped.
    pub async fn take_live(
        &self,
        writable: bool,
        limit: Duration,
        server: &Target,
    ) -> Result<Option<S>, SourceError> {
        while let Some(mut s) = self.take(|s| s.is_writable() == writable) {
            if let Err(e) = s.ping().await {
                tracing::debug!(%server, error = %e, "idle session lost; replacing it");
                continue;
            }
            if s.limit() != limit {
                s.set_limit(limit).await?;
            }
            return Ok(Some(s));
        }
        Ok(None)
    }
}

/// Stops a statement on the server if dropped while armed, that is when the engine drops the
/// run (timeout, fail-fast, deadline, the user) before the statement ended.
pub struct CancelOnDrop {
    /// The cancel to run; `None` once disarmed.
    cancel: Option<BoxFuture<'static, ()>>,
    /// The gather's cleanup tracker: `--once` waits on it before the process exits.
    cleanup: TaskTracker,
}

impl CancelOnDrop {
    /// Arms a guard that runs `cancel` on `cleanup` when dropped armed. `cancel` is not polled
    /// before then.
    #[must_use]
    pub fn arm(cleanup: TaskTracker, cancel: BoxFuture<'static, ()>) -> Self {
        Self {
            cancel: Some(cancel),
            cleanup,
        }
    }

    /// The statement is over on the server: nothing to cancel.
    pub fn disarm(&mut self) {
        self.cancel = None;
    }
}

impl Drop for CancelOnDrop {
    fn drop(&mut self) {
        let Some(cancel) = self.cancel.take() else {
            return;
        };
        // Dropped inside the runtime (the engine's task); during a runtime shutdown there is
        // no handle to spawn on, and the server-side backstop limit ends the statement.
        if let Ok(handle) = tokio::runtime::Handle::try_current() {
            self.cleanup.spawn_on(
                async move {
                    if tokio::time::timeout(CANCEL_WITHIN, cancel).await.is_err() {
                        tracing::warn!("server-side cancel gave up after {CANCEL_WITHIN:?}");
                    }
                },
                &handle,
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};

    use futures_util::FutureExt;

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

    #[tokio::test]
    async fn armed_guard_runs_the_cancel_on_the_tracker_and_disarmed_does_not() {
        let tracker = TaskTracker::new();
        let fired = Arc::new(AtomicBool::new(false));
        let flag = Arc::clone(&fired);
        let mut quiet = CancelOnDrop::arm(tracker.clone(), async {}.boxed());
        quiet.disarm();
        drop(quiet);
        assert!(tracker.is_empty());
        drop(CancelOnDrop::arm(
            tracker.clone(),
            async move { flag.store(true, Ordering::SeqCst) }.boxed(),
        ));
        tracker.close();
        tracker.wait().await;
        assert!(fired.load(Ordering::SeqCst));
    }
}
