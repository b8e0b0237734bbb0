//! The SQL step in the dashboard, driven headless: its result in the results panel, `m` back
//! to the merged rows, a failure shown without touching the sources, the `:` editor's Tab to
//! the SQL line, and watch mode's changed marks over the SQL rows.

mod tui_common;

use std::time::{Duration, Instant};

use scatter::source::{Outcome, SourceError, State};
use scatter::tui::mode::EditTarget;
use scatter::tui::{Action, App, Effect};
use tui_common::*;

fn with_sql(sql: &str) -> String {
    THREE.replace(
        "sort = [\"price\"]",
        &format!("sort = [\"price\"]\nsql = \"{sql}\""),
    )
}

/// One run: alpha and beta ok with two rows each, gamma failed.
fn one_run(text: &str) -> App {
    let mut app = app(text, Instant::now());
    let g = run(&mut app);
    finish_ok(&mut app, g, 0, &[("a-cheap", 5.0), ("a-dear", 50.0)], 20);
    finish_ok(&mut app, g, 1, &[("b-mid", 20.0), ("b-top", 90.0)], 30);
    finish_with(&mut app, g, 2, SourceError::Failed("boom".into()).into(), 5);
    gather_done(&mut app, g, 31);
    app
}

fn cells(app: &App) -> Vec<Vec<String>> {
    let all: Vec<usize> = (0..app.table.columns().len()).collect();
    app.table
        .rows(0, 100, &all)
        .unwrap()
        .into_iter()
        .map(|(_, c)| c)
        .collect()
}

fn type_text(app: &mut App, text: &str) {
    for c in text.chars() {
        app.update(Action::Input(c));
    }
}

#[test]
fn the_results_panel_shows_the_sql_result_and_m_shows_the_merged_rows() {
    let mut app = one_run(&with_sql(
        "SELECT count(*) AS n, sum(price) AS total FROM results",
    ));
    assert!(app.shows_sql);
    assert_eq!(app.table.columns(), ["n", "total"]);
    assert_eq!(cells(&app), [["4", "165.0"]]);
    let shown = screen(&app, 140, 45);
    assert!(
        shown.contains(" SQL result 1 row · covers 2 of 3 sources (partial)"),
        "{shown}"
    );
    assert!(shown.contains("m merged rows"), "{shown}");
    app.update(Action::ToggleSqlView);
    assert!(!app.shows_sql);
    assert_eq!(models(&app), ["a-cheap", "b-mid", "a-dear", "b-top"]);
    let shown = screen(&app, 140, 45);
    assert!(shown.contains(" merged rows 4 rows"), "{shown}");
    assert!(shown.contains("m SQL result"), "{shown}");
    app.update(Action::ToggleSqlView);
    assert_eq!(cells(&app), [["4", "165.0"]], "each table kept");
}

#[test]
fn a_failing_step_fails_the_result_not_the_sources() {
    let app = one_run(&with_sql("SELECT nope FROM results"));
    let error = app.sql_error.clone().expect("the step failed");
    assert!(error.contains("nope"), "{error}");
    assert_eq!(app.sources[0].state, State::Ok);
    assert_eq!(app.sources[1].state, State::Ok);
    assert_eq!(app.sources[2].state, State::Error);
    let shown = screen(&app, 140, 45);
    assert!(shown.contains("SQL failed: "), "{shown}");
    let notice = app.notice.clone().expect("a notice says so");
    assert!(
        notice.is_error && notice.text.starts_with("SQL failed"),
        "{notice:?}"
    );
}

#[test]
fn tab_in_the_query_editor_edits_the_sql_and_enter_runs_both() {
    let mut app = one_run(THREE);
    assert!(!app.shows_sql, "no step: the merged rows");
    app.update(Action::ToggleSqlView);
    assert!(!app.shows_sql, "m without a step says how to write one");
    app.update(Action::EditQuery);
    app.update(Action::SwitchEdit);
    assert_eq!(app.mode.edit().unwrap().target, EditTarget::Sql);
    type_text(
        &mut app,
        "SELECT model FROM results WHERE price > 40 ORDER BY model",
    );
    let effect = step(&mut app, Action::Submit);
    assert!(matches!(effect, Some(Effect::Spawn { .. })), "{effect:?}");
    assert_eq!(
        app.sql.as_ref().map(|s| s.text().to_owned()).as_deref(),
        Some("SELECT model FROM results WHERE price > 40 ORDER BY model")
    );
    assert!(app.shows_sql, "a new step shows its result");
    let g = app.generation;
    finish_ok(&mut app, g, 0, &[("a-cheap", 5.0), ("a-dear", 50.0)], 20);
    finish_ok(&mut app, g, 1, &[("b-top", 90.0)], 30);
    finish_with(&mut app, g, 2, Outcome::Ok, 5);
    gather_done(&mut app, g, 31);
    assert_eq!(cells(&app), [["a-dear"], ["b-top"]]);

    app.update(Action::EditQuery);
    app.update(Action::SwitchEdit);
    assert_eq!(
        app.mode.edit().unwrap().text(),
        app.sql.as_ref().unwrap().text()
    );
    app.update(Action::Edit(tui_input::InputRequest::DeleteLine));
    type_text(&mut app, "SELECT type FORM results");
    assert!(
        step(&mut app, Action::Submit).is_none(),
        "bad SQL does not run"
    );
    assert_eq!(app.mode.edit().map(|e| e.target), Some(EditTarget::Sql));
    let notice = app.notice.clone().unwrap();
    assert!(
        notice
            .text
            .starts_with("SQL: cannot parse the SQL at column"),
        "{notice:?}"
    );
    app.update(Action::Edit(tui_input::InputRequest::DeleteLine));
    assert!(matches!(
        step(&mut app, Action::Submit),
        Some(Effect::Spawn { .. })
    ));
    assert!(
        app.sql.is_none() && !app.shows_sql,
        "an empty line removes the step"
    );
}

#[test]
fn watch_mode_marks_the_sql_rows_that_changed() {
    let t0 = Instant::now();
    let text = with_sql(
        "SELECT _source, sum(price) AS total FROM results GROUP BY _source ORDER BY _source",
    )
    .replace("deadline = \"5s\"", "deadline = \"5s\"\nwatch = \"5s\"");
    let mut app = app(&text, t0);
    let g1 = run(&mut app);
    finish_ok(&mut app, g1, 0, &[("x", 1.0)], 10);
    finish_ok(&mut app, g1, 1, &[("y", 2.0)], 10);
    finish_with(&mut app, g1, 2, Outcome::Ok, 5);
    gather_done(&mut app, g1, 10);
    let Some(Effect::Spawn { generation: g2, .. }) =
        step(&mut app, Action::Tick(t0 + Duration::from_secs(5)))
    else {
        panic!("watch mode re-runs");
    };
    finish_ok(&mut app, g2, 0, &[("x", 1.0)], 10);
    finish_ok(&mut app, g2, 1, &[("y", 7.0)], 10);
    finish_with(&mut app, g2, 2, Outcome::Ok, 5);
    gather_done(&mut app, g2, 10);
    let marks: Vec<(bool, String)> = app
        .table
        .rows(0, 10, &[0, 1])
        .unwrap()
        .into_iter()
        .map(|(changed, c)| (changed, c.join(" ")))
        .collect();
    assert_eq!(
        marks,
        [(false, "alpha 1.0".into()), (true, "beta 7.0".into())]
    );
    assert_eq!(app.changed_rows(), 1);
}
