//! A source's attempts within one run: the first request, retries after transient failures
//! (to the next replica at once, then after a backoff), and hedges to other replicas while
//! the attempts in flight are slow. Whatever the attempts, the source ends in one outcome:
//! the first success wins and every other attempt is cut off, its future dropped and its
//! token cancelled, so its work stops on the server as a timed-out run's does.
//!
//! Everything here runs on the source's task: the attempts are futures in a
//! `FuturesUnordered` polled by [`run`]'s loop, not tasks of their own.

use std::sync::Arc;
use std::time::Duration;

use futures_util::future::BoxFuture;
use futures_util::stream::FuturesUnordered;
use futures_util::{FutureExt, StreamExt};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::hedge::{self, HedgeBudget};
use super::task::{TaskCtx, panicked};
use super::{NO_DEADLINE, PlannedSource};
use crate::source::{
    Attempt, AttemptKind, CancelReason, Outcome, Request, RowSink, SourceError, TimeoutCause,
};

/// What the attempts of one source came to.
pub(super) struct Attempted {
    /// The source's one outcome.
    pub outcome: Outcome,
    /// Every attempt, in the order sent.
    pub attempts: Vec<Attempt>,
    /// The sink whose rows and warnings are the source's: the winner's; without one, the
    /// attempt that got the most rows before it ended.
    pub sink: Option<RowSink>,
}

/// How an attempt's future ended.
enum Ended {
    Ok,
    Failed(Arc<SourceError>),
    /// Its token was cancelled (it lost, the source timed out, the gather stopped).
    Cut,
}

/// An attempt's future, done: which attempt, how, and its rows.
struct Landed {
    attempt: usize,
    ended: Ended,
    sink: RowSink,
}

/// Why the loop stopped.
enum Done {
    Won(usize),
    Failed,
    Cut(Outcome),
}

/// Runs the attempts of `ctx`'s source until one succeeds or none can, within the source's
/// timeout, under `token` (the source's; each attempt holds a child of it).
pub(super) async fn run(ctx: &TaskCtx, token: &CancellationToken) -> Attempted {
    let planned = &ctx.shared.plan.sources[ctx.index];
    let mut s = Attempts::new(ctx, planned, token);
    let limit_at = s.began + planned.timeout;
    s.launch(0, AttemptKind::First);
    let far = s.began + NO_DEADLINE;
    let done = loop {
        let done = tokio::select! {
            biased;
            Some(landed) = s.flights.next() => s.land(landed),
            () = token.cancelled() => Some(Done::Cut(ctx.shared.stopped_outcome())),
            () = tokio::time::sleep_until(limit_at) => Some(Done::Cut(Outcome::Timeout {
                limit: planned.timeout,
                cause: TimeoutCause::Source,
            })),
            () = tokio::time::sleep_until(s.hedge_at.unwrap_or(far)), if s.hedge_at.is_some() => {
                s.hedge();
                None
            }
            () = tokio::time::sleep_until(s.retry_at.unwrap_or(far)), if s.retry_at.is_some() => {
                s.retry();
                None
            }
        };
        if let Some(done) = done {
            break done;
        }
    };
    s.finish(done).await
}

/// The state of one source's attempts.
struct Attempts<'c> {
    ctx: &'c TaskCtx,
    planned: &'c PlannedSource,
    /// The source's token; each attempt gets a child.
    token: &'c CancellationToken,
    budget: &'c HedgeBudget,
    /// When the first attempt went out: the source's timeout counts from here.
    began: Instant,
    /// Attempts in flight.
    flights: FuturesUnordered<BoxFuture<'static, Landed>>,
    /// Every attempt so far; an attempt in flight has a placeholder outcome.
    sent: Vec<Attempt>,
    /// Per attempt, its token while it is in flight.
    tokens: Vec<Option<CancellationToken>>,
    /// Per replica: an attempt is in flight there.
    busy: Vec<bool>,
    /// Per replica: tried in this round (a round ends with a backoff).
    tried: Vec<bool>,
    /// The replica of the latest attempt.
    last: usize,
    retries_done: usize,
    /// When the next hedge goes out, if one may.
    hedge_at: Option<Instant>,
    /// When the next retry goes out, after a backoff.
    retry_at: Option<Instant>,
    /// A final error was seen: no new attempts, only those in flight may still win.
    closed: bool,
    final_error: Option<Arc<SourceError>>,
    last_error: Option<Arc<SourceError>>,
    /// Sinks of the attempts that ended, with the attempt each belongs to.
    spent: Vec<(usize, RowSink)>,
    rng: fastrand::Rng,
}

impl<'c> Attempts<'c> {
    fn new(ctx: &'c TaskCtx, planned: &'c PlannedSource, token: &'c CancellationToken) -> Self {
        let n = planned.replica_count();
        Self {
            ctx,
            planned,
            token,
            budget: &ctx.budget,
            began: Instant::now(),
            flights: FuturesUnordered::new(),
            sent: Vec::new(),
            tokens: Vec::new(),
            busy: vec![false; n],
            tried: vec![false; n],
            last: 0,
            retries_done: 0,
            hedge_at: None,
            retry_at: None,
            closed: false,
            final_error: None,
            last_error: None,
            spent: Vec::new(),
            rng: fastrand::Rng::new(),
        }
    }

    /// Sends attempt number `attempts.len()` to `replica`, and arms the next hedge.
    fn launch(&mut self, replica: usize, kind: AttemptKind) {
        let (target, source) = self.planned.replica(replica);
        let attempt = self.sent.len();
        let at = self.ctx.start.elapsed();
        tracing::debug!(source = %self.planned.name, attempt, replica, kind = kind.as_str(), "attempt");
        self.sent.push(Attempt {
            target: target.to_owned(),
            replica,
            kind,
            start: at,
            end: at,
            outcome: Outcome::Cancelled(CancelReason::Lost),
        });
        let token = self.token.child_token();
        self.tokens.push(Some(token.clone()));
        self.busy[replica] = true;
        self.tried[replica] = true;
        self.last = replica;
        let request = Request {
            query: self.planned.query.clone(),
            allow_writes: self.ctx.shared.plan.allow_writes,
            timeout: self.planned.timeout,
            cancel: token,
            cleanup: self.ctx.shared.plan.cleanup.clone(),
            columns: self.ctx.shared.plan.columns.clone(),
        };
        let sink = RowSink::reporting(
            self.ctx.limits.clone(),
            self.ctx.shared.events_tx.clone(),
            self.ctx.shared.generation,
            self.ctx.index,
            self.ctx.start,
        );
        self.flights
            .push(flight(attempt, source.clone(), request, sink).boxed());
        self.arm_hedge();
    }

    /// Arms the next hedge after the latest attempt, if the source hedges and a replica is
    /// free for it.
    fn arm_hedge(&mut self) {
        self.hedge_at = None;
        if self.closed || self.next_free().is_none() {
            return;
        }
        if let Some(delay) = hedge::hedge_delay(&self.planned.policy, &self.planned.history) {
            self.hedge_at = Some(Instant::now() + delay);
        }
    }

    /// The next replica after the latest one that is neither in flight nor tried this round.
    fn next_free(&self) -> Option<usize> {
        let n = self.busy.len();
        (1..=n)
            .map(|step| (self.last + step) % n)
            .find(|&r| !self.busy[r] && !self.tried[r])
    }

    /// The hedge timer fired: send one if the budget allows.
    fn hedge(&mut self) {
        self.hedge_at = None;
        let Some(replica) = self.next_free() else {
            return;
        };
        if self.budget.take() {
            self.launch(replica, AttemptKind::Hedge);
        } else {
            tracing::debug!(source = %self.planned.name, "hedge budget of the run spent");
        }
    }

    /// The backoff is over: a new round, starting at the next replica.
    fn retry(&mut self) {
        self.retry_at = None;
        self.tried.fill(false);
        let replica = (self.last + 1) % self.busy.len();
        self.launch(replica, AttemptKind::Retry);
    }

    /// An attempt ended; `Some` when the source is done.
    fn land(&mut self, landed: Landed) -> Option<Done> {
        let Landed {
            attempt,
            ended,
            sink,
        } = landed;
        let replica = self.sent[attempt].replica;
        self.busy[replica] = false;
        self.tokens[attempt] = None;
        self.sent[attempt].end = self.ctx.start.elapsed();
        let error = match ended {
            Ended::Ok => {
                self.sent[attempt].outcome = Outcome::Ok;
                self.spent.push((attempt, sink));
                return Some(Done::Won(attempt));
            }
            // Only the gather's token cuts an attempt that this loop did not cut itself.
            Ended::Cut => {
                self.spent.push((attempt, sink));
                return Some(Done::Cut(self.ctx.shared.stopped_outcome()));
            }
            Ended::Failed(e) => e,
        };
        self.sent[attempt].outcome = Outcome::Error(Arc::clone(&error));
        self.spent.push((attempt, sink));
        if error.is_transient() {
            let after = error.retry_after();
            self.last_error = Some(error);
            self.after_transient(after);
        } else {
            self.final_error = Some(error);
            self.closed = true;
            self.hedge_at = None;
        }
        (self.flights.is_empty() && self.retry_at.is_none()).then_some(Done::Failed)
    }

    /// After a transient failure: the next replica at once; when every replica has been
    /// tried and none is in flight, a retry after the backoff, if there are retries left
    /// and it would start within the source's timeout.
    fn after_transient(&mut self, retry_after: Option<Duration>) {
        if self.closed {
            return;
        }
        if let Some(replica) = self.next_free() {
            self.launch(replica, AttemptKind::Retry);
            return;
        }
        if !self.flights.is_empty() || self.retries_done >= self.planned.policy.retries {
            return;
        }
        let wait = hedge::backoff(
            &self.planned.policy,
            self.retries_done,
            self.rng.f64(),
            retry_after,
        );
        if self.began.elapsed() + wait >= self.planned.timeout {
            tracing::debug!(source = %self.planned.name, ?wait, "no time left for a retry");
            return;
        }
        self.retries_done += 1;
        self.retry_at = Some(Instant::now() + wait);
    }

    /// Cuts every attempt still in flight, waits for their futures to go (each returns at
    /// its next poll), and phrases the source's outcome.
    async fn finish(mut self, done: Done) -> Attempted {
        let (outcome, cut, winner) = match done {
            Done::Won(i) => (Outcome::Ok, Outcome::Cancelled(CancelReason::Lost), Some(i)),
            Done::Cut(outcome) => (outcome.clone(), outcome, None),
            Done::Failed => {
                let error = self.final_error.take().or(self.last_error.take());
                let error = error.expect("a failed source saw an error");
                (
                    Outcome::Error(error),
                    Outcome::Cancelled(CancelReason::Lost),
                    None,
                )
            }
        };
        for token in self.tokens.iter().flatten() {
            token.cancel();
        }
        while let Some(landed) = self.flights.next().await {
            let a = &mut self.sent[landed.attempt];
            a.end = self.ctx.start.elapsed();
            a.outcome = cut.clone();
            self.spent.push((landed.attempt, landed.sink));
        }
        if let Some(i) = winner {
            self.planned.history.record(self.sent[i].latency());
        }
        let sink = self.keep(winner);
        Attempted {
            outcome,
            attempts: self.sent,
            sink,
        }
    }

    /// The sink to keep (the winner's, else the one with the most rows); the others give
    /// their rows back to the gather's total cap.
    fn keep(&mut self, winner: Option<usize>) -> Option<RowSink> {
        let pick = match winner {
            Some(i) => self.spent.iter().position(|(a, _)| *a == i),
            None => (0..self.spent.len()).max_by_key(|&k| self.spent[k].1.rows()),
        }?;
        let (_, kept) = self.spent.swap_remove(pick);
        for (_, other) in self.spent.drain(..) {
            other.discard();
        }
        Some(kept)
    }
}

/// One attempt's future: runs `source` with its own sink until it ends or `request.cancel`
/// (the attempt's token) is cancelled, catching a panic in the source's code.
async fn flight(
    attempt: usize,
    source: Result<Arc<dyn crate::source::Source>, Arc<SourceError>>,
    request: Request,
    mut sink: RowSink,
) -> Landed {
    let source = match source {
        Ok(source) => source,
        Err(e) => {
            return Landed {
                attempt,
                ended: Ended::Failed(e),
                sink,
            };
        }
    };
    let ended = {
        let run = std::panic::AssertUnwindSafe(source.run(&request, &mut sink)).catch_unwind();
        tokio::select! {
            biased;
            () = request.cancel.cancelled() => Ended::Cut,
            result = run => match result {
                Err(payload) => Ended::Failed(Arc::new(panicked(&*payload))),
                Ok(Ok(())) => Ended::Ok,
                // A source that saw the cancel itself and gave up with an error was cut off.
                Ok(Err(_)) if request.cancel.is_cancelled() => Ended::Cut,
                Ok(Err(e)) => Ended::Failed(Arc::new(e)),
            },
        }
    };
    Landed {
        attempt,
        ended,
        sink,
    }
}

#[cfg(test)]
mod tests;
