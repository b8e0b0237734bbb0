//! Stopping work that outlives a dropped run: [`CancelOnDrop`], the one guard every kind
//! arms while its statement runs (a server-side cancel for the server kinds, an interrupt for
//! `SQLite`), and the server-side limit that backs it up.

use std::time::Duration;

use futures_util::future::BoxFuture;
use tokio_util::task::TaskTracker;

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

/// Runs its action if dropped while armed, that is when the run holding it was dropped (the
/// engine's timeout, fail-fast, deadline, the user) or gave up midway, before the work it
/// guards had ended. [`disarm`](Self::disarm) once that work is over.
pub struct CancelOnDrop {
    /// The action; `None` once disarmed.
    action: Option<Box<dyn FnOnce() + Send>>,
}

impl CancelOnDrop {
    /// Arms a guard that runs `action` on drop; it must be quick (it runs in a destructor,
    /// on the engine's task): set a flag, interrupt a handle, spawn a task.
    #[must_use]
    pub fn new(action: impl FnOnce() + Send + 'static) -> Self {
        Self {
            action: Some(Box::new(action)),
        }
    }

    /// Arms a guard that, on drop, spawns `cancel` on `cleanup` (the gather's tracker, which
    /// `--once` waits on before the process exits) and gives it [`CANCEL_WITHIN`]. `cancel`
    /// is not polled before then.
    #[must_use]
    pub fn spawn_on(cleanup: TaskTracker, cancel: BoxFuture<'static, ()>) -> Self {
        Self::new(move || {
            // Dropped inside the runtime (the engine's task); during a runtime shutdown there
            // is no handle to spawn on, and the server-side backstop limit ends the statement.
            if let Ok(handle) = tokio::runtime::Handle::try_current() {
                cleanup.spawn_on(
                    async move {
                        if tokio::time::timeout(CANCEL_WITHIN, cancel).await.is_err() {
                            tracing::warn!("server-side cancel gave up after {CANCEL_WITHIN:?}");
                        }
                    },
                    &handle,
                );
            }
        })
    }

    /// The guarded work is over: nothing to cancel.
    pub fn disarm(&mut self) {
        self.action = None;
    }
}

impl Drop for CancelOnDrop {
    fn drop(&mut self) {
        if let Some(action) = self.action.take() {
            action();
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};

    use futures_util::FutureExt;

    use super::*;

    #[tokio::test]
    async fn armed_guard_runs_the_cancel_on_the_tracker_and_disarmed_does_not() {
        let tracker = TaskTracker::new();
        let fired = Arc::new(AtomicBool::new(false));
        let flag = Arc::clone(&fired);
        let mut quiet = CancelOnDrop::spawn_on(tracker.clone(), async {}.boxed());
        quiet.disarm();
        drop(quiet);
        assert!(tracker.is_empty());
        drop(CancelOnDrop::spawn_on(
            tracker.clone(),
            async move { flag.store(true, Ordering::SeqCst) }.boxed(),
        ));
        tracker.close();
        tracker.wait().await;
        assert!(fired.load(Ordering::SeqCst));
    }

    #[test]
    fn a_plain_action_runs_once_when_dropped_armed() {
        let fired = Arc::new(AtomicBool::new(false));
        let flag = Arc::clone(&fired);
        drop(CancelOnDrop::new(move || {
            flag.store(true, Ordering::SeqCst);
        }));
        assert!(fired.load(Ordering::SeqCst));
        assert_eq!(backstop(Duration::from_secs(3)), Duration::from_secs(5));
    }
}
