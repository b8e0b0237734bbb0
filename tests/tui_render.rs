//! Render tests: the dashboard drawn on ratatui's `TestBackend` in the states that matter,
//! compared with snapshots a reviewer can read (`tests/snapshots/`), plus buffer assertions
//! on styles (colour and `NO_COLOR`).

mod tui_common;

use std::time::{Duration, Instant};

use ratatui::style::{Color, Modifier};
use scatter::event::EventKind;
use scatter::source::{CancelReason, Outcome, SourceError, TimeoutCause};
use scatter::tui::{Action, App, Theme};
use tui_common::*;

/// Eight sources, one per state the panel shows.
const MIXED: &str = r#"
query = "SELECT model, price FROM products WHERE price < 1000"
[gather]
timeout = "3s"
deadline = "4s"
concurrency = 6
[merge]
sort = ["-price"]
[[source]]
name = "eu-primary"
kind = "sim"
latency = "20ms"
[[source]]
name = "us-empty"
kind = "sim"
latency = "20ms"
[[source]]
name = "apac"
kind = "sim"
latency = "20ms"
[[source]]
name = "mongodb"
kind = "sim"
hang = true
timeout = "2s"
[[source]]
name = "cancelled"
kind = "sim"
latency = "20ms"
[[source]]
name = "streaming"
kind = "sim"
latency = "20ms"
[[source]]
name = "queued"
kind = "sim"
latency = "20ms"
[[source]]
name = "disabled"
kind = "sim"
latency = "20ms"
enabled = false
"#;

/// MIXED, 2.5 s into its first run: every state on screen.
fn mixed(t0: Instant) -> App {
    let mut app = app(MIXED, t0);
    let g = run(&mut app);
    finish_ok(
        &mut app,
        g,
        0,
        &[("Pixel 8", 699.0), ("Fairphone 5", 649.5)],
        120,
    );
    finish_with(&mut app, g, 1, Outcome::Ok, 40);
    let long = "connection refused: tcp connect to apac-db.internal:5432 failed after 3 \
                attempts (last error: Connection refused (os error 111)); check that the server \
                is running and accepting TCP/IP connections";
    finish_with(&mut app, g, 2, SourceError::Failed(long.into()).into(), 900);
    let timeout = Outcome::Timeout {
        limit: Duration::from_secs(2),
        cause: TimeoutCause::Source,
    };
    finish_with(&mut app, g, 3, timeout, 2001);
    finish_with(&mut app, g, 4, Outcome::Cancelled(CancelReason::User), 300);
    send(
        &mut app,
        g,
        EventKind::Queued {
            source: 5,
            at: ms(0),
        },
    );
    send(
        &mut app,
        g,
        EventKind::Started {
            source: 5,
            at: ms(500),
        },
    );
    send(
        &mut app,
        g,
        EventKind::FirstRow {
            source: 5,
            at: ms(1500),
        },
    );
    send(
        &mut app,
        g,
        EventKind::Rows {
            source: 5,
            rows: 12_345,
        },
    );
    send(
        &mut app,
        g,
        EventKind::Queued {
            source: 6,
            at: ms(0),
        },
    );
    let skipped = scatter::source::SourceReport {
        timing: scatter::source::Timing::default(),
        ..report(
            7,
            "disabled",
            Outcome::Skipped("disabled in the config".into()),
            0,
            0,
        )
    };
    send(
        &mut app,
        g,
        EventKind::Finished {
            report: skipped,
            batches: Vec::new(),
        },
    );
    step(&mut app, Action::Tick(t0 + Duration::from_millis(2500)));
    app
}

#[test]
fn all_pending() {
    let t0 = Instant::now();
    let mut app = app(THREE, t0);
    run(&mut app);
    step(&mut app, Action::Tick(t0 + ms(5)));
    insta::assert_snapshot!(screen(&app, 120, 32));
}

#[test]
fn mixed_outcomes() {
    let app = mixed(Instant::now());
    insta::assert_snapshot!(screen(&app, 140, 45));
}

#[test]
fn long_error_in_the_details() {
    let mut app = mixed(Instant::now());
    app.update(Action::FocusNext);
    app.update(Action::Down(2));
    let s = screen(&app, 140, 45);
    // The sources panel cuts the message; the details show all of it, wrapped.
    assert!(s.contains("tcp conne…"), "{s}");
    for part in ["apac-db.internal:5432", "(os error 111)", "TCP/IP"] {
        assert!(
            s.contains(part),
            "the full error is in the details: {part}\n{s}"
        );
    }
    insta::assert_snapshot!(s);
}

#[test]
fn details_say_a_transient_error_may_pass_and_a_final_one_nothing() {
    let t0 = Instant::now();
    let mut app = app(THREE, t0);
    let g = run(&mut app);
    let busy = SourceError::Transient {
        message: "HTTP 503 Service Unavailable".into(),
        retry_after: Some(Duration::from_secs(7)),
    };
    finish_with(&mut app, g, 0, busy.into(), 15);
    finish_with(
        &mut app,
        g,
        1,
        SourceError::transient("connection refused").into(),
        15,
    );
    finish_with(
        &mut app,
        g,
        2,
        SourceError::Failed("syntax error".into()).into(),
        15,
    );
    gather_done(&mut app, g, 16);
    app.update(Action::FocusNext);
    let details = |app: &App| {
        screen(app, 140, 40)
            .lines()
            .filter_map(|l| {
                l.split_once("││")
                    .map(|(_, d)| d.trim_end_matches('│').trim().to_owned())
            })
            .collect::<Vec<_>>()
    };
    let has = |lines: &[String], want: &str| lines.iter().any(|l| l.starts_with(want));
    let first = details(&app);
    assert!(
        has(&first, "retry  transient; the server asks to wait 7.00 s"),
        "{first:#?}"
    );
    app.update(Action::Down(1));
    let second = details(&app);
    assert!(
        has(&second, "retry  transient: may pass if tried again"),
        "{second:#?}"
    );
    app.update(Action::Down(1));
    let third = details(&app);
    assert!(has(&third, "why    syntax error"), "{third:#?}");
    assert!(
        !has(&third, "retry"),
        "a final error offers no retry: {third:#?}"
    );
}

#[test]
fn warnings_show_in_the_details() {
    let t0 = Instant::now();
    let mut app = app(THREE, t0);
    let g = run(&mut app);
    let report = scatter::source::SourceReport {
        warnings: vec!["column 2 repeats the name \"model\": shown as \"model_2\"".into()],
        ..report(0, "alpha", Outcome::Ok, 1, 15)
    };
    let batches = vec![products(&[("a", 1.0)])];
    send(&mut app, g, EventKind::Finished { report, batches });
    gather_done(&mut app, g, 16);
    app.update(Action::FocusNext);
    let s = screen(&app, 140, 45);
    assert!(
        s.contains("│warn   column 2 repeats the name \"model\": shown as │"),
        "{s}"
    );
    assert!(s.contains("│\"model_2\""), "{s}");
}

#[test]
fn empty_result() {
    let t0 = Instant::now();
    let mut app = app(THREE, t0);
    let g = run(&mut app);
    for i in 0..3 {
        finish_with(&mut app, g, i, Outcome::Ok, 15);
    }
    gather_done(&mut app, g, 16);
    let s = screen(&app, 120, 32);
    assert!(s.contains("no rows: 3 of 3 sources answered, none returned rows"));
    insta::assert_snapshot!(s);
}

#[test]
fn narrow_terminal() {
    let t0 = Instant::now();
    let mut app = mixed(t0);
    app.update(Action::Resize(40, 10));
    let results = screen(&app, 40, 10);
    app.update(Action::FocusNext);
    let sources = screen(&app, 40, 10);
    insta::assert_snapshot!(format!("{results}\n{sources}"));
    app.update(Action::Resize(80, 20));
    insta::assert_snapshot!("medium", screen(&app, 80, 20));
}

#[test]
fn degenerate_sizes_do_not_panic() {
    let app = mixed(Instant::now());
    for (w, h) in [(1, 1), (10, 3), (20, 5), (40, 10), (200, 4), (30, 60)] {
        let _ = screen(&app, w, h);
    }
}

#[test]
fn help_overlay() {
    let mut app = mixed(Instant::now());
    app.update(Action::ToggleHelp);
    insta::assert_snapshot!(screen(&app, 100, 30));
}

#[test]
fn confirmation_names_the_target_sources() {
    let mut app = app(&format!("allow_writes = true\n{THREE}"), Instant::now());
    app.update(Action::Run);
    let s = screen(&app, 100, 30);
    assert!(s.contains("alpha, beta, gamma"), "{s}");
    insta::assert_snapshot!(s);
}

#[test]
fn editing_the_query_shows_it_in_the_footer() {
    let mut app = mixed(Instant::now());
    app.update(Action::EditQuery);
    app.update(Action::Input('!'));
    let s = screen(&app, 140, 45);
    let footer = s.lines().nth(44).unwrap();
    assert_eq!(
        footer,
        " : SELECT model, price FROM products WHERE price < 1000!   Enter run · Tab SQL · Esc cancel · ↑↓ history"
    );
    let mut terminal = draw(&app, 140, 45);
    let cursor = terminal.get_cursor_position().unwrap();
    assert_eq!(
        (cursor.x, cursor.y),
        (56, 44),
        "the cursor after the last character"
    );
    let cell = &terminal.backend().buffer()[(56, 44)];
    assert!(cell.modifier.contains(Modifier::REVERSED));
    // At 60 columns the text scrolls so that the cursor stays on screen; the hint gives way.
    for c in " AND model <> ''".chars() {
        app.update(Action::Input(c));
    }
    let narrow = screen(&app, 60, 15);
    let footer = narrow.lines().nth(14).unwrap();
    assert_eq!(
        footer,
        " :  price FROM products WHERE price < 1000! AND model <> ''"
    );
    let cursor = draw(&app, 60, 15).get_cursor_position().unwrap();
    assert_eq!(cursor.x, 59, "the cursor in the last column");
}

#[test]
fn states_carry_colour_and_a_symbol() {
    let t0 = Instant::now();
    let mut app = mixed(t0);
    app.theme = Theme::colored();
    let terminal = draw(&app, 140, 45);
    let buffer = terminal.backend().buffer();
    // Sources panel rows start at y = 3; the symbol is in the first inner column.
    let symbol = |y: u16| &buffer[(1, y)];
    assert_eq!(symbol(3).symbol(), "✓");
    assert_eq!(symbol(3).fg, Color::Green);
    assert_eq!(symbol(5).symbol(), "✗");
    assert_eq!(symbol(5).fg, Color::Red);
    assert_eq!(symbol(6).symbol(), "◷");
    assert_eq!(symbol(6).fg, Color::Yellow);

    app.theme = Theme::plain();
    let terminal = draw(&app, 140, 45);
    let buffer = terminal.backend().buffer();
    for y in 0..45 {
        for x in 0..140 {
            let cell = &buffer[(x, y)];
            assert_eq!(cell.fg, Color::Reset, "NO_COLOR: no colour at {x},{y}");
            assert_eq!(cell.bg, Color::Reset);
        }
    }
    assert_eq!(
        buffer[(1, 5)].symbol(),
        "✗",
        "the state still reads without colour"
    );
}

#[test]
fn selection_is_reverse_video_and_changed_rows_are_marked() {
    let t0 = Instant::now();
    let text = THREE.replace("deadline = \"5s\"", "deadline = \"5s\"\nwatch = \"5s\"");
    let mut app = app(&text, t0);
    for price in [1.0, 2.0] {
        let g = run(&mut app);
        finish_ok(&mut app, g, 0, &[("steady", 0.5), ("moving", price)], 10);
        finish_ok(&mut app, g, 1, &[("b", 3.0)], 10);
        finish_with(&mut app, g, 2, Outcome::Ok, 10);
        gather_done(&mut app, g, 10);
    }
    app.update(Action::Down(1));
    let s = screen(&app, 140, 45);
    let row = |model: &str| s.lines().find(|l| l.contains(model)).unwrap().to_owned();
    assert!(row("moving").starts_with("│● "), "{}", row("moving"));
    assert!(row("steady").starts_with("│  "), "{}", row("steady"));
    assert!(s.contains("● 1 changed"));
    let terminal = draw(&app, 140, 45);
    let buffer = terminal.backend().buffer();
    let y = s.lines().position(|l| l.contains("moving")).unwrap() as u16;
    assert!(
        buffer[(5, y)].modifier.contains(Modifier::REVERSED),
        "the cursor row"
    );
    insta::assert_snapshot!(s);
}

/// Sources and rows whose text is wide (CJK, emoji), combining or holds a newline.
const WIDE: &str = r#"
query = "SELECT model, price FROM products"
[merge]
sort = ["price"]
[[source]]
name = "東京-primary"
kind = "sim"
[[source]]
name = "plain"
kind = "sim"
[[source]]
name = "café-😀"
kind = "sim"
"#;

/// The screen column where the last `needle` starts on `line`, if it is there.
fn column_of(line: &str, needle: &str) -> Option<usize> {
    line.rfind(needle)
        .map(|at| scatter::display::width(&line[..at]))
}

#[test]
fn wide_text_keeps_every_column_in_line() {
    let t0 = Instant::now();
    let mut app = app(WIDE, t0);
    let g = run(&mut app);
    finish_ok(
        &mut app,
        g,
        0,
        &[("東京タワー限定モデル", 1.5), ("😀😀 smile", 2.0)],
        20,
    );
    finish_ok(
        &mut app,
        g,
        1,
        &[("plain", 3.0), ("e\u{301}le\u{301}gant\nline", 4.0)],
        30,
    );
    finish_ok(&mut app, g, 2, &[("한국어 키보드", 5.0)], 40);
    gather_done(&mut app, g, 50);
    let s = screen(&app, 120, 32);
    let lines: Vec<&str> = s.lines().collect();
    let at = |needle: &str| -> Vec<usize> {
        lines.iter().filter_map(|l| column_of(l, needle)).collect()
    };
    // The results table: prices end in one column and `_source` starts in one column,
    // whatever the width of the model before them.
    let prices: Vec<usize> = ["1.5", "2.0", "3.0", "4.0", "5.0"]
        .iter()
        .map(|p| at(&format!("{p}  "))[0] + 3)
        .collect();
    assert!(prices.windows(2).all(|w| w[0] == w[1]), "{prices:?}\n{s}");
    let table = lines.iter().position(|l| l.contains("_source")).unwrap();
    let sources: Vec<usize> = lines[table..table + 6]
        .iter()
        .filter_map(|l| {
            ["_source", "東京-primary", "plain", "café-😀"]
                .iter()
                .filter_map(|n| column_of(l, n))
                .max()
        })
        .collect();
    assert_eq!(sources.len(), 6, "{s}");
    assert!(sources.windows(2).all(|w| w[0] == w[1]), "{sources:?}\n{s}");
    // The sources panel and the timeline: states and bars start in one column.
    let panel = |marker: &str, needle: &str| -> Vec<usize> {
        lines
            .iter()
            .filter(|l| l.contains(marker))
            .filter_map(|l| column_of(l, needle))
            .collect()
    };
    let states = panel("│✓", "ok  ");
    assert_eq!(states.len(), 3, "{s}");
    assert!(states.windows(2).all(|w| w[0] == w[1]), "{states:?}\n{s}");
    // Every bar starts when its source was queued, at 0: in the first column after the names.
    let bars: Vec<usize> = lines
        .iter()
        .filter(|l| l.contains('█'))
        .filter_map(|l| {
            l.find(['▒', '█'])
                .map(|at| scatter::display::width(&l[..at]))
        })
        .collect();
    assert!(bars.len() >= 3, "{s}");
    assert!(
        bars[bars.len() - 3..].windows(2).all(|w| w[0] == w[1]),
        "{bars:?}\n{s}"
    );
    // The newline shows as a picture, not as a break.
    assert!(s.contains("e\u{301}le\u{301}gant␊line"), "{s}");
    insta::assert_snapshot!(s);
}
