//! Retries, replicas and hedges under paused time: retries only on transient errors, the
//! backoff inside the timeout, the hedge sent at `hedge_after`, the winner kept and the
//! losers' work stopped, the budget never exceeded, one outcome per source.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures_util::FutureExt;
use futures_util::future::BoxFuture;
use tokio::sync::mpsc;
use tokio_util::task::TaskTracker;

use crate::config::{AttemptPolicy, GatherSettings, HedgeAfter, SimSpec};
use crate::engine::{EVENT_CHANNEL, GatherResult, Plan, PlannedSource, Replica, spawn};
use crate::event::EventKind;
use crate::source::{
    AttemptKind, CancelReason, Outcome, Request, RowSink, SimSource, Source, SourceError,
    TimeoutCause,
};

const MS: Duration = Duration::from_millis(1);

/// What one run of a [`Script`] does.
#[derive(Clone, Copy)]
enum Step {
    /// Answers (no rows) after this long.
    Ok(u64),
    /// Fails with a transient error after this long, asking to wait `retry_after` ms.
    Transient(u64, Option<u64>),
    /// Fails with a final error after this long.
    Final(u64),
}

/// A source whose runs follow a script (the last step repeats), counting runs in progress.
struct Script {
    steps: Mutex<VecDeque<Step>>,
    live: Arc<AtomicUsize>,
}

fn script(steps: &[Step]) -> Arc<Script> {
    Arc::new(Script {
        steps: Mutex::new(steps.iter().copied().collect()),
        live: Arc::default(),
    })
}

struct Live(Arc<AtomicUsize>);

impl Drop for Live {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

impl Source for Script {
    fn run<'a>(
        &'a self,
        _: &'a Request,
        _: &'a mut RowSink,
    ) -> BoxFuture<'a, Result<(), SourceError>> {
        let step = {
            let mut steps = self.steps.lock().unwrap();
            if steps.len() > 1 {
                steps.pop_front()
            } else {
                steps.front().copied()
            }
        };
        self.live.fetch_add(1, Ordering::SeqCst);
        let live = Live(Arc::clone(&self.live));
        async move {
            let _live = live;
            match step.expect("a script has a step") {
                Step::Ok(ms) => {
                    tokio::time::sleep(MS * ms as u32).await;
                    Ok(())
                }
                Step::Transient(ms, after) => {
                    tokio::time::sleep(MS * ms as u32).await;
                    Err(SourceError::Transient {
                        message: "connection refused".into(),
                        retry_after: after.map(|a| MS * a as u32),
                    })
                }
                Step::Final(ms) => {
                    tokio::time::sleep(MS * ms as u32).await;
                    Err(SourceError::Failed("relation \"t\" does not exist".into()))
                }
            }
        }
        .boxed()
    }

    fn describe(&self) -> String {
        "script".into()
    }
}

fn sim(latency_ms: u64) -> Arc<SimSource> {
    Arc::new(SimSource::new(SimSpec {
        latency: (MS * latency_ms as u32, MS * latency_ms as u32),
        rows: 3,
        error: None,
        fail: 0.0,
        hang: false,
        panic: None,
        seed: Some(1),
        tail: 0.0,
        tail_latency: Duration::from_secs(1),
    }))
}

/// A source on `servers` (the first is its own, the rest replicas) with `policy`.
fn source(
    name: &str,
    servers: Vec<Arc<dyn Source>>,
    policy: AttemptPolicy,
    timeout_ms: u64,
) -> PlannedSource {
    let mut servers = servers.into_iter();
    let mut p = PlannedSource::single(
        name,
        "sim",
        MS * timeout_ms as u32,
        Ok(servers.next().unwrap()),
    );
    p.target = format!("{name}/0");
    p.replicas = servers
        .enumerate()
        .map(|(i, s)| Replica {
            target: format!("{name}/{}", i + 1),
            source: Ok(s),
        })
        .collect();
    p.policy = policy;
    p
}

fn retries(n: usize, backoff_ms: u64) -> AttemptPolicy {
    AttemptPolicy {
        retries: n,
        backoff: MS * backoff_ms as u32,
        ..AttemptPolicy::default()
    }
}

fn hedging(after_ms: u64) -> AttemptPolicy {
    AttemptPolicy {
        hedge_after: Some(HedgeAfter::Fixed(MS * after_ms as u32)),
        ..AttemptPolicy::default()
    }
}

async fn gather(sources: Vec<PlannedSource>, max_extra_load: f64) -> (GatherResult, usize) {
    let settings = GatherSettings {
        concurrency: 0,
        max_extra_load,
        ..GatherSettings::default()
    };
    let plan = Arc::new(Plan {
        sources,
        settings,
        allow_writes: false,
        cleanup: TaskTracker::new(),
        columns: None,
    });
    let (tx, mut rx) = mpsc::channel(EVENT_CHANNEL);
    let result = spawn(plan, 1, tx).join().await;
    let mut finished = 0;
    while let Some(e) = rx.recv().await {
        finished += usize::from(matches!(e.kind, EventKind::Finished { .. }));
    }
    (result, finished)
}

fn kinds(r: &GatherResult, i: usize) -> Vec<AttemptKind> {
    r.reports[i].attempts.iter().map(|a| a.kind).collect()
}

#[tokio::test(start_paused = true)]
async fn a_transient_failure_is_retried_and_the_source_ends_ok_after_two_attempts() {
    let flaky = script(&[Step::Transient(10, None), Step::Ok(20)]);
    let (r, finished) = gather(vec![source("a", vec![flaky], retries(2, 100), 5000)], 0.1).await;
    let report = &r.reports[0];
    assert_eq!(report.outcome, Outcome::Ok);
    assert_eq!(kinds(&r, 0), [AttemptKind::First, AttemptKind::Retry]);
    assert_eq!(report.winner(), Some(1));
    let (first, second) = (&report.attempts[0], &report.attempts[1]);
    assert!(matches!(&first.outcome, Outcome::Error(e) if e.is_transient()));
    assert_eq!(first.end, first.start + MS * 10);
    assert!(
        second.start >= first.end && second.start < first.end + MS * 100,
        "{second:?}"
    );
    assert_eq!(report.rows, 0);
    assert_eq!(finished, 1, "one outcome whatever the attempts");
}

#[tokio::test(start_paused = true)]
async fn a_final_error_is_not_retried() {
    let broken = script(&[Step::Final(10), Step::Ok(10)]);
    let (r, _) = gather(vec![source("a", vec![broken], retries(3, 100), 5000)], 0.1).await;
    assert!(matches!(&r.reports[0].outcome, Outcome::Error(e) if !e.is_transient()));
    assert_eq!(kinds(&r, 0), [AttemptKind::First]);
    assert_eq!(r.reports[0].winner(), None);
}

#[tokio::test(start_paused = true)]
async fn backoff_grows_honours_retry_after_and_stays_inside_the_timeout() {
    let down = script(&[Step::Transient(10, None)]);
    let (r, _) = gather(vec![source("a", vec![down], retries(20, 100), 1000)], 0.1).await;
    let report = &r.reports[0];
    // The jitter decides whether the last retry still fits: it ends in the error, or in the
    // timeout that cut off a retry begun inside the limit.
    assert!(
        matches!(&report.outcome, Outcome::Error(e) if e.is_transient())
            || matches!(report.outcome, Outcome::Timeout { .. }),
        "{:?}",
        report.outcome
    );
    let a = &report.attempts;
    assert!(a.len() >= 2 && a.len() < 21, "{} attempts", a.len());
    for (i, pair) in a.windows(2).enumerate() {
        let wait = pair[1].start.saturating_sub(pair[0].end);
        assert!(wait <= MS * 100 * (1 << i), "retry {i} waited {wait:?}");
    }
    assert!(
        a.iter().all(|x| x.end <= MS * 1000),
        "every attempt inside the timeout"
    );
    assert!(report.timing.finished <= MS * 1000);

    let throttled = script(&[Step::Transient(10, Some(300)), Step::Ok(10)]);
    let (r, _) = gather(vec![source("a", vec![throttled], retries(1, 1), 5000)], 0.1).await;
    let a = &r.reports[0].attempts;
    assert_eq!(r.reports[0].outcome, Outcome::Ok);
    assert!(
        a[1].start >= a[0].end + MS * 300,
        "Retry-After honoured: {a:?}"
    );

    let too_long = script(&[Step::Transient(10, Some(3000)), Step::Ok(10)]);
    let (r, _) = gather(vec![source("a", vec![too_long], retries(1, 1), 1000)], 0.1).await;
    assert_eq!(
        r.reports[0].attempts.len(),
        1,
        "a Retry-After past the timeout is not waited for"
    );
    assert_eq!(r.reports[0].timing.finished, MS * 10);
}

#[tokio::test(start_paused = true)]
async fn the_hedge_goes_at_hedge_after_wins_and_the_loser_is_stopped() {
    let slow = sim(1000);
    let fast = sim(10);
    let servers: Vec<Arc<dyn Source>> = vec![slow.clone(), fast];
    let (r, finished) = gather(vec![source("a", servers, hedging(50), 5000)], 1.0).await;
    let report = &r.reports[0];
    assert_eq!(report.outcome, Outcome::Ok);
    assert_eq!(kinds(&r, 0), [AttemptKind::First, AttemptKind::Hedge]);
    assert_eq!(report.attempts[1].start, MS * 50);
    assert_eq!(report.attempts[1].target, "a/1");
    assert_eq!(report.winner(), Some(1));
    assert_eq!(
        report.attempts[0].outcome,
        Outcome::Cancelled(CancelReason::Lost)
    );
    assert_eq!(report.attempts[0].end, MS * 60);
    assert_eq!(report.timing.finished, MS * 60);
    assert_eq!(report.rows, 3, "the winner's rows");
    assert_eq!(
        r.batches[0]
            .iter()
            .map(arrow_array::RecordBatch::num_rows)
            .sum::<usize>(),
        3
    );
    assert_eq!(slow.live_runs(), 0, "the losing attempt's work is gone");
    assert_eq!(finished, 1);
}

#[tokio::test(start_paused = true)]
async fn a_fast_first_attempt_sends_no_hedge() {
    let servers: Vec<Arc<dyn Source>> = vec![sim(20), sim(10)];
    let (r, _) = gather(vec![source("a", servers, hedging(50), 5000)], 1.0).await;
    assert_eq!(kinds(&r, 0), [AttemptKind::First]);
    assert_eq!(r.reports[0].winner(), Some(0));
}

#[tokio::test(start_paused = true)]
async fn a_transient_failure_moves_to_the_next_replica_at_once() {
    let refused = script(&[Step::Transient(5, None)]);
    let servers: Vec<Arc<dyn Source>> = vec![refused, sim(10)];
    let (r, _) = gather(
        vec![source("a", servers, AttemptPolicy::default(), 5000)],
        0.0,
    )
    .await;
    let a = &r.reports[0].attempts;
    assert_eq!(r.reports[0].outcome, Outcome::Ok);
    assert_eq!(kinds(&r, 0), [AttemptKind::First, AttemptKind::Retry]);
    assert_eq!(a[1].start, MS * 5, "no backoff, no retries needed");
    assert_eq!(a[1].replica, 1);
}

#[tokio::test(start_paused = true)]
async fn the_budget_caps_the_hedges_of_a_run() {
    let sources: Vec<PlannedSource> = (0..20)
        .map(|i| {
            let servers: Vec<Arc<dyn Source>> = vec![sim(1000), sim(10)];
            source(&format!("s{i}"), servers, hedging(30), 5000)
        })
        .collect();
    let (r, finished) = gather(sources, 0.1).await;
    let hedges: usize = r.reports.iter().map(|s| s.count(AttemptKind::Hedge)).sum();
    assert_eq!(hedges, 2, "10 % of 20 sources");
    let fast = r
        .reports
        .iter()
        .filter(|s| s.timing.finished == MS * 40)
        .count();
    let slow = r
        .reports
        .iter()
        .filter(|s| s.timing.finished == MS * 1000)
        .count();
    assert_eq!((fast, slow), (2, 18));
    assert!(r.reports.iter().all(|s| s.outcome == Outcome::Ok));
    assert_eq!(finished, 20);
}

#[tokio::test(start_paused = true)]
async fn every_replica_slow_ends_in_one_timeout_with_every_attempt_stopped() {
    let (a, b, c) = (sim(5000), sim(5000), sim(5000));
    let servers: Vec<Arc<dyn Source>> = vec![a.clone(), b.clone(), c.clone()];
    let (r, finished) = gather(vec![source("a", servers, hedging(100), 1000)], 2.0).await;
    let report = &r.reports[0];
    let timeout = Outcome::Timeout {
        limit: MS * 1000,
        cause: TimeoutCause::Source,
    };
    assert_eq!(report.outcome, timeout);
    assert_eq!(
        kinds(&r, 0),
        [AttemptKind::First, AttemptKind::Hedge, AttemptKind::Hedge]
    );
    assert_eq!(
        report.attempts[2].start,
        MS * 200,
        "each hedge after the one before"
    );
    assert!(
        report
            .attempts
            .iter()
            .all(|x| x.outcome == timeout && x.end == MS * 1000)
    );
    assert_eq!(a.live_runs() + b.live_runs() + c.live_runs(), 0);
    assert_eq!(finished, 1);
}

#[tokio::test(start_paused = true)]
async fn a_final_error_waits_for_the_hedge_in_flight() {
    let broken = script(&[Step::Final(20)]);
    let servers: Vec<Arc<dyn Source>> = vec![script(&[Step::Ok(500)]), broken, sim(100)];
    let (r, _) = gather(vec![source("a", servers, hedging(30), 5000)], 5.0).await;
    let report = &r.reports[0];
    // first at 0 (500 ms), hedge at 30 ms fails for good at 50 ms: no third attempt (it was due at 60 ms), the
    // first still answers.
    assert_eq!(kinds(&r, 0), [AttemptKind::First, AttemptKind::Hedge]);
    assert_eq!(report.outcome, Outcome::Ok);
    assert_eq!(report.winner(), Some(0));
}
