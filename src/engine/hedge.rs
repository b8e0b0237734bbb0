//! The numbers behind retries and hedges: how long a retry waits (exponential backoff with
//! full jitter), when a hedge goes out (`hedge_after`, or the source's recent p95), and the
//! budget that caps the hedges of one run (`max_extra_load`).

use std::collections::VecDeque;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use crate::config::{AttemptPolicy, HedgeAfter};

/// Successful attempts kept per source for its p95: about the last 100 runs (with hedges,
/// a few more attempts), enough for a p95 that moves with the source but not with one run.
const WINDOW: usize = 100;

/// Fewest latencies before `hedge_after = "p95"` trusts them; below it, `hedge_min` is used.
/// With 20 samples the p95 is the second slowest: rough, but no longer one outlier.
const MIN_SAMPLES: usize = 20;

/// A source's recent latencies, kept across the runs of one plan (the plan is shared by every
/// run of a configuration). Written by the source's task when an attempt succeeds; read by
/// the same task when it arms a hedge. The lock is held for a push or a sort of 100 values.
#[derive(Debug, Default)]
pub struct LatencyHistory {
    recent: Mutex<VecDeque<Duration>>,
}

impl LatencyHistory {
    /// Records the latency of a successful attempt.
    pub fn record(&self, latency: Duration) {
        let mut recent = self
            .recent
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if recent.len() == WINDOW {
            recent.pop_front();
        }
        recent.push_back(latency);
    }

    /// The p95 of the recent latencies; `None` with fewer than [`MIN_SAMPLES`].
    #[must_use]
    pub fn p95(&self) -> Option<Duration> {
        let recent = self
            .recent
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if recent.len() < MIN_SAMPLES {
            return None;
        }
        let mut sorted: Vec<Duration> = recent.iter().copied().collect();
        sorted.sort_unstable();
        let rank = (sorted.len() * 95).div_ceil(100);
        Some(sorted[rank.saturating_sub(1)])
    }
}

/// How long after the latest attempt went out a hedge follows; `None`: the source does not
/// hedge.
#[must_use]
pub fn hedge_delay(policy: &AttemptPolicy, history: &LatencyHistory) -> Option<Duration> {
    match policy.hedge_after? {
        HedgeAfter::Fixed(d) => Some(d),
        HedgeAfter::P95 => Some(
            history
                .p95()
                .map_or(policy.hedge_min, |p| p.max(policy.hedge_min)),
        ),
    }
}

/// The wait before retry number `retry` (0 for the first): a uniform draw (`unit` in [0, 1))
/// below `backoff × 2^retry` ("full jitter", so clients that failed together do not come
/// back together), and never less than the server's `Retry-After`.
#[must_use]
pub fn backoff(
    policy: &AttemptPolicy,
    retry: usize,
    unit: f64,
    retry_after: Option<Duration>,
) -> Duration {
    let factor = 1u32.checked_shl(retry.min(31) as u32).unwrap_or(u32::MAX);
    let cap = policy.backoff.saturating_mul(factor);
    cap.mul_f64(unit.clamp(0.0, 1.0))
        .max(retry_after.unwrap_or_default())
}

/// The hedges one run may still send: `max_extra_load` × its sources, rounded up, so a run
/// with any hedging source may send at least one. Shared by the run's source tasks.
#[derive(Debug)]
pub struct HedgeBudget {
    left: AtomicUsize,
}

impl HedgeBudget {
    /// The budget of a run of `requests` sources.
    #[must_use]
    pub fn for_run(share: f64, requests: usize) -> Self {
        let allowed = (share * requests as f64).ceil();
        Self {
            left: AtomicUsize::new(if allowed.is_finite() {
                allowed as usize
            } else {
                0
            }),
        }
    }

    /// Takes one hedge from the budget; `false` when none is left.
    pub fn take(&self) -> bool {
        self.left
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
            .is_ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: Duration = Duration::from_millis(1);

    #[test]
    fn backoff_doubles_its_cap_and_honours_retry_after() {
        let p = AttemptPolicy {
            backoff: MS * 100,
            ..AttemptPolicy::default()
        };
        assert_eq!(backoff(&p, 0, 0.5, None), MS * 50);
        assert_eq!(backoff(&p, 1, 0.5, None), MS * 100);
        assert_eq!(backoff(&p, 3, 0.999_999, None).as_millis(), 799);
        assert_eq!(backoff(&p, 0, 0.0, Some(MS * 2000)), MS * 2000);
        assert!(backoff(&p, 200, 0.5, None) > MS * 1000, "no overflow");
    }

    #[test]
    fn p95_needs_enough_runs_and_then_follows_them() {
        let h = LatencyHistory::default();
        let p = AttemptPolicy {
            hedge_after: Some(HedgeAfter::P95),
            hedge_min: MS * 5,
            ..AttemptPolicy::default()
        };
        for i in 1..20 {
            h.record(MS * i);
        }
        assert_eq!(hedge_delay(&p, &h), Some(MS * 5), "too few runs: hedge_min");
        h.record(MS * 20);
        assert_eq!(hedge_delay(&p, &h), Some(MS * 19));
        for _ in 0..WINDOW {
            h.record(MS);
        }
        assert_eq!(hedge_delay(&p, &h), Some(MS * 5), "never below hedge_min");
    }

    #[test]
    fn the_budget_rounds_up_and_runs_out() {
        let b = HedgeBudget::for_run(0.05, 100);
        assert_eq!((0..10).filter(|_| b.take()).count(), 5);
        let b = HedgeBudget::for_run(0.05, 3);
        assert!(b.take());
        assert!(!b.take());
        assert!(!HedgeBudget::for_run(0.0, 100).take());
    }
}
