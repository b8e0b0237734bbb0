//! A replay beside its recording: as text for a person, as JSON (`--format json`) shaped
//! like `--once`'s.

use std::fmt::Write as _;
use std::time::Duration;

use serde_json::{Value, json};

use super::file::Limits;
use super::schedule::{Fate, Run, Schedule};
use super::{Replay, schedule::TIMER_GRAIN};
use crate::display;

/// Sources listed one by one in the text: all of them up to this many, else only those whose
/// state or start changed, up to this many.
const LISTED: usize = 20;

impl Fate {
    /// The state name (`--once`'s, plus `unknown`).
    #[must_use]
    pub fn name(&self) -> &'static str {
        match self {
            Self::Ok => "ok",
            Self::Error { .. } => "error",
            Self::Timeout { .. } => "timeout",
            Self::Cancelled(_) => "cancelled",
            Self::Skipped(_) => "skipped",
            Self::Unknown { .. } => "unknown",
        }
    }

    /// The message beside the state, as `--once` words it.
    #[must_use]
    pub fn message(&self) -> Option<String> {
        match self {
            Self::Ok | Self::Unknown { .. } => None,
            Self::Error { message, .. } => Some(message.clone()),
            Self::Timeout { limit, by_deadline } => Some(format!(
                "{} {}",
                if *by_deadline { "deadline" } else { "timeout" },
                humantime::format_duration(*limit)
            )),
            Self::Cancelled(m) | Self::Skipped(m) => Some(m.clone()),
        }
    }

    /// For an unknown outcome, what the recording does and does not say.
    #[must_use]
    pub fn note(&self) -> Option<String> {
        match self {
            Self::Unknown { ran, limit } => Some(format!(
                "cut off after {} in the recording; under a {} limit it may have ended \
                 either way (its slot is held to the limit)",
                millis(*ran),
                humantime::format_duration(*limit)
            )),
            _ => None,
        }
    }
}

/// The replay as `{"recorded": ..., "replayed": ...}`, each side shaped like `--once`'s JSON
/// (without the rows), plus which sources were lost, saved or left unknown.
#[must_use]
pub fn json(r: &Replay) -> Value {
    let names = |pick: &dyn Fn(&Run, &Run) -> bool| -> Vec<&str> {
        changed(r, pick)
            .map(|i| r.recorded.sources[i].name.as_str())
            .collect()
    };
    json!({
        "file": r.path.display().to_string(),
        "run": r.recorded.line,
        "recorded": side(r, &r.recorded.limits, &r.as_recorded),
        "replayed": side(r, &r.limits, &r.replayed),
        "lost": names(&|a, b| a.fate == Fate::Ok && b.fate != Fate::Ok),
        "saved": names(&|a, b| a.fate != Fate::Ok && b.fate == Fate::Ok),
        "unknown": names(&|_, b| matches!(b.fate, Fate::Unknown { .. })),
        "not_hedged": r.unhedged.iter().map(|(i, why)| json!({
            "name": r.recorded.sources[*i].name,
            "why": why.to_string(),
        })).collect::<Vec<_>>(),
    })
}

fn side(r: &Replay, limits: &Limits, s: &Schedule) -> Value {
    let sources: Vec<Value> = r
        .recorded
        .sources
        .iter()
        .zip(&s.runs)
        .map(|(src, run)| {
            json!({
                "name": src.name,
                "kind": src.kind,
                "state": run.fate.name(),
                "latency_ms": run.latency().as_millis() as u64,
                "rows": if run.fate == Fate::Ok { src.rows } else { 0 },
                "error": run.fate.message(),
                "transient": match &run.fate {
                    Fate::Error { transient, .. } => Some(*transient),
                    _ => None,
                },
                "warnings": if run.fate == Fate::Ok { src.warnings.clone() } else { Vec::new() },
                "started_ms": run.started.map(|d| d.as_millis() as u64),
                "finished_ms": run.finished.as_millis() as u64,
                "note": run.fate.note(),
            })
        })
        .collect();
    let (p50, p99) = percentiles(s);
    json!({
        "query": r.recorded.query,
        "limits": {
            "timeout_ms": limits.timeout.as_millis() as u64,
            "deadline_ms": limits.deadline.map(|d| d.as_millis() as u64),
            "concurrency": limits.concurrency,
            "mode": limits.mode.as_str(),
            "hedge_after_ms": limits.hedge_after.map(|d| d.as_millis() as u64),
        },
        "elapsed_ms": s.elapsed.as_millis() as u64,
        "aborted": s.aborted,
        "p50_ms": p50.map(|d| d.as_millis() as u64),
        "p99_ms": p99.map(|d| d.as_millis() as u64),
        "sources": sources,
    })
}

/// Indices of the sources whose recorded and replayed runs satisfy `pick`.
fn changed<'a>(
    r: &'a Replay,
    pick: &'a dyn Fn(&Run, &Run) -> bool,
) -> impl Iterator<Item = usize> + 'a {
    r.as_recorded
        .runs
        .iter()
        .zip(&r.replayed.runs)
        .enumerate()
        .filter(move |(_, (a, b))| pick(a, b))
        .map(|(i, _)| i)
}

/// p50 and p99 (nearest rank) of the latencies of the sources that ran, whose outcome is
/// known.
fn percentiles(s: &Schedule) -> (Option<Duration>, Option<Duration>) {
    let mut latencies: Vec<Duration> = s
        .runs
        .iter()
        .filter(|r| r.started.is_some() && !matches!(r.fate, Fate::Unknown { .. }))
        .map(Run::latency)
        .collect();
    latencies.sort_unstable();
    let at = |p: f64| {
        let rank = ((p * latencies.len() as f64).ceil() as usize).max(1);
        latencies.get(rank - 1).copied()
    };
    (at(0.50), at(0.99))
}

/// The replay as text: the limits, wall time, states and percentiles side by side, the
/// sources lost, saved and unknown, then the sources one by one.
#[must_use]
pub fn text(r: &Replay) -> String {
    let mut s = String::new();
    let n = r.recorded.sources.len();
    let _ = writeln!(
        s,
        "run {} of {} (recorded {}), {n} sources, replayed in virtual time",
        r.recorded.line,
        r.path.display(),
        r.recorded.recorded_at
    );
    let rec = &r.recorded.limits;
    let rows: [(&str, String, String); 8] = [
        ("timeout", dur(rec.timeout), dur(r.limits.timeout)),
        ("deadline", opt(rec.deadline), opt(r.limits.deadline)),
        (
            "concurrency",
            conc(rec.concurrency),
            conc(r.limits.concurrency),
        ),
        (
            "mode",
            rec.mode.as_str().into(),
            r.limits.mode.as_str().into(),
        ),
        ("hedge after", "as recorded".into(), hedge(&r.limits)),
        (
            "wall time",
            aborted(&r.as_recorded, millis(r.as_recorded.elapsed)),
            aborted(&r.replayed, wall(r)),
        ),
        ("states", counts(&r.as_recorded), counts(&r.replayed)),
        ("p50 / p99", pcts(&r.as_recorded), pcts(&r.replayed)),
    ];
    let width = rows
        .iter()
        .map(|(_, a, _)| display::width(a))
        .max()
        .unwrap_or(0)
        + 2;
    let _ = writeln!(
        s,
        "  {:12} {} replayed",
        "",
        display::pad("recorded", width, false)
    );
    for (label, a, b) in rows {
        let _ = writeln!(s, "  {label:12} {} {b}", display::pad(&a, width, false));
    }
    changes(&mut s, r);
    sources(&mut s, r);
    s
}

fn changes(s: &mut String, r: &Replay) {
    let list = |pick: &dyn Fn(&Run, &Run) -> bool| -> String {
        let names: Vec<&str> = changed(r, pick)
            .map(|i| r.recorded.sources[i].name.as_str())
            .collect();
        fold(&names)
    };
    let _ = writeln!(
        s,
        "lost (ok, not in the replay): {}",
        list(&|a, b| a.fate == Fate::Ok && b.fate != Fate::Ok)
    );
    let _ = writeln!(
        s,
        "saved (ok only in the replay): {}",
        list(&|a, b| a.fate != Fate::Ok && b.fate == Fate::Ok)
    );
    let unknown: Vec<usize> = changed(r, &|_, b| matches!(b.fate, Fate::Unknown { .. })).collect();
    if !unknown.is_empty() {
        let names: Vec<&str> = unknown
            .iter()
            .map(|&i| r.recorded.sources[i].name.as_str())
            .collect();
        let _ = writeln!(
            s,
            "unknown: {} (cut off in the recording before the replay's limit: the recording \
             cannot say how they end; each holds its slot to its limit)",
            fold(&names)
        );
    }
    for (i, why) in r.unhedged.iter().take(LISTED) {
        let _ = writeln!(
            s,
            "not hedged: {}: {why}; replayed as recorded",
            r.recorded.sources[*i].name
        );
    }
    if r.unhedged.len() > LISTED {
        let _ = writeln!(s, "and {} more not hedged", r.unhedged.len() - LISTED);
    }
}

fn sources(s: &mut String, r: &Replay) {
    let total = r.recorded.sources.len();
    let all = total <= LISTED;
    let shown: Vec<usize> = (0..total)
        .filter(|&i| {
            let (was, now) = (&r.as_recorded.runs[i], &r.replayed.runs[i]);
            all || was.fate.name() != now.fate.name() || differs(was.started, now.started)
        })
        .collect();
    if shown.is_empty() {
        let _ = writeln!(s, "every source: same state and start as recorded");
        return;
    }
    let width = shown
        .iter()
        .map(|&i| crate::display::width(&r.recorded.sources[i].name))
        .max()
        .unwrap_or(4)
        .max(7);
    let title = if all { "sources" } else { "changed" };
    let listed = &shown[..shown.len().min(LISTED)];
    let cells: Vec<(String, String)> = listed
        .iter()
        .map(|&i| (cell(&r.as_recorded.runs[i]), cell(&r.replayed.runs[i])))
        .collect();
    let left = cells
        .iter()
        .map(|(a, _)| crate::display::width(a))
        .max()
        .unwrap_or(0)
        .max(8);
    let _ = writeln!(
        s,
        "\n  {} {} replayed",
        crate::display::pad(title, width, false),
        crate::display::pad("recorded", left, false)
    );
    for (&i, (was, now)) in listed.iter().zip(&cells) {
        let name = crate::display::pad(&r.recorded.sources[i].name, width, false);
        let line = format!("  {name} {} {now}", crate::display::pad(was, left, false));
        let _ = writeln!(s, "{}", line.trim_end());
    }
    if shown.len() > LISTED {
        let _ = writeln!(
            s,
            "  and {} more (--format json lists every source)",
            shown.len() - LISTED
        );
    }
}

/// Starts that differ by more than the timer's grain.
fn differs(a: Option<Duration>, b: Option<Duration>) -> bool {
    match (a, b) {
        (Some(a), Some(b)) => a.abs_diff(b) > TIMER_GRAIN,
        (a, b) => a.is_some() != b.is_some(),
    }
}

/// `ok      0→25 ms`, `timeout 0→300 ms timeout 300ms`.
fn cell(run: &Run) -> String {
    let span = match run.started {
        Some(start) => format!("{}→{} ms", start.as_millis(), run.finished.as_millis()),
        None => format!("never started, {} ms", run.finished.as_millis()),
    };
    let mut c = format!("{:9} {span}", run.fate.name());
    if let Some(m) = run.fate.message() {
        let _ = write!(c, " ({m})");
    }
    c
}

fn counts(s: &Schedule) -> String {
    let mut by: Vec<(&str, usize)> = Vec::new();
    for run in &s.runs {
        let name = run.fate.name();
        match by.iter_mut().find(|(n, _)| *n == name) {
            Some((_, c)) => *c += 1,
            None => by.push((name, 1)),
        }
    }
    let order = ["ok", "error", "timeout", "cancelled", "skipped", "unknown"];
    by.sort_by_key(|(n, _)| order.iter().position(|o| o == n));
    by.iter()
        .map(|(n, c)| format!("{n} {c}"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn pcts(s: &Schedule) -> String {
    match percentiles(s) {
        (Some(a), Some(b)) => format!("{} / {}", millis(a), millis(b)),
        _ => "-".into(),
    }
}

fn wall(r: &Replay) -> String {
    let w = millis(r.replayed.elapsed);
    let unknown = r
        .replayed
        .runs
        .iter()
        .any(|x| matches!(x.fate, Fate::Unknown { .. }));
    if unknown {
        format!("{w} at most (unknown sources held to their limits)")
    } else {
        w
    }
}

/// `wall`, and that fail-fast aborted the gather, if it did.
fn aborted(s: &Schedule, wall: String) -> String {
    if s.aborted {
        format!("{wall}, fail-fast aborted: no result")
    } else {
        wall
    }
}

fn fold(names: &[&str]) -> String {
    match names.len() {
        0 => "none".into(),
        n if n <= LISTED => names.join(", "),
        n => format!("{}, and {} more", names[..LISTED].join(", "), n - LISTED),
    }
}

fn millis(d: Duration) -> String {
    format!("{} ms", d.as_millis())
}

fn dur(d: Duration) -> String {
    humantime::format_duration(d).to_string()
}

fn opt(d: Option<Duration>) -> String {
    d.map_or_else(|| "none".into(), dur)
}

fn conc(n: usize) -> String {
    if n == 0 { "all".into() } else { n.to_string() }
}

fn hedge(l: &Limits) -> String {
    l.hedge_after.map_or_else(|| "as recorded".into(), dur)
}
