//! Engine semantics under paused time: every outcome, limits, modes, generations.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use futures_util::FutureExt;
use futures_util::future::BoxFuture;
use tokio::sync::mpsc;

use tokio_util::task::TaskTracker;

use super::*;
use crate::config::GatherSettings;
use crate::config::SimSpec;
use crate::event::{Event, EventKind};
use crate::source::Source;
use crate::source::{Request, RowSink, SimSource, SourceError, State};

const MS: Duration = Duration::from_millis(1);

fn sim(latency_ms: u64) -> SimSpec {
    SimSpec {
        latency: (MS * latency_ms as u32, MS * latency_ms as u32),
        rows: 2,
        error: None,
        fail: 0.0,
        hang: false,
        panic: None,
        seed: Some(1),
        tail: 0.0,
        tail_latency: Duration::from_secs(1),
    }
}

fn planned(name: &str, source: Arc<dyn Source>, timeout: Duration) -> PlannedSource {
    PlannedSource::single(name, "sim", timeout, Ok(source))
}

fn plan(sources: Vec<PlannedSource>, settings: GatherSettings) -> Arc<Plan> {
    Arc::new(Plan {
        sources,
        settings,
        allow_writes: false,
        cleanup: TaskTracker::new(),
        columns: None,
    })
}

fn settings(concurrency: usize, mode: Mode, deadline: Option<Duration>) -> GatherSettings {
    GatherSettings {
        deadline,
        concurrency,
        mode,
        ..GatherSettings::default()
    }
}

async fn gather(plan: Arc<Plan>) -> (GatherResult, Vec<Event>) {
    let (tx, mut rx) = mpsc::channel(EVENT_CHANNEL);
    let result = spawn(plan, 1, tx).join().await;
    let mut events = Vec::new();
    while let Some(e) = rx.recv().await {
        events.push(e);
    }
    (result, events)
}

fn outcomes(r: &GatherResult) -> Vec<Outcome> {
    r.reports.iter().map(|r| r.outcome.clone()).collect()
}

#[tokio::test(start_paused = true)]
async fn a_hanging_source_times_out_and_its_work_stops() {
    let hang = Arc::new(SimSource::new(SimSpec {
        hang: true,
        ..sim(0)
    }));
    let ok = Arc::new(SimSource::new(sim(200)));
    let p = plan(
        vec![
            planned("hang", hang.clone(), MS * 1000),
            planned("ok", ok, MS * 1000),
        ],
        settings(8, Mode::Partial, None),
    );
    let (r, _) = gather(p).await;
    assert_eq!(
        outcomes(&r),
        [
            Outcome::Timeout {
                limit: MS * 1000,
                cause: TimeoutCause::Source
            },
            Outcome::Ok
        ]
    );
    assert_eq!(r.elapsed, MS * 1000);
    assert_eq!(r.reports[0].timing.latency(), MS * 1000);
    assert_eq!(r.reports[1].rows, 2);
    assert_eq!(
        hang.live_runs(),
        0,
        "the timed-out run's future must be gone, not left waiting"
    );
}

#[tokio::test(start_paused = true)]
async fn the_deadline_times_out_running_and_queued_sources() {
    let hang: Arc<dyn Source> = Arc::new(SimSource::new(SimSpec {
        hang: true,
        ..sim(0)
    }));
    let p = plan(
        vec![
            planned("fast", Arc::new(SimSource::new(sim(100))), MS * 10_000),
            planned("hang", Arc::clone(&hang), MS * 10_000),
            planned("queued", Arc::new(SimSource::new(sim(100))), MS * 10_000),
        ],
        settings(2, Mode::Partial, Some(MS * 2000)),
    );
    let (r, _) = gather(p).await;
    let deadline = Outcome::Timeout {
        limit: MS * 2000,
        cause: TimeoutCause::Deadline,
    };
    assert_eq!(outcomes(&r), [Outcome::Ok, deadline.clone(), Outcome::Ok]);
    assert_eq!(r.elapsed, MS * 2000);
    // With one slot held by the hang, `queued` ran after `fast`; a third source behind two
    // hangs would never start:
    let p = plan(
        vec![
            planned("h1", Arc::clone(&hang), MS * 10_000),
            planned("never", Arc::new(SimSource::new(sim(1))), MS * 10_000),
        ],
        settings(1, Mode::Partial, Some(MS * 500)),
    );
    let (r, _) = gather(p).await;
    assert_eq!(
        outcomes(&r),
        vec![
            Outcome::Timeout {
                limit: MS * 500,
                cause: TimeoutCause::Deadline
            };
            2
        ]
    );
    assert_eq!(
        r.reports[1].timing.started, None,
        "a source still queued never started"
    );
}

#[tokio::test(start_paused = true)]
async fn fail_fast_cancels_the_rest_at_the_first_failure() {
    let slow = Arc::new(SimSource::new(sim(5000)));
    let p = plan(
        vec![
            planned("ok", Arc::new(SimSource::new(sim(10))), MS * 10_000),
            planned(
                "bad",
                Arc::new(SimSource::new(SimSpec {
                    error: Some("boom".into()),
                    ..sim(100)
                })),
                MS * 10_000,
            ),
            planned("slow", slow.clone(), MS * 10_000),
            planned(
                "hang",
                Arc::new(SimSource::new(SimSpec {
                    hang: true,
                    ..sim(0)
                })),
                MS * 10_000,
            ),
        ],
        settings(8, Mode::FailFast, None),
    );
    let (r, _) = gather(p).await;
    let by_bad = Outcome::Cancelled(CancelReason::FailFast { by: "bad".into() });
    assert_eq!(
        outcomes(&r),
        [
            Outcome::Ok,
            Outcome::from(SourceError::Failed("boom".into())),
            by_bad.clone(),
            by_bad
        ]
    );
    assert!(r.aborted);
    assert_eq!(r.elapsed, MS * 100);
    assert_eq!(slow.live_runs(), 0);
}

#[tokio::test(start_paused = true)]
async fn partial_mode_keeps_going_after_a_failure() {
    let p = plan(
        vec![
            planned(
                "bad",
                Arc::new(SimSource::new(SimSpec {
                    error: Some("boom".into()),
                    ..sim(10)
                })),
                MS * 1000,
            ),
            planned("slow", Arc::new(SimSource::new(sim(900))), MS * 1000),
        ],
        settings(8, Mode::Partial, None),
    );
    let (r, _) = gather(p).await;
    assert_eq!(
        outcomes(&r),
        [
            Outcome::from(SourceError::Failed("boom".into())),
            Outcome::Ok
        ]
    );
    assert!(!r.aborted);
    assert_eq!(
        r.batches[1]
            .iter()
            .map(arrow_array::RecordBatch::num_rows)
            .sum::<usize>(),
        2
    );
}

/// Counts how many runs are in flight at once.
struct Probe {
    now: Arc<AtomicUsize>,
    max: Arc<AtomicUsize>,
}

impl Source for Probe {
    fn run<'a>(
        &'a self,
        _: &'a Request,
        _: &'a mut RowSink,
    ) -> BoxFuture<'a, Result<(), SourceError>> {
        async move {
            let n = self.now.fetch_add(1, Ordering::SeqCst) + 1;
            self.max.fetch_max(n, Ordering::SeqCst);
            tokio::time::sleep(MS * 100).await;
            self.now.fetch_sub(1, Ordering::SeqCst);
            Ok(())
        }
        .boxed()
    }

    fn describe(&self) -> String {
        "probe".into()
    }
}

#[tokio::test(start_paused = true)]
async fn the_concurrency_limit_is_never_exceeded() {
    let (now, max) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
    let sources = (0..10)
        .map(|i| {
            let probe = Probe {
                now: now.clone(),
                max: max.clone(),
            };
            planned(&format!("s{i}"), Arc::new(probe), MS * 1000)
        })
        .collect();
    let (r, events) = gather(plan(sources, settings(3, Mode::Partial, None))).await;
    assert_eq!(max.load(Ordering::SeqCst), 3);
    assert_eq!(
        r.elapsed,
        MS * 400,
        "10 sources of 100 ms, 3 at a time: 4 rounds"
    );
    let queued = events
        .iter()
        .filter(|e| matches!(e.kind, EventKind::Queued { .. }))
        .count();
    let started = events
        .iter()
        .filter(|e| matches!(e.kind, EventKind::Started { .. }))
        .count();
    assert_eq!((queued, started), (10, 10));
    // The last source waited three rounds for its slot:
    assert_eq!(r.reports[9].timing.started, Some(MS * 300));
}

#[tokio::test(start_paused = true)]
async fn every_source_reports_exactly_once_and_the_gather_finishes_last() {
    let mut sources: Vec<_> = (0..20)
        .map(|i| {
            planned(
                &format!("s{i}"),
                Arc::new(SimSource::new(sim(i * 10))),
                MS * 150,
            )
        })
        .collect();
    sources[3].enabled = false;
    sources[5].source = Err(Arc::new(SourceError::Failed("cannot build".into())));
    let (r, events) = gather(plan(sources, settings(4, Mode::Partial, None))).await;
    let mut finished = vec![0; 20];
    for e in &events {
        assert_eq!(e.generation, 1);
        if let EventKind::Finished { report, .. } = &e.kind {
            finished[report.index] += 1;
        }
    }
    assert_eq!(finished, vec![1; 20]);
    assert!(matches!(
        events.last().unwrap().kind,
        EventKind::GatherFinished { .. }
    ));
    assert_eq!(
        r.reports[3].outcome,
        Outcome::Skipped("disabled in the config".into())
    );
    assert_eq!(
        r.reports[5].outcome,
        Outcome::from(SourceError::Failed("cannot build".into()))
    );
    assert_eq!(r.reports[19].outcome.state(), State::Timeout);
}

#[tokio::test(start_paused = true)]
async fn a_superseded_gather_is_cancelled_and_its_events_carry_its_generation() {
    let hang = || {
        Arc::new(SimSource::new(SimSpec {
            hang: true,
            ..sim(0)
        }))
    };
    let p = plan(
        vec![planned("a", hang(), MS * 60_000)],
        settings(8, Mode::Partial, None),
    );
    let (tx, mut rx) = mpsc::channel(EVENT_CHANNEL);
    let old = spawn(Arc::clone(&p), 1, tx.clone());
    tokio::time::sleep(MS * 50).await;
    old.cancel(CancelReason::Superseded);
    let new = spawn(
        plan(
            vec![planned("a", Arc::new(SimSource::new(sim(10))), MS * 1000)],
            settings(8, Mode::Partial, None),
        ),
        2,
        tx,
    );
    let (old, new) = (old.join().await, new.join().await);
    assert_eq!(
        outcomes(&old),
        [Outcome::Cancelled(CancelReason::Superseded)]
    );
    assert_eq!(outcomes(&new), [Outcome::Ok]);
    let mut by_gen = [0, 0];
    while let Some(e) = rx.recv().await {
        by_gen[(e.generation - 1) as usize] += 1;
        if let EventKind::Finished { report, .. } = &e.kind {
            let want = if e.generation == 1 {
                State::Cancelled
            } else {
                State::Ok
            };
            assert_eq!(report.outcome.state(), want);
        }
    }
    assert!(by_gen[0] > 0 && by_gen[1] > 0);
}

#[tokio::test(start_paused = true)]
async fn a_user_cancel_ends_pending_and_running_sources_as_cancelled() {
    let hang = || {
        Arc::new(SimSource::new(SimSpec {
            hang: true,
            ..sim(0)
        }))
    };
    let p = plan(
        vec![
            planned("a", hang(), MS * 60_000),
            planned("b", hang(), MS * 60_000),
        ],
        settings(1, Mode::Partial, None),
    );
    let (tx, _rx) = mpsc::channel(EVENT_CHANNEL);
    let g = spawn(p, 1, tx);
    tokio::time::sleep(MS * 10).await;
    g.cancel(CancelReason::User);
    let r = g.join().await;
    assert_eq!(
        outcomes(&r),
        vec![Outcome::Cancelled(CancelReason::User); 2]
    );
    assert_eq!(r.reports[1].timing.started, None);
}

#[tokio::test(start_paused = true)]
async fn row_caps_fail_the_source_that_crosses_them() {
    let many = |rows| Arc::new(SimSource::new(SimSpec { rows, ..sim(10) }));
    let s = GatherSettings {
        max_rows_per_source: 50,
        max_rows: 80,
        ..settings(1, Mode::Partial, None)
    };
    let p = plan(
        vec![
            planned("big", many(51), MS * 1000),
            planned("a", many(50), MS * 1000),
            planned("b", many(40), MS * 1000),
        ],
        s,
    );
    let (r, _) = gather(p).await;
    assert_eq!(
        outcomes(&r),
        [
            Outcome::from(SourceError::SourceCap { cap: 50 }),
            Outcome::Ok,
            Outcome::from(SourceError::TotalCap { cap: 80 }),
        ]
    );
}

/// A source whose task panics.
struct Panics;

impl Source for Panics {
    fn run<'a>(
        &'a self,
        _: &'a Request,
        _: &'a mut RowSink,
    ) -> BoxFuture<'a, Result<(), SourceError>> {
        async { panic!("bug in a source") }.boxed()
    }

    fn describe(&self) -> String {
        "panics".into()
    }
}

#[tokio::test(start_paused = true)]
async fn a_panicking_source_is_an_error_not_a_missing_row() {
    let p = plan(
        vec![
            planned("p", Arc::new(Panics), MS * 1000),
            planned("ok", Arc::new(SimSource::new(sim(5))), MS * 1000),
        ],
        settings(8, Mode::Partial, None),
    );
    let (r, events) = gather(p).await;
    assert_eq!(r.reports[0].outcome.state(), State::Error);
    assert_eq!(
        r.reports[0].outcome.message().unwrap(),
        "internal error (a bug in scatter): bug in a source; the log has where it happened"
    );
    assert!(r.reports[0].timing.started.is_some(), "it keeps its timing");
    assert_eq!(r.reports[1].outcome, Outcome::Ok);
    // The watcher hears the outcome like any other, so the dashboard's row shows the error.
    let finished = events.iter().find_map(|e| match &e.kind {
        EventKind::Finished { report, .. } if report.index == 0 => Some(report),
        _ => None,
    });
    assert_eq!(finished.map(|f| f.outcome.state()), Some(State::Error));
}

/// Watches its cancel token and gives up with an error as soon as it fires, as sources that
/// stop server-side work do.
struct GivesUpOnCancel;

impl Source for GivesUpOnCancel {
    fn run<'a>(
        &'a self,
        request: &'a Request,
        _: &'a mut RowSink,
    ) -> BoxFuture<'a, Result<(), SourceError>> {
        async move {
            request.cancel.cancelled().await;
            Err(SourceError::Failed("cancelled".into()))
        }
        .boxed()
    }

    fn describe(&self) -> String {
        "gives up on cancel".into()
    }
}

#[tokio::test(start_paused = true)]
async fn a_source_that_gives_up_on_cancel_is_cancelled_not_failed() {
    let p = plan(
        vec![planned("g", Arc::new(GivesUpOnCancel), MS * 60_000)],
        settings(8, Mode::Partial, None),
    );
    let (tx, _rx) = mpsc::channel(EVENT_CHANNEL);
    let g = spawn(p, 1, tx);
    tokio::time::sleep(MS * 10).await;
    g.cancel(CancelReason::User);
    assert_eq!(
        outcomes(&g.join().await),
        [Outcome::Cancelled(CancelReason::User)]
    );
}
