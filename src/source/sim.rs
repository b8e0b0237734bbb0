//! `sim`: a simulated source with a chosen latency, row count and failure behaviour. It
//! produces product rows (`type`, `manufacturer`, `model`, `price`) so it merges with the
//! demo's real catalogs. Deterministic for a given `seed`.

use std::fmt::Write as _;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};

use arrow_array::{ArrayRef, Float64Array, RecordBatch, StringArray};
use arrow_buffer::{Buffer, OffsetBuffer, ScalarBuffer};
use arrow_schema::{DataType, Field, Schema, SchemaRef};
use futures_util::FutureExt;
use futures_util::future::BoxFuture;

use super::{BATCH_ROWS, Request, RowSink, Source, SourceError};
use crate::config::SimSpec;

const TYPES: [&str; 5] = ["laptop", "phone", "headphones", "tablet", "monitor"];
const MAKERS: [&str; 6] = ["Apple", "Samsung", "Sony", "Lenovo", "Dell", "Bose"];

/// A simulated source.
#[derive(Debug)]
pub struct SimSource {
    spec: SimSpec,
    /// Runs of this source whose future is still alive; a run cut off by a timeout or a cancel
    /// must bring it back to 0 (the tests check that the work stopped, not only the waiting).
    live: Arc<AtomicUsize>,
}

/// Decrements the live-run count when a run's future ends or is dropped.
struct LiveGuard(Arc<AtomicUsize>);

impl Drop for LiveGuard {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

impl SimSource {
    /// A source behaving as `spec` says.
    #[must_use]
    pub fn new(spec: SimSpec) -> Self {
        Self {
            spec,
            live: Arc::new(AtomicUsize::new(0)),
        }
    }

    /// How many runs of this source are in progress.
    #[must_use]
    pub fn live_runs(&self) -> usize {
        self.live.load(Ordering::SeqCst)
    }

    async fn run_inner(&self, sink: &mut RowSink) -> Result<(), SourceError> {
        self.live.fetch_add(1, Ordering::SeqCst);
        let _guard = LiveGuard(Arc::clone(&self.live));
        let mut rng = Rng::new(self.spec.seed.unwrap_or_else(Rng::fresh_seed));
        let (lo, hi) = self.spec.latency;
        let mut latency = lo + hi.checked_sub(lo).unwrap().mul_f64(rng.unit());
        // Drawn only when there is a tail, so a seeded source without one keeps its rows.
        if self.spec.tail > 0.0 && rng.unit() < self.spec.tail {
            latency = self.spec.tail_latency.mul_f64(0.9 + 0.2 * rng.unit());
        }
        if self.spec.hang {
            std::future::pending::<()>().await;
        }
        tokio::time::sleep(latency).await;
        if let Some(message) = &self.spec.panic {
            panic!("{message}");
        }
        if let Some(message) = &self.spec.error {
            return Err(SourceError::Failed(message.clone()));
        }
        // `fail` stands for a flaky server: a run that failed this way may pass the next time.
        if rng.unit() < self.spec.fail {
            return Err(SourceError::transient(format!(
                "simulated failure (fail = {})",
                self.spec.fail
            )));
        }
        let mut left = self.spec.rows;
        while left > 0 {
            let n = left.min(BATCH_ROWS);
            sink.push(product_batch(&mut rng, n))?;
            left -= n;
            if left > 0 {
                tokio::task::yield_now().await;
            }
        }
        Ok(())
    }
}

impl Source for SimSource {
    fn run<'a>(
        &'a self,
        _: &'a Request,
        sink: &'a mut RowSink,
    ) -> BoxFuture<'a, Result<(), SourceError>> {
        self.run_inner(sink).boxed()
    }

    fn describe(&self) -> String {
        let s = &self.spec;
        let latency = if s.latency.0 == s.latency.1 {
            humantime::format_duration(s.latency.0).to_string()
        } else {
            format!(
                "{}..{}",
                humantime::format_duration(s.latency.0),
                humantime::format_duration(s.latency.1)
            )
        };
        let mut d = format!("simulated: latency {latency}, {} rows", s.rows);
        if let Some(e) = &s.error {
            let _ = write!(d, ", always fails: {e}");
        }
        if s.fail > 0.0 {
            let _ = write!(d, ", fails {:.0}% of runs", s.fail * 100.0);
        }
        if s.tail > 0.0 {
            let _ = write!(
                d,
                ", {:.1}% of runs take about {}",
                s.tail * 100.0,
                humantime::format_duration(s.tail_latency)
            );
        }
        if s.hang {
            d.push_str(", never answers");
        }
        d
    }
}

/// The schema of every sim batch, shared: a batch per source would otherwise build its own
/// (five allocations), and the merge skips a schema it saw on the batch before.
fn product_schema() -> SchemaRef {
    static SCHEMA: OnceLock<SchemaRef> = OnceLock::new();
    Arc::clone(SCHEMA.get_or_init(|| {
        let text = |name| Field::new(name, DataType::Utf8, false);
        Arc::new(Schema::new(vec![
            text("type"),
            text("manufacturer"),
            text("model"),
            Field::new("price", DataType::Float64, false),
        ]))
    }))
}

/// A string column built in plain `Vec`s and handed to Arrow without a copy: Arrow's own
/// builders make 64-byte-aligned allocations, which cost more than the rows at fleet size
/// (10,000 sources of 10 rows).
struct TextColumn {
    offsets: Vec<i32>,
    values: Vec<u8>,
}

impl TextColumn {
    fn with_capacity(rows: usize, bytes: usize) -> Self {
        let mut offsets = Vec::with_capacity(rows + 1);
        offsets.push(0);
        Self {
            offsets,
            values: Vec::with_capacity(bytes),
        }
    }

    /// Ends the value written into `values` since the last call.
    fn end_value(&mut self) {
        self.offsets.push(self.values.len() as i32);
    }

    fn push(&mut self, s: &str) {
        self.values.extend_from_slice(s.as_bytes());
        self.end_value();
    }

    fn finish(self) -> ArrayRef {
        let offsets = OffsetBuffer::new(ScalarBuffer::from(self.offsets));
        Arc::new(StringArray::new(
            offsets,
            Buffer::from_vec(self.values),
            None,
        ))
    }
}

/// `n` product rows drawn from `rng`.
fn product_batch(rng: &mut Rng, n: usize) -> RecordBatch {
    let mut types = TextColumn::with_capacity(n, n * 8);
    let mut makers = TextColumn::with_capacity(n, n * 7);
    let mut models = TextColumn::with_capacity(n, n * 8);
    let mut prices = Vec::with_capacity(n);
    for _ in 0..n {
        types.push(TYPES[rng.below(TYPES.len())]);
        makers.push(MAKERS[rng.below(MAKERS.len())]);
        let _ = std::io::Write::write_fmt(
            &mut models.values,
            format_args!("SIM-{:04}", rng.below(10_000)),
        );
        models.end_value();
        // Whole cents, divided once, so prices print as 12.34 and not 12.340000000000002.
        prices.push(((rng.unit() * 2000.0 * 100.0).round() + 999.0) / 100.0);
    }
    let columns = vec![
        types.finish(),
        makers.finish(),
        models.finish(),
        Arc::new(Float64Array::from(prices)) as ArrayRef,
    ];
    RecordBatch::try_new(product_schema(), columns).expect("columns match the schema")
}

/// A small deterministic generator (SplitMix64): enough for simulation, no dependency.
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Self {
        Self(seed)
    }

    /// A seed that differs between runs and between sources started at the same instant.
    fn fresh_seed() -> u64 {
        static COUNTER: AtomicUsize = AtomicUsize::new(0);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos() as u64);
        nanos ^ (COUNTER.fetch_add(1, Ordering::Relaxed) as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15)
    }

    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }

    fn below(&mut self, n: usize) -> usize {
        (self.unit() * n as f64) as usize
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_rows() {
        let a = product_batch(&mut Rng::new(7), 20);
        let b = product_batch(&mut Rng::new(7), 20);
        let c = product_batch(&mut Rng::new(8), 20);
        assert_eq!(a, b);
        assert_ne!(a, c);
    }

    #[test]
    fn unit_stays_in_range() {
        let mut r = Rng::new(1);
        assert!(
            (0..10_000)
                .map(|_| r.unit())
                .all(|x| (0.0..1.0).contains(&x))
        );
    }
}
