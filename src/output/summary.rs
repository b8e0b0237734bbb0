//! The summary `--once` prints on stderr: one line per source for a handful of sources; for a
//! fleet, the counts by state, latency percentiles across sources, the failed sources and the
//! slowest, so that 10,000 sources fit in a screen or two.

use std::fmt::Write as _;
use std::time::Duration;

use super::SummaryMode;
use crate::engine::GatherResult;
use crate::merge::Merged;
use crate::source::{AttemptKind, Outcome, SourceReport, State};

/// Above this many sources `--summary auto` gives the fleet summary: about what fits on a
/// terminal beside the shell prompt.
pub const FLEET_SUMMARY_ABOVE: usize = 20;
/// Failed sources named one by one before the rest are folded into "and N more".
const FAILED_SHOWN: usize = 50;
/// Slowest sources named.
const SLOWEST_SHOWN: usize = 10;
/// Warnings printed in the fleet summary before the rest are counted.
const WARNINGS_SHOWN: usize = 20;
/// Percentiles of latency across sources the fleet summary gives.
const PERCENTILES: [(&str, f64); 4] = [("p50", 0.50), ("p90", 0.90), ("p99", 0.99), ("max", 1.0)];

/// What the summary says of the merged result: the rows kept and the merge's warnings.
#[derive(Debug, Clone, Copy)]
pub struct MergeFacts<'a> {
    /// Rows in the result.
    pub rows: usize,
    /// The merge's warnings.
    pub warnings: &'a [String],
}

impl<'a> From<&'a Merged> for MergeFacts<'a> {
    fn from(m: &'a Merged) -> Self {
        Self {
            rows: m.batch.num_rows(),
            warnings: &m.warnings,
        }
    }
}

/// The summary for stderr, ending with a total line (and any merge warnings).
#[must_use]
pub fn summary(result: &GatherResult, merged: Option<MergeFacts<'_>>, mode: SummaryMode) -> String {
    let mut s = String::new();
    let is_fleet = mode == SummaryMode::Auto && result.reports.len() > FLEET_SUMMARY_ABOVE;
    if is_fleet {
        fleet(&mut s, &result.reports);
    } else {
        source_lines(&mut s, &result.reports.iter().collect::<Vec<_>>());
    }
    let ok = result
        .reports
        .iter()
        .filter(|r| r.outcome == Outcome::Ok)
        .count();
    let rows = merged.map_or(0, |m| m.rows);
    let _ = write!(
        s,
        "{rows} rows from {ok} of {} sources in {:.2} s",
        result.reports.len(),
        result.elapsed.as_secs_f64()
    );
    s.push_str(&extra_attempts(&result.reports));
    if result.aborted {
        s.push_str(" (fail-fast: aborted, no result)");
    }
    let warnings = super::warnings(result, merged.map_or(&[], |m| m.warnings));
    let shown = if is_fleet {
        WARNINGS_SHOWN
    } else {
        warnings.len()
    };
    for w in warnings.iter().take(shown) {
        let _ = write!(s, "\nwarning: {w}");
    }
    if warnings.len() > shown {
        let folded = warnings.len() - shown;
        let _ = write!(s, "\nand {folded} more warnings (--format json lists them)");
    }
    s.push('\n');
    s
}

/// One aligned line per report.
fn source_lines(s: &mut String, reports: &[&SourceReport]) {
    let width = reports
        .iter()
        .map(|r| crate::display::width(&r.name))
        .max()
        .unwrap_or(0);
    for r in reports {
        let latency = format!("{} ms", r.timing.latency().as_millis());
        let rows = if r.outcome == Outcome::Ok {
            format!("{} rows", r.rows)
        } else {
            "-".into()
        };
        let mut message = r.outcome.message().unwrap_or_default();
        if let Some(note) = attempts_note(r) {
            if !message.is_empty() {
                message.push(' ');
            }
            message.push_str(&note);
        }
        let line = format!(
            "  {}  {:8} {:10} {:>9}  {:>10}  {}",
            crate::display::pad(&r.name, width, false),
            r.kind,
            r.outcome.state().as_str(),
            latency,
            rows,
            message,
        );
        let _ = writeln!(s, "{}", line.trim_end());
    }
}

/// `(2 attempts)`, `(3 attempts, a hedge won)`: said only of a source that made more than
/// one attempt.
fn attempts_note(r: &SourceReport) -> Option<String> {
    if r.attempts.len() < 2 {
        return None;
    }
    let won = r
        .winner()
        .and_then(|w| r.attempts.get(w))
        .map(|a| match a.kind {
            AttemptKind::First => ", the first won",
            AttemptKind::Retry => ", a retry won",
            AttemptKind::Hedge => ", a hedge won",
        });
    Some(format!(
        "({} attempts{})",
        r.attempts.len(),
        won.unwrap_or("")
    ))
}

/// `· 3 retries · 2 hedges`: the run's extra attempts, empty when there were none.
fn extra_attempts(reports: &[SourceReport]) -> String {
    let mut s = String::new();
    for (kind, one, many) in [
        (AttemptKind::Retry, "retry", "retries"),
        (AttemptKind::Hedge, "hedge", "hedges"),
    ] {
        let n: usize = reports.iter().map(|r| r.count(kind)).sum();
        if n > 0 {
            let _ = write!(s, " · {n} {}", if n == 1 { one } else { many });
        }
    }
    s
}

/// Counts, percentiles, the failed sources (folded past [`FAILED_SHOWN`]) and the slowest.
fn fleet(s: &mut String, reports: &[SourceReport]) {
    let mut counts = [0_usize; State::ALL.len()];
    for r in reports {
        let state = r.outcome.state();
        counts[State::ALL.iter().position(|x| *x == state).unwrap_or(0)] += 1;
    }
    let by_state: Vec<String> = State::ALL
        .iter()
        .zip(counts)
        .filter(|(_, n)| *n > 0)
        .map(|(state, n)| format!("{} {n}", state.as_str()))
        .collect();
    let _ = writeln!(s, "{} sources: {}", reports.len(), by_state.join(" · "));
    let mut ran: Vec<&SourceReport> = reports
        .iter()
        .filter(|r| r.timing.started.is_some())
        .collect();
    ran.sort_by_key(|r| std::cmp::Reverse(r.timing.latency()));
    let latencies: Vec<Duration> = ran.iter().rev().map(|r| r.timing.latency()).collect();
    if !latencies.is_empty() {
        let parts: Vec<String> = PERCENTILES
            .iter()
            .map(|(label, p)| format!("{label} {} ms", percentile(&latencies, *p).as_millis()))
            .collect();
        let _ = writeln!(
            s,
            "latency across {} sources that ran: {}",
            latencies.len(),
            parts.join(" · ")
        );
    }
    let failed: Vec<&SourceReport> = reports
        .iter()
        .filter(|r| {
            matches!(
                r.outcome.state(),
                State::Error | State::Timeout | State::Cancelled
            )
        })
        .collect();
    if !failed.is_empty() {
        let _ = writeln!(s, "failed ({}):", failed.len());
        source_lines(s, &failed[..failed.len().min(FAILED_SHOWN)]);
        if failed.len() > FAILED_SHOWN {
            let _ = writeln!(
                s,
                "  and {} more (--summary full or --format json lists every source)",
                failed.len() - FAILED_SHOWN
            );
        }
    }
    if !ran.is_empty() {
        let slowest = &ran[..ran.len().min(SLOWEST_SHOWN)];
        let _ = writeln!(s, "slowest {}:", slowest.len());
        source_lines(s, slowest);
    }
}

/// The nearest-rank percentile `p` (0.0 to 1.0) of `sorted` (ascending, not empty).
#[must_use]
pub fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let rank = (p * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

#[cfg(test)]
mod tests;
