//! Figures across the sources of the current run, for the latency distribution view and the
//! concurrency strip: the finished sources' latencies (sorted, so percentiles and histogram
//! bins are lookups), the slowest sources, and how many ran at each moment. Computed by the
//! app a few times a second at most, read by every frame.

use std::time::Duration;

use crate::tui::app::{SourceView, percentile_sorted};

/// Slowest sources named in the distribution view.
pub const SLOWEST: usize = 10;
/// Time buckets of the concurrency strip; a frame maps its columns onto them.
const BUCKETS: usize = 512;
/// Shortest time axis, so a gather of a few milliseconds does not fill the width with one cell.
const MIN_AXIS: Duration = Duration::from_millis(100);

/// The time axis for a run that has lasted `elapsed`: a little longer, ending on a round
/// number. The timeline and the strip share it.
#[must_use]
pub fn axis(elapsed: Duration) -> Duration {
    let d = elapsed.max(MIN_AXIS);
    nice(d + d / 20)
}

/// The smallest of 1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8 × 10ⁿ milliseconds that is at least `d`.
#[must_use]
pub fn nice(d: Duration) -> Duration {
    let ms = d.as_secs_f64() * 1000.0;
    let mut base = 1.0;
    loop {
        for step in [1.0, 1.2, 1.5, 2.0, 2.5, 3.0, 4.0, 5.0, 6.0, 8.0] {
            if step * base >= ms {
                return Duration::from_secs_f64(step * base / 1000.0);
            }
        }
        base *= 10.0;
    }
}

/// Sources running at each moment of the run.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ConcurrencyStrip {
    /// The time the buckets span, from the start of the run.
    pub axis: Duration,
    /// Most sources running at once in each of [`BUCKETS`] equal slices of `axis`.
    pub buckets: Vec<u32>,
    /// Most at once over the run.
    pub peak: u32,
}

impl ConcurrencyStrip {
    /// The strip of `sources` as of `elapsed` into the run (running sources count until now).
    #[must_use]
    pub fn build(sources: &[SourceView], elapsed: Duration) -> Self {
        let axis = axis(elapsed);
        let mut events: Vec<(Duration, i64)> = Vec::with_capacity(sources.len() * 2);
        for s in sources {
            if let Some(start) = s.started {
                events.push((start, 1));
                events.push((s.finished.unwrap_or(elapsed).max(start), -1));
            }
        }
        // At the same instant, an end before a start: a slot handed on is not two at once.
        events.sort_unstable();
        let mut buckets = vec![0u32; BUCKETS];
        let (mut level, mut next) = (0i64, 0);
        for (b, bucket) in buckets.iter_mut().enumerate() {
            let end = axis.mul_f64((b + 1) as f64 / BUCKETS as f64);
            let mut most = level;
            while next < events.len() && events[next].0 < end {
                level += events[next].1;
                most = most.max(level);
                next += 1;
            }
            *bucket = most.max(0) as u32;
        }
        let peak = buckets.iter().copied().max().unwrap_or(0);
        Self {
            axis,
            buckets,
            peak,
        }
    }

    /// Most sources at once from `from` to `to` (`None` past the strip's axis).
    #[must_use]
    pub fn most(&self, from: Duration, to: Duration) -> Option<u32> {
        if self.buckets.is_empty() || from >= self.axis {
            return None;
        }
        let at =
            |t: Duration| ((t.as_secs_f64() / self.axis.as_secs_f64()) * BUCKETS as f64) as usize;
        let a = at(from).min(BUCKETS - 1);
        let b = at(to).clamp(a + 1, BUCKETS);
        self.buckets[a..b].iter().copied().max()
    }
}

/// Latency figures across the sources of this run.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FleetStats {
    /// Latencies of the sources that finished (any outcome but skipped), ascending.
    pub latencies: Vec<Duration>,
    /// Sources still running or waiting.
    pub unfinished: usize,
    /// The slowest sources (finished or still running), slowest first.
    pub slowest: Vec<usize>,
    /// Sources running at each moment.
    pub strip: ConcurrencyStrip,
}

impl FleetStats {
    /// The figures of `sources`, `elapsed` into the run.
    #[must_use]
    pub fn build(sources: &[SourceView], elapsed: Duration) -> Self {
        let mut latencies = Vec::with_capacity(sources.len());
        let mut unfinished = 0;
        let mut started: Vec<(Duration, usize)> = Vec::new();
        for (i, s) in sources.iter().enumerate() {
            if !s.state.is_final() {
                unfinished += 1;
            }
            let Some(latency) = s.latency(elapsed) else {
                continue;
            };
            if s.state.is_final() {
                latencies.push(latency);
            }
            started.push((latency, i));
        }
        latencies.sort_unstable();
        let k = SLOWEST.min(started.len());
        if k > 0 && k < started.len() {
            started.select_nth_unstable_by(k - 1, |a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
        }
        started.truncate(k);
        started.sort_unstable_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
        Self {
            latencies,
            unfinished,
            slowest: started.into_iter().map(|(_, i)| i).collect(),
            strip: ConcurrencyStrip::build(sources, elapsed),
        }
    }

    /// The `p`-th percentile of the finished sources' latencies.
    #[must_use]
    pub fn percentile(&self, p: u32) -> Option<Duration> {
        percentile_sorted(&self.latencies, p)
    }

    /// The slowest finished source's latency.
    #[must_use]
    pub fn max(&self) -> Option<Duration> {
        self.latencies.last().copied()
    }

    /// Finished sources per bin of `bins` equal slices of `0..=top` (latencies above `top` in
    /// the last bin).
    #[must_use]
    pub fn histogram(&self, bins: usize, top: Duration) -> Vec<usize> {
        let mut counts = vec![0; bins];
        if bins == 0 || top.is_zero() {
            return counts;
        }
        let mut from = 0;
        for (b, count) in counts.iter_mut().enumerate() {
            let end = if b + 1 == bins {
                self.latencies.len()
            } else {
                let edge = top.mul_f64((b + 1) as f64 / bins as f64);
                self.latencies.partition_point(|&l| l < edge)
            };
            *count = end.saturating_sub(from);
            from = end.max(from);
        }
        counts
    }
}
