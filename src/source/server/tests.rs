//! The layer's contract, checked with a driver that records what it is asked to do.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use super::*;
use crate::source::{SinkLimits, Source};

/// What a [`Fake`] run does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Script {
    Ok,
    ServerError,
    ClientError,
    Hang,
}

/// A driver whose sessions are numbers; it logs every call.
#[derive(Debug, Default)]
struct Fake {
    opened: AtomicUsize,
    /// Calls, in order: `connect 1 rw=false`, `ping 1`, `limit 1 5s`, `run 1`, `cancel 1`.
    log: Mutex<Vec<String>>,
    /// The next run's behaviour.
    script: Mutex<Option<Script>>,
    /// Sessions whose ping fails (closed by the server while idle).
    dead: Mutex<Vec<usize>>,
    /// Cancels that ran (polled), by session.
    cancelled: Arc<Mutex<Vec<usize>>>,
}

impl Fake {
    fn note(&self, entry: String) {
        self.log.lock().unwrap().push(entry);
    }
}

impl Driver for Fake {
    type Session = usize;
    type Query = ();

    fn parse(&self, request: &Request) -> Result<(), SourceError> {
        if request.query == "refuse" {
            return Err(SourceError::Refused("no".into()));
        }
        Ok(())
    }

    fn connect(&self, settings: Settings) -> BoxFuture<'_, Result<usize, SourceError>> {
        let n = self.opened.fetch_add(1, Ordering::SeqCst) + 1;
        self.note(format!("connect {n} rw={}", settings.writable));
        async move { Ok(n) }.boxed()
    }

    fn ping<'s>(&'s self, session: &'s mut usize) -> BoxFuture<'s, Result<(), SourceError>> {
        self.note(format!("ping {session}"));
        let dead = self.dead.lock().unwrap().contains(session);
        async move {
            if dead {
                Err(SourceError::transient("gone"))
            } else {
                Ok(())
            }
        }
        .boxed()
    }

    fn set_limit<'s>(
        &'s self,
        session: &'s mut usize,
        limit: Duration,
    ) -> BoxFuture<'s, Result<(), SourceError>> {
        self.note(format!(
            "limit {session} {}",
            humantime::format_duration(limit)
        ));
        async { Ok(()) }.boxed()
    }

    fn run<'a>(
        &'a self,
        session: &'a mut usize,
        (): &'a (),
        _: &'a Request,
        _: &'a mut RowSink,
    ) -> BoxFuture<'a, Result<(), Failure>> {
        self.note(format!("run {session}"));
        let script = self.script.lock().unwrap().take().unwrap_or(Script::Ok);
        async move {
            match script {
                Script::Ok => Ok(()),
                Script::ServerError => Err(Failure::Server(SourceError::Failed("syntax".into()))),
                Script::ClientError => Err(Failure::Client(SourceError::SourceCap { cap: 1 })),
                Script::Hang => std::future::pending().await,
            }
        }
        .boxed()
    }

    fn cancel_on_server(&self, session: &usize) -> Option<BoxFuture<'static, ()>> {
        let (n, cancelled) = (*session, Arc::clone(&self.cancelled));
        Some(async move { cancelled.lock().unwrap().push(n) }.boxed())
    }

    fn describe(&self) -> String {
        "fake".into()
    }
}

fn request(query: &str, timeout: Duration, allow_writes: bool) -> Request {
    Request {
        query: query.into(),
        allow_writes,
        timeout,
        cancel: CancellationToken::new(),
        cleanup: TaskTracker::new(),
        columns: None,
    }
}

async fn run(
    source: &ServerSource<Fake>,
    script: Script,
    request: &Request,
) -> Result<(), SourceError> {
    *source.driver().script.lock().unwrap() = Some(script);
    let mut sink = RowSink::detached(SinkLimits::new(10, 10));
    let result = source.run(request, &mut sink).await;
    request.cleanup.close();
    request.cleanup.wait().await;
    result
}

fn log(source: &ServerSource<Fake>) -> Vec<String> {
    std::mem::take(&mut *source.driver().log.lock().unwrap())
}

fn cancelled(source: &ServerSource<Fake>) -> Vec<usize> {
    source.driver().cancelled.lock().unwrap().clone()
}

const SECOND: Duration = Duration::from_secs(1);

#[tokio::test]
async fn a_session_is_reused_after_success_and_server_errors_and_pinged_first() {
    let source = ServerSource::with_pool(Fake::default(), 2);
    let r = request("q", SECOND, false);
    run(&source, Script::Ok, &r).await.unwrap();
    let e = run(&source, Script::ServerError, &r).await.unwrap_err();
    assert_eq!(e.to_string(), "syntax");
    run(&source, Script::Ok, &r).await.unwrap();
    assert_eq!(
        log(&source),
        [
            "connect 1 rw=false",
            "run 1",
            "ping 1",
            "run 1",
            "ping 1",
            "run 1"
        ]
    );
    assert!(cancelled(&source).is_empty(), "nothing was cut off");
}

#[tokio::test]
async fn a_client_failure_cancels_on_the_server_and_discards_the_session() {
    let source = ServerSource::with_pool(Fake::default(), 2);
    let r = request("q", SECOND, false);
    let e = run(&source, Script::ClientError, &r).await.unwrap_err();
    assert!(e.to_string().starts_with("row cap"), "{e}");
    assert_eq!(cancelled(&source), [1]);
    assert!(source.idle.is_empty());
    run(&source, Script::Ok, &request("q", SECOND, false))
        .await
        .unwrap();
    assert_eq!(
        log(&source),
        ["connect 1 rw=false", "run 1", "connect 2 rw=false", "run 2"]
    );
}

#[tokio::test]
async fn a_dropped_run_cancels_on_the_server_and_its_session_is_gone() {
    let source = ServerSource::with_pool(Fake::default(), 2);
    let r = request("q", SECOND, false);
    let cut = tokio::time::timeout(Duration::from_millis(20), run(&source, Script::Hang, &r));
    assert!(cut.await.is_err(), "the run hangs until dropped");
    r.cleanup.close();
    r.cleanup.wait().await;
    assert_eq!(
        cancelled(&source),
        [1],
        "the cancel ran on the cleanup tracker"
    );
    assert!(source.idle.is_empty(), "the cancelled session is not kept");
}

#[tokio::test]
async fn kept_sessions_must_answer_match_writability_and_get_the_run_limit() {
    let source = ServerSource::with_pool(Fake::default(), 2);
    run(&source, Script::Ok, &request("q", SECOND, false))
        .await
        .unwrap();
    // Another timeout: the kept session gets the new backstop (timeout + 2 s).
    run(&source, Script::Ok, &request("q", 3 * SECOND, false))
        .await
        .unwrap();
    // A writing run does not take a read-only session (which is dropped).
    run(&source, Script::Ok, &request("q", 3 * SECOND, true))
        .await
        .unwrap();
    // A session the server closed while idle is replaced.
    source.driver().dead.lock().unwrap().push(2);
    run(&source, Script::Ok, &request("q", 3 * SECOND, true))
        .await
        .unwrap();
    assert_eq!(
        log(&source),
        [
            "connect 1 rw=false",
            "run 1",
            "ping 1",
            "limit 1 5s",
            "run 1",
            "connect 2 rw=true",
            "run 2",
            "ping 2",
            "connect 3 rw=true",
            "run 3",
        ]
    );
}

#[tokio::test]
async fn a_refused_query_never_connects() {
    let source = ServerSource::with_pool(Fake::default(), 1);
    let e = run(&source, Script::Ok, &request("refuse", SECOND, false))
        .await
        .unwrap_err();
    assert_eq!(e.to_string(), "refused: no");
    assert!(log(&source).is_empty());
}
