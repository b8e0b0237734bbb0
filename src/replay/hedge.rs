//! `--hedge-after D`: what hedging would have done for one source, from the attempts the
//! recording holds on each of its replicas.
//!
//! Each replica's first recorded attempt says how that replica answers once asked: an
//! attempt that ended by itself (`ok`, `error`) ends the same time after it is sent; one that
//! was cut off (a hedge's loser, a timeout) was still running when it stopped. Replicas are
//! asked in the order the recording first asked them: the first at the source's start, each
//! next one `D` after the previous, or at once when the previous failed, until one has
//! answered. The first `ok` wins. The hedge budget (`max_extra_load`) is not replayed.

use std::time::Duration;

use super::file::{Attempt, RecordedSource};
use super::schedule::{Behaviour, End};

/// How one replica answers once asked.
struct Replica {
    /// Ends by itself this long after it is asked, with this end; `None`: cut off.
    ends: Option<End>,
    /// Time from being asked to its end (or to being cut off).
    after: Duration,
}

/// Why the recording cannot say what hedging would have done for a source.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Unhedged {
    /// The source has no attempts recorded at all.
    #[error("no attempts recorded (a recording without replicas)")]
    NoAttempts,
    /// Every recorded attempt went to the same replica.
    #[error("no attempt on another replica recorded")]
    OneReplica,
}

/// What `s` does once started when hedged after `after`, or why the recording cannot say.
pub fn behaviour(s: &RecordedSource, after: Duration) -> Result<Behaviour, Unhedged> {
    let replicas = replicas(&s.attempts);
    if replicas.len() < 2 {
        return Err(if s.attempts.is_empty() {
            Unhedged::NoAttempts
        } else {
            Unhedged::OneReplica
        });
    }
    let mut sent = Duration::ZERO;
    let mut best_ok: Option<Duration> = None;
    let mut last_error: Option<(Duration, End)> = None;
    let mut cut_until = Duration::ZERO;
    for r in &replicas {
        if best_ok.is_some_and(|t| t <= sent) {
            break;
        }
        let end = sent + r.after;
        match &r.ends {
            Some(End::Ok) => best_ok = Some(best_ok.map_or(end, |t| t.min(end))),
            Some(e @ End::Error { .. }) => {
                if last_error.as_ref().is_none_or(|(t, _)| *t < end) {
                    last_error = Some((end, e.clone()));
                }
            }
            None => cut_until = cut_until.max(end),
        }
        let failed_at = matches!(r.ends, Some(End::Error { .. })).then_some(end);
        sent = failed_at.map_or(sent + after, |f| f.min(sent + after));
    }
    Ok(match (best_ok, last_error) {
        // A replica cut off earlier might have answered sooner; the known winner is an
        // upper bound.
        (Some(t), _) => Behaviour::Ends {
            after: t,
            end: End::Ok,
        },
        (None, Some((t, end))) if cut_until <= t => Behaviour::Ends { after: t, end },
        (None, _) => Behaviour::AtLeast { ran: cut_until },
    })
}

/// Each target's first attempt, in the order targets were first asked.
fn replicas(attempts: &[Attempt]) -> Vec<Replica> {
    let mut seen: Vec<&str> = Vec::new();
    let mut out = Vec::new();
    let mut sorted: Vec<&Attempt> = attempts.iter().collect();
    sorted.sort_by(|a, b| a.start_ms.total_cmp(&b.start_ms));
    for a in sorted {
        if seen.contains(&a.target.as_str()) {
            continue;
        }
        seen.push(&a.target);
        let end_ms = a.end_ms.unwrap_or(a.start_ms);
        let after = Duration::from_secs_f64(((end_ms - a.start_ms) / 1000.0).max(0.0));
        let ends = match a.state.as_str() {
            "ok" => Some(End::Ok),
            "error" => Some(End::Error {
                message: format!("{}: failed", a.target),
                transient: true,
            }),
            _ => None,
        };
        out.push(Replica { ends, after });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::State;

    fn attempt(target: &str, start: f64, end: f64, state: &str) -> Attempt {
        Attempt {
            target: target.into(),
            start_ms: start,
            end_ms: Some(end),
            state: state.into(),
            kind: String::new(),
        }
    }

    fn source(attempts: Vec<Attempt>) -> RecordedSource {
        RecordedSource {
            name: "a".into(),
            kind: "sim".into(),
            state: State::Ok,
            error: None,
            transient: None,
            by_deadline: false,
            rows: 1,
            timeout: Duration::from_secs(10),
            started: Some(Duration::ZERO),
            first_row: None,
            finished: Duration::from_secs(1),
            warnings: Vec::new(),
            attempts,
        }
    }

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    #[test]
    fn a_hedge_wins_when_the_first_replica_is_slow() {
        // The recording: replica 1 took 1 s; replica 2 (asked by a hedge at 100 ms) 10 ms.
        let s = source(vec![
            attempt("r1", 0.0, 1000.0, "ok"),
            attempt("r2", 100.0, 110.0, "cancelled"),
        ]);
        // r2 was cut off after 10 ms: not known to answer; r1's answer stands.
        assert_eq!(
            behaviour(&s, ms(30)).unwrap(),
            Behaviour::Ends {
                after: ms(1000),
                end: End::Ok
            }
        );
        let s = source(vec![
            attempt("r1", 0.0, 1000.0, "cancelled"),
            attempt("r2", 100.0, 110.0, "ok"),
        ]);
        assert_eq!(
            behaviour(&s, ms(30)).unwrap(),
            Behaviour::Ends {
                after: ms(40),
                end: End::Ok
            }
        );
    }

    #[test]
    fn the_first_answer_before_the_hedge_means_no_hedge() {
        let s = source(vec![
            attempt("r1", 0.0, 20.0, "ok"),
            attempt("r2", 50.0, 60.0, "ok"),
        ]);
        assert_eq!(
            behaviour(&s, ms(30)).unwrap(),
            Behaviour::Ends {
                after: ms(20),
                end: End::Ok
            }
        );
    }

    #[test]
    fn a_failed_replica_moves_on_at_once() {
        let s = source(vec![
            attempt("r1", 0.0, 5.0, "error"),
            attempt("r2", 5.0, 25.0, "ok"),
        ]);
        assert_eq!(
            behaviour(&s, ms(100)).unwrap(),
            Behaviour::Ends {
                after: ms(25),
                end: End::Ok
            }
        );
    }

    #[test]
    fn without_attempts_on_two_replicas_hedging_cannot_be_replayed() {
        assert_eq!(
            behaviour(&source(Vec::new()), ms(30)),
            Err(Unhedged::NoAttempts)
        );
        let one = source(vec![
            attempt("r1", 0.0, 5.0, "error"),
            attempt("r1", 10.0, 20.0, "ok"),
        ]);
        assert_eq!(behaviour(&one, ms(30)), Err(Unhedged::OneReplica));
    }
}
