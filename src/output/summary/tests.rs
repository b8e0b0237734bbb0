//! The stderr summary: per-source lines for a few sources, the fleet summary for many.

use std::time::Duration;

use super::*;
use crate::source::Timing;

fn failed(message: &str) -> Outcome {
    Outcome::Error(std::sync::Arc::new(crate::source::SourceError::Failed(
        message.to_owned(),
    )))
}

fn report(index: usize, latency_ms: u64, outcome: Outcome) -> SourceReport {
    SourceReport {
        index,
        name: format!("shard-{index:03}"),
        kind: "sim",
        warnings: Vec::new(),
        attempts: Vec::new(),
        rows: if outcome == Outcome::Ok { 10 } else { 0 },
        outcome,
        timing: Timing {
            started: Some(Duration::ZERO),
            finished: Duration::from_millis(latency_ms),
            ..Timing::default()
        },
    }
}

fn result(reports: Vec<SourceReport>) -> GatherResult {
    GatherResult {
        generation: 1,
        elapsed: Duration::from_millis(1234),
        batches: vec![Vec::new(); reports.len()],
        reports,
        aborted: false,
    }
}

/// 200 sources with latencies 1..=200 ms; every third of the first 180 fails.
fn fleet_result() -> GatherResult {
    let reports = (0..200)
        .map(|i| {
            let outcome = if i % 3 == 0 && i < 180 {
                failed(&format!("boom {i}"))
            } else {
                Outcome::Ok
            };
            report(i, i as u64 + 1, outcome)
        })
        .collect();
    result(reports)
}

#[test]
fn a_few_sources_get_a_line_each() {
    let r = result(vec![
        report(0, 12, Outcome::Ok),
        report(1, 3, failed("refused")),
    ]);
    assert_eq!(
        summary(&r, None, SummaryMode::Auto),
        "  shard-000  sim      ok             12 ms     10 rows\n\
         \x20 shard-001  sim      error           3 ms           -  refused\n\
         0 rows from 1 of 2 sources in 1.23 s\n"
    );
}

#[test]
fn a_fleet_gets_counts_percentiles_failures_and_the_slowest() {
    let text = summary(&fleet_result(), None, SummaryMode::Auto);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0], "200 sources: ok 140 · error 60");
    assert_eq!(
        lines[1],
        "latency across 200 sources that ran: p50 100 ms · p90 180 ms · p99 198 ms · max 200 ms"
    );
    assert_eq!(lines[2], "failed (60):");
    assert_eq!(
        lines[3],
        "  shard-000  sim      error           1 ms           -  boom 0"
    );
    assert_eq!(
        lines[52],
        "  shard-147  sim      error         148 ms           -  boom 147"
    );
    assert_eq!(
        lines[53],
        "  and 10 more (--summary full or --format json lists every source)"
    );
    assert_eq!(lines[54], "slowest 10:");
    assert_eq!(
        lines[55],
        "  shard-199  sim      ok            200 ms     10 rows"
    );
    assert_eq!(
        lines[64],
        "  shard-190  sim      ok            191 ms     10 rows"
    );
    assert_eq!(lines[65], "0 rows from 140 of 200 sources in 1.23 s");
    assert_eq!(lines.len(), 66);
}

#[test]
fn full_keeps_a_line_per_source() {
    let text = summary(&fleet_result(), None, SummaryMode::Full);
    assert_eq!(text.lines().count(), 201);
}

#[test]
fn ten_thousand_sources_stay_under_a_hundred_lines() {
    let reports = (0..10_000)
        .map(|i| {
            report(
                i,
                (i % 97) as u64,
                if i % 50 == 0 {
                    failed("x")
                } else {
                    Outcome::Ok
                },
            )
        })
        .collect();
    let text = summary(&result(reports), None, SummaryMode::Auto);
    assert!(text.lines().count() < 100, "{}", text.lines().count());
    assert!(text.contains("and 150 more"), "{text}");
}

#[test]
fn percentiles_use_the_nearest_rank() {
    let ms = |v: &[u64]| {
        v.iter()
            .map(|m| Duration::from_millis(*m))
            .collect::<Vec<_>>()
    };
    let sorted = ms(&[10, 20, 30, 40]);
    assert_eq!(percentile(&sorted, 0.5), Duration::from_millis(20));
    assert_eq!(percentile(&sorted, 0.9), Duration::from_millis(40));
    assert_eq!(percentile(&sorted, 0.0), Duration::from_millis(10));
    assert_eq!(percentile(&ms(&[7]), 0.99), Duration::from_millis(7));
}

#[test]
fn a_fleet_folds_its_warnings() {
    let reports = (0..30)
        .map(|i| SourceReport {
            warnings: vec!["column a renamed a_2".into()],
            ..report(i, 5, Outcome::Ok)
        })
        .collect();
    let text = summary(&result(reports), None, SummaryMode::Auto);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(
        lines.iter().filter(|l| l.starts_with("warning: ")).count(),
        20
    );
    assert_eq!(
        lines[lines.len() - 2],
        "warning: shard-019: column a renamed a_2"
    );
    assert_eq!(
        lines[lines.len() - 1],
        "and 10 more warnings (--format json lists them)"
    );
}
