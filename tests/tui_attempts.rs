//! A source's attempts in the dashboard: the header counts the run's retries and hedges, the
//! timeline marks where each went out (the winner in capitals), the details list them.

mod tui_common;

use std::time::{Duration, Instant};

use scatter::event::EventKind;
use scatter::source::{Attempt, AttemptKind, CancelReason, Outcome, SourceError};
use scatter::tui::action::Action;
use tui_common::{THREE, app, gather_done, products, report, run, screen, send};

fn attempt(kind: AttemptKind, start: u64, end: u64, outcome: Outcome, target: &str) -> Attempt {
    Attempt {
        target: target.into(),
        replica: 0,
        kind,
        start: Duration::from_millis(start),
        end: Duration::from_millis(end),
        outcome,
    }
}

#[test]
fn attempts_show_in_the_header_the_timeline_and_the_details() {
    let t0 = Instant::now();
    let mut app = app(THREE, t0);
    let g = run(&mut app);
    let refused = Outcome::from(SourceError::transient("connection refused: 127.0.0.1:1"));
    let hedged = scatter::source::SourceReport {
        attempts: vec![
            attempt(
                AttemptKind::First,
                1,
                100,
                Outcome::Cancelled(CancelReason::Lost),
                "pg://a",
            ),
            attempt(AttemptKind::Hedge, 50, 100, Outcome::Ok, "pg://b"),
        ],
        ..report(0, "alpha", Outcome::Ok, 1, 100)
    };
    let retried = scatter::source::SourceReport {
        attempts: vec![
            attempt(AttemptKind::First, 1, 5, refused, "pg://c"),
            attempt(AttemptKind::Retry, 60, 80, Outcome::Ok, "pg://c"),
        ],
        ..report(1, "beta", Outcome::Ok, 1, 80)
    };
    for r in [hedged, retried] {
        let batches = vec![products(&[("a", 1.0)])];
        send(&mut app, g, EventKind::Finished { report: r, batches });
    }
    gather_done(&mut app, g, 120);
    app.update(Action::FocusNext);
    let s = screen(&app, 140, 45);
    assert!(s.contains("1 retry · 1 hedge"), "{s}");
    let row = |name: &str| {
        let row = s.lines().find(|l| l.starts_with(&format!("│ {name} ")));
        row.unwrap_or_else(|| panic!("no timeline row for {name}: {s}"))
    };
    assert!(
        row("alpha").contains("▒H█"),
        "the hedge that won, where it went out: {s}"
    );
    assert!(row("beta").contains("█R█"), "the retry that won: {s}");
    assert!(s.contains("tries  #1 first"), "{s}");
    assert!(s.contains("#2 hedge"), "{s}");
    assert!(s.contains("(won)"), "{s}");
    assert!(s.contains("cancelled: another"), "{s}");
    assert!(s.contains("pg://b"), "{s}");
}
