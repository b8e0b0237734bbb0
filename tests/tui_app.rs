//! The dashboard's state driven headless: actions and engine events in, state and effects out.

mod tui_common;

use std::time::{Duration, Instant};

use scatter::event::EventKind;
use scatter::source::{CancelReason, Outcome, SourceError, State, TimeoutCause};
use scatter::tui::action::{self, KeyMode};
use scatter::tui::{Action, Effect};
use tui_common::*;

fn type_text(app: &mut scatter::tui::App, text: &str) {
    for c in text.chars() {
        app.update(Action::Input(c));
    }
}

/// Runs THREE once: alpha and beta ok, gamma errors.
fn one_run(t0: Instant) -> scatter::tui::App {
    let mut app = app(THREE, t0);
    let g = run(&mut app);
    finish_ok(&mut app, g, 0, &[("a-cheap", 5.0), ("a-dear", 50.0)], 20);
    finish_ok(&mut app, g, 1, &[("b-mid", 20.0), ("b-top", 90.0)], 30);
    finish_with(&mut app, g, 2, SourceError::Failed("boom".into()).into(), 5);
    gather_done(&mut app, g, 31);
    app
}

#[test]
fn finished_run_is_merged_in_the_configured_order() {
    let app = one_run(Instant::now());
    assert_eq!(models(&app), ["a-cheap", "b-mid", "a-dear", "b-top"]);
    assert!(!app.is_running);
    let counts: usize = app.counts().iter().map(|(_, n)| n).sum();
    assert_eq!(counts, 3);
    assert_eq!(app.sources[2].state, State::Error);
}

#[test]
fn counts_always_sum_to_the_sources_while_a_run_progresses() {
    let mut app = app(THREE, Instant::now());
    let g = run(&mut app);
    let total = |app: &scatter::tui::App| app.counts().iter().map(|(_, n)| n).sum::<usize>();
    assert_eq!(app.counts()[0], (State::Pending, 3));
    send(
        &mut app,
        g,
        EventKind::Started {
            source: 0,
            at: ms(1),
        },
    );
    assert_eq!(total(&app), 3);
    assert_eq!(app.sources[0].state, State::Running);
    send(
        &mut app,
        g,
        EventKind::Rows {
            source: 0,
            rows: 42,
        },
    );
    assert_eq!(app.sources[0].rows, 42, "live row count while streaming");
    finish_with(&mut app, g, 1, Outcome::Cancelled(CancelReason::User), 3);
    assert_eq!(total(&app), 3);
}

#[test]
fn table_fills_in_as_sources_finish_at_most_a_few_times_a_second() {
    let t0 = Instant::now();
    let mut app = app(THREE, t0);
    let g = run(&mut app);
    finish_ok(&mut app, g, 0, &[("a", 1.0)], 10);
    assert!(
        app.table.is_empty(),
        "merged on the next tick, not per event"
    );
    step(&mut app, Action::Tick(t0 + ms(10)));
    assert_eq!(models(&app), ["a"]);
    finish_ok(&mut app, g, 1, &[("b", 0.5)], 20);
    step(&mut app, Action::Tick(t0 + ms(20)));
    assert_eq!(
        models(&app),
        ["a"],
        "throttled: the last rebuild was 10 ms ago"
    );
    step(&mut app, Action::Tick(t0 + ms(300)));
    assert_eq!(models(&app), ["b", "a"]);
}

#[test]
fn sort_keys_cycle_columns_and_flip_direction() {
    let mut app = one_run(Instant::now());
    assert_eq!(app.sort[0].column, "price", "starts with [merge] sort");
    app.update(Action::SortNext);
    assert_eq!(app.sort[0].column, "_source");
    app.update(Action::SortNext);
    assert_eq!(
        app.sort[0].column, "model",
        "wraps around to the first column"
    );
    assert_eq!(models(&app), ["a-cheap", "a-dear", "b-mid", "b-top"]);
    app.update(Action::SortFlip);
    assert!(app.sort[0].descending);
    assert_eq!(models(&app), ["b-top", "b-mid", "a-dear", "a-cheap"]);
    app.update(Action::SortNext);
    assert_eq!(app.sort[0].column, "price");
    assert!(!app.sort[0].descending, "a new column sorts ascending");
    assert_eq!(models(&app), ["a-cheap", "b-mid", "a-dear", "b-top"]);
}

#[test]
fn filter_applies_while_typing_and_esc_restores_it() {
    let mut app = one_run(Instant::now());
    app.update(Action::EditFilter);
    assert_eq!(app.key_mode(), KeyMode::Editing);
    type_text(&mut app, "DEAR");
    assert_eq!(models(&app), ["a-dear"]);
    app.update(Action::Dismiss);
    assert_eq!(app.filter, "");
    assert_eq!(app.table.len(), 4);
    app.update(Action::EditFilter);
    type_text(&mut app, "b-");
    step(&mut app, Action::Submit);
    assert_eq!(app.key_mode(), KeyMode::Normal);
    assert_eq!(models(&app), ["b-mid", "b-top"]);
    app.update(Action::SortFlip);
    assert_eq!(
        models(&app),
        ["b-top", "b-mid"],
        "a re-sort keeps the filter"
    );
}

#[test]
fn scrolling_stays_within_the_rows() {
    let mut app = app(THREE, Instant::now());
    let g = run(&mut app);
    let rows: Vec<(String, f64)> = (0..100)
        .map(|i| (format!("m{i:03}"), f64::from(i)))
        .collect();
    let rows: Vec<(&str, f64)> = rows.iter().map(|(m, p)| (m.as_str(), *p)).collect();
    finish_ok(&mut app, g, 0, &rows, 10);
    gather_done(&mut app, g, 10);
    app.update(Action::Up(5));
    assert_eq!(app.scroll.cursor, 0);
    app.update(Action::PageDown);
    let page = app.scroll.cursor;
    assert!(page > 5 && page < 40, "a page is the visible rows: {page}");
    app.update(Action::Down(1000));
    assert_eq!(app.scroll.cursor, 99);
    assert_eq!(
        app.scroll.offset,
        100 - page,
        "the last row is at the bottom of the screen"
    );
    app.update(Action::Top);
    assert_eq!((app.scroll.cursor, app.scroll.offset), (0, 0));
    app.update(Action::Bottom);
    app.update(Action::Resize(140, 60));
    assert_eq!(app.scroll.cursor, 99);
    app.update(Action::EditFilter);
    type_text(&mut app, "m00");
    assert_eq!(
        app.scroll.cursor, 0,
        "the cursor stays on a row when the filter shrinks the table"
    );
    step(&mut app, Action::Submit);
    app.update(Action::Right);
    app.update(Action::Right);
    app.update(Action::Right);
    assert_eq!(app.scroll.column, 2, "at most the last column");
}

#[test]
fn sources_focus_moves_the_selection() {
    let mut app = one_run(Instant::now());
    app.update(Action::FocusNext);
    app.update(Action::Down(1));
    assert_eq!(app.selected, 1);
    app.update(Action::Bottom);
    assert_eq!(app.selected, 2);
    app.update(Action::Down(1));
    assert_eq!(app.selected, 2);
    assert_eq!(app.scroll.cursor, 0, "the results did not move");
}

#[test]
fn cancel_asks_the_loop_to_cancel_only_while_running() {
    let mut app = app(THREE, Instant::now());
    assert!(app.update(Action::Cancel).is_none());
    let g = run(&mut app);
    match app.update(Action::Cancel) {
        Some(Effect::Cancel(CancelReason::User)) => {}
        other => panic!("expected a user cancel, got {other:?}"),
    }
    for i in 0..3 {
        finish_with(&mut app, g, i, Outcome::Cancelled(CancelReason::User), 2);
    }
    gather_done(&mut app, g, 2);
    assert_eq!(app.counts()[5], (State::Cancelled, 3));
    assert!(app.update(Action::Cancel).is_none());
    assert!(matches!(app.update(Action::Quit), Some(Effect::Quit)));
}

#[test]
fn rerun_drops_the_superseded_runs_events() {
    let mut app = app(THREE, Instant::now());
    let first = run(&mut app);
    finish_ok(&mut app, first, 0, &[("old", 1.0)], 10);
    let second = run(&mut app);
    assert_eq!(second, first + 1);
    assert_eq!(app.sources[0].state, State::Pending, "a re-run starts over");
    finish_ok(&mut app, first, 1, &[("stale", 2.0)], 10);
    gather_done(&mut app, first, 10);
    assert_eq!(app.stale_dropped, 4);
    assert_eq!(app.sources[1].state, State::Pending);
    assert!(app.is_running, "the old run's end does not end the new one");
    finish_ok(&mut app, second, 1, &[("new", 3.0)], 10);
    gather_done(&mut app, second, 10);
    assert_eq!(app.sources[1].state, State::Ok);
    assert_eq!(app.sources[1].history.len(), 1);
    assert!(models(&app).contains(&"new".to_owned()));
    assert!(!models(&app).contains(&"stale".to_owned()));
}

#[test]
fn watch_reruns_keeps_history_and_marks_changed_rows() {
    let t0 = Instant::now();
    let text = THREE.replace("deadline = \"5s\"", "deadline = \"5s\"\nwatch = \"5s\"");
    let mut app = app(&text, t0);
    assert!(app.is_watching);
    let g1 = run(&mut app);
    finish_ok(&mut app, g1, 0, &[("same", 1.0), ("moves", 2.0)], 10);
    finish_ok(&mut app, g1, 1, &[("b", 3.0)], 30);
    finish_with(&mut app, g1, 2, Outcome::Ok, 5);
    gather_done(&mut app, g1, 30);
    assert_eq!(
        app.changed_rows(),
        0,
        "nothing to compare the first run with"
    );
    assert!(step(&mut app, Action::Tick(t0 + Duration::from_secs(4))).is_none());
    let g2 = match step(&mut app, Action::Tick(t0 + Duration::from_secs(5))) {
        Some(Effect::Spawn { generation, .. }) => generation,
        other => panic!("watch mode should re-run after 5 s, got {other:?}"),
    };
    finish_ok(&mut app, g2, 0, &[("same", 1.0), ("moves", 2.5)], 20);
    finish_ok(&mut app, g2, 1, &[("b", 3.0)], 50);
    finish_with(&mut app, g2, 2, Outcome::Ok, 5);
    gather_done(&mut app, g2, 50);
    let marks: Vec<(bool, String)> = app
        .table
        .rows(0, 10, &[0])
        .unwrap()
        .into_iter()
        .map(|(changed, cells)| (changed, cells[0].clone()))
        .collect();
    assert_eq!(
        marks,
        [
            (false, "same".into()),
            (true, "moves".into()),
            (false, "b".into())
        ]
    );
    let beta = &app.sources[1];
    assert_eq!(beta.history.len(), 2);
    assert_eq!(beta.percentile(50), Some(ms(29)));
    assert_eq!(beta.percentile(95), Some(ms(49)));
    app.update(Action::ToggleWatch);
    assert!(!app.is_watching);
    assert!(step(&mut app, Action::Tick(t0 + Duration::from_mins(1))).is_none());
}

#[test]
fn pause_holds_events_until_resumed() {
    let t0 = Instant::now();
    let mut app = app(THREE, t0);
    let g = run(&mut app);
    step(&mut app, Action::TogglePause);
    finish_ok(&mut app, g, 0, &[("a", 1.0)], 10);
    step(&mut app, Action::Tick(t0 + Duration::from_secs(1)));
    assert_eq!(app.sources[0].state, State::Pending, "frozen while paused");
    assert_eq!(app.now, t0, "the clock is frozen too");
    step(&mut app, Action::TogglePause);
    assert_eq!(app.sources[0].state, State::Ok);
}

#[test]
fn edited_query_reruns_with_a_cloned_plan() {
    let mut app = one_run(Instant::now());
    let before = app.plan().clone();
    app.update(Action::EditQuery);
    app.update(Action::Edit(tui_input::InputRequest::DeleteLine));
    type_text(&mut app, "SELECT 1");
    let Some(Effect::Spawn { plan, generation }) = step(&mut app, Action::Submit) else {
        panic!("Enter on the query runs it");
    };
    assert_eq!(generation, 2);
    assert!(plan.sources.iter().all(|s| s.query == "SELECT 1"));
    assert!(
        before.sources.iter().all(|s| s.query != "SELECT 1"),
        "the old plan is untouched"
    );
    assert!(app.table.is_empty(), "the old query's rows are gone");
    assert_eq!(app.query, "SELECT 1");
}

#[test]
fn writes_need_a_confirmation_before_each_run() {
    let text = format!("allow_writes = true\n{THREE}");
    let mut app = app(&text, Instant::now());
    assert!(app.update(Action::Run).is_none());
    assert_eq!(app.key_mode(), KeyMode::Confirming);
    app.update(Action::Dismiss);
    assert_eq!(app.generation, 0, "no means not run");
    app.update(Action::Run);
    assert!(matches!(
        step(&mut app, Action::Submit),
        Some(Effect::Spawn { generation: 1, .. })
    ));
}

#[test]
fn export_writes_the_table_as_shown() {
    let dir = tempfile::tempdir().unwrap();
    let mut app = one_run(Instant::now());
    app.export_dir = dir.path().to_path_buf();
    app.update(Action::EditFilter);
    type_text(&mut app, "a-");
    step(&mut app, Action::Submit);
    app.update(Action::ExportCsv);
    let notice = app.notice.clone().expect("the export says where it went");
    assert!(!notice.is_error, "{}", notice.text);
    let path = std::fs::read_dir(dir.path())
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    assert!(notice.text.contains(&path.display().to_string()));
    let csv = std::fs::read_to_string(&path).unwrap();
    assert_eq!(
        csv,
        "model,price,_source\na-cheap,5.0,alpha\na-dear,50.0,alpha\n"
    );
    app.update(Action::ExportJson);
    let json = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|e| e == "json"))
        .unwrap();
    let value: serde_json::Value = serde_json::from_slice(&std::fs::read(json).unwrap()).unwrap();
    assert_eq!(value["rows"].as_array().unwrap().len(), 2);
    assert_eq!(value["sources"][2]["error"], "boom");
}

#[test]
fn timeouts_show_their_limit() {
    let mut app = app(THREE, Instant::now());
    let g = run(&mut app);
    let outcome = Outcome::Timeout {
        limit: Duration::from_secs(3),
        cause: TimeoutCause::Source,
    };
    finish_with(&mut app, g, 0, outcome, 3001);
    assert_eq!(app.sources[0].state, State::Timeout);
    assert_eq!(app.sources[0].message().as_deref(), Some("timeout 3s"));
}

#[test]
fn keymap_follows_the_mode() {
    use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
    let key = |c| KeyEvent::new(c, KeyModifiers::NONE);
    let map = |c, mode| action::map_key(key(c), mode).map(|a| format!("{a:?}"));
    assert_eq!(
        map(KeyCode::Char('q'), KeyMode::Normal).as_deref(),
        Some("Quit")
    );
    assert_eq!(
        map(KeyCode::Char('q'), KeyMode::Editing).as_deref(),
        Some("Input('q')")
    );
    assert_eq!(
        map(KeyCode::Esc, KeyMode::Normal).as_deref(),
        Some("Cancel")
    );
    assert_eq!(
        map(KeyCode::Esc, KeyMode::Editing).as_deref(),
        Some("Dismiss")
    );
    assert_eq!(
        map(KeyCode::Char('y'), KeyMode::Confirming).as_deref(),
        Some("Submit")
    );
    assert_eq!(
        map(KeyCode::Char('x'), KeyMode::Help).as_deref(),
        Some("ToggleHelp")
    );
    let ctrl_c = KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL);
    for mode in [
        KeyMode::Normal,
        KeyMode::Editing,
        KeyMode::Confirming,
        KeyMode::Help,
    ] {
        assert!(matches!(action::map_key(ctrl_c, mode), Some(Action::Quit)));
    }
}

#[test]
fn merges_run_off_the_loop_one_at_a_time_and_stale_ones_are_dropped() {
    let t0 = Instant::now();
    let mut app = app(THREE, t0);
    let g = run(&mut app);
    finish_ok(&mut app, g, 0, &[("old", 1.0)], 10);
    let Some(Effect::Rebuild(job)) = app.update(Action::Tick(t0 + ms(10))) else {
        panic!("a finished source asks for a rebuild on the next tick");
    };
    finish_ok(&mut app, g, 1, &[("more", 2.0)], 10);
    assert!(
        app.update(Action::Tick(t0 + ms(500))).is_none(),
        "no second rebuild while one is running"
    );
    app.update(Action::EditQuery);
    type_text(&mut app, " LIMIT 1");
    assert!(matches!(
        app.update(Action::Submit),
        Some(Effect::Spawn { .. })
    ));
    assert!(app.update(Action::Rebuilt(Box::new(job.run()))).is_none());
    assert!(
        app.table.is_empty(),
        "rows of the old query do not come back"
    );
}

#[test]
fn sorting_a_large_table_happens_off_the_event_loop() {
    let t0 = Instant::now();
    let mut app = app(THREE, t0);
    let g = run(&mut app);
    let rows: Vec<(String, f64)> = (0..200_001)
        .map(|i| (format!("m{i:06}"), f64::from(i % 1000)))
        .collect();
    let rows: Vec<(&str, f64)> = rows.iter().map(|(m, p)| (m.as_str(), *p)).collect();
    finish_ok(&mut app, g, 0, &rows, 20);
    finish_with(&mut app, g, 1, SourceError::Failed("x".into()).into(), 5);
    finish_with(&mut app, g, 2, SourceError::Failed("y".into()).into(), 5);
    gather_done(&mut app, g, 31);
    step(&mut app, Action::Tick(t0 + ms(1000)));
    assert_eq!(app.table.merged_rows(), 200_001);
    let cheapest = models(&app)[0].clone();
    assert!(cheapest.ends_with("000"), "price 0 first: {cheapest}");

    // The key returns at once and sorts nothing on the loop: the table on screen is unchanged,
    // marked as updating, until the next rebuild lands.
    assert!(app.update(Action::SortFlip).is_none());
    assert!(app.sort[0].descending);
    assert!(app.is_table_updating());
    assert_eq!(models(&app)[0], cheapest);
    let Some(Effect::Rebuild(job)) = app.update(Action::Tick(t0 + ms(2000))) else {
        panic!("the next tick rebuilds the table off the loop");
    };
    app.update(Action::Rebuilt(Box::new(job.run())));
    assert!(!app.is_table_updating());
    let dearest = models(&app)[0].clone();
    assert!(dearest.ends_with("999"), "price 999 first: {dearest}");
}
