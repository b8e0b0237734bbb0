//! The dashboard at fleet size, headless: sorting and filtering the sources while events
//! stream in, a selection that follows its source, grouping by tag, the latency figures and
//! the mouse; and render snapshots of those views at 140×45 and 60×15.

mod tui_common;

use std::fmt::Write as _;
use std::time::{Duration, Instant};

use scatter::source::{Outcome, SourceError, State, TimeoutCause};
use scatter::tui::app::View;
use scatter::tui::fleet::{PanelRow, SourceSort, StateFilter};
use scatter::tui::{Action, App};
use tui_common::*;

/// `n` sim sources named `s000`..., tagged `eu`/`us`/`ap`/`sa` in turn, concurrency 8.
fn fleet_config(n: usize) -> String {
    let mut text = String::from(
        "query = \"SELECT model, price FROM products\"\n[gather]\ntimeout = \"3s\"\nconcurrency = 8\n",
    );
    let tags = ["eu", "us", "ap", "sa"];
    for i in 0..n {
        let _ = write!(
            text,
            "[[source]]\nname = \"s{i:03}\"\nkind = \"sim\"\ntags = [\"{}\"]\n",
            tags[i % tags.len()]
        );
    }
    text
}

/// Latency of source `i` in the runs below: a spread with no ties.
fn latency_of(i: usize) -> u64 {
    (i as u64 * 37) % 100 * 10 + 5 + i as u64 % 7
}

/// Source `i` finishes: every 10th with an error, every 15th (not 10th) times out.
fn finish(app: &mut App, g: u64, i: usize) {
    let ms_ = latency_of(i);
    if i % 10 == 3 {
        finish_with(
            app,
            g,
            i,
            SourceError::Failed("connection refused".into()).into(),
            ms_,
        );
    } else if i % 15 == 7 {
        let outcome = Outcome::Timeout {
            limit: Duration::from_secs(3),
            cause: TimeoutCause::Source,
        };
        finish_with(app, g, i, outcome, 3000);
    } else {
        finish_ok(app, g, i, &[("m", i as f64)], ms_);
    }
}

/// A fleet of `n` sources in its first run, every source finished as [`finish`] says; the
/// run's generation and start.
fn all_finished(n: usize) -> (App, u64, Instant) {
    let t0 = Instant::now();
    let mut app = app(&fleet_config(n), t0);
    let g = run(&mut app);
    for i in 0..n {
        finish(&mut app, g, i);
    }
    (app, g, t0)
}

fn shown(app: &App) -> Vec<String> {
    app.index
        .rows
        .iter()
        .map(|r| match *r {
            PanelRow::Source(i) => app.sources[i].name.clone(),
            PanelRow::Group(t) => format!("#{}", app.tags[t]),
        })
        .collect()
}

/// The counts by state, counted afresh.
fn recount(app: &App) -> [(State, usize); 7] {
    State::ALL.map(|state| {
        (
            state,
            app.sources.iter().filter(|s| s.state == state).count(),
        )
    })
}

fn latency(app: &App, name: &str) -> Duration {
    let s = app.sources.iter().find(|s| s.name == name).unwrap();
    s.latency(app.elapsed()).unwrap()
}

#[test]
fn sort_and_failure_filter_follow_the_events_as_they_stream() {
    let t0 = Instant::now();
    let mut app = app(&fleet_config(60), t0);
    let g = run(&mut app);
    app.update(Action::SourcesSortNext);
    assert_eq!(app.panel.sort, SourceSort::Latency);
    for (batch, tick) in [(0..20, 100), (20..40, 400), (40..60, 700)] {
        for i in batch {
            finish(&mut app, g, i);
        }
        step(&mut app, Action::Tick(t0 + ms(tick)));
        assert_eq!(
            app.counts(),
            recount(&app),
            "the kept counts match the sources"
        );
        let names = shown(&app);
        let finished: Vec<&String> = names
            .iter()
            .filter(|n| {
                app.sources
                    .iter()
                    .any(|s| &s.name == *n && s.state.is_final())
            })
            .collect();
        assert!(
            finished
                .windows(2)
                .all(|w| latency(&app, w[0]) >= latency(&app, w[1])),
            "slowest first after tick {tick}: {names:?}"
        );
    }
    gather_done(&mut app, g, 3001);
    assert_eq!(app.counts(), recount(&app));
    run(&mut app);
    assert_eq!(
        app.counts(),
        recount(&app),
        "a new run: every source pending again"
    );
    let g = app.generation;
    for i in 0..60 {
        finish(&mut app, g, i);
    }
    gather_done(&mut app, g, 3001);
    assert_eq!(shown(&app)[0], "s007", "a timeout at 3 s is the slowest");

    app.update(Action::StateFilterNext);
    assert_eq!(app.panel.state, StateFilter::Failed);
    let failed: Vec<String> = (0..60)
        .filter(|i| i % 10 == 3 || i % 15 == 7)
        .map(|i| format!("s{i:03}"))
        .collect();
    let mut listed = shown(&app);
    listed.sort();
    assert_eq!(listed, failed, "exactly the failed sources");
    assert_eq!(app.index.hidden, 60 - failed.len());
    app.update(Action::SourcesSortFlip);
    assert!(app.panel.reversed);
    let last = shown(&app).last().unwrap().clone();
    assert_eq!(
        latency(&app, &last),
        ms(2999),
        "fastest first, the timeouts last"
    );
}

#[test]
fn the_selection_follows_its_source_as_rows_resort() {
    let t0 = Instant::now();
    let mut app = app(&fleet_config(30), t0);
    let g = run(&mut app);
    app.update(Action::FocusNext);
    app.update(Action::SourcesSortNext);
    for i in 0..10 {
        finish(&mut app, g, i);
    }
    step(&mut app, Action::Tick(t0 + ms(100)));
    app.update(Action::Down(4));
    let chosen = app.cursor.unwrap();
    let PanelRow::Source(index) = chosen else {
        panic!("a source row");
    };
    assert_eq!(app.selected, index, "the details show the cursor's source");
    let before = app.cursor_position().unwrap();
    for i in 10..30 {
        finish(&mut app, g, i);
    }
    step(&mut app, Action::Tick(t0 + ms(500)));
    assert_eq!(
        app.cursor,
        Some(chosen),
        "the same source, not the same row number"
    );
    assert_eq!(app.selected, index);
    let after = app.cursor_position().unwrap();
    assert_ne!(before, after, "slower sources arrived above it");
    assert_eq!(shown(&app)[after], app.sources[index].name);
    // Filtered out: the cursor goes to the first row shown.
    app.update(Action::StateFilterNext);
    if !app.sources[index].state.is_final() || app.sources[index].state == State::Ok {
        assert_eq!(app.cursor_position(), Some(0));
    }
}

#[test]
fn groups_by_tag_add_up_to_the_sources_and_expand() {
    let t0 = Instant::now();
    let mut app = app(&fleet_config(40), t0);
    let g = run(&mut app);
    app.update(Action::ToggleGroups);
    assert_eq!(shown(&app), ["#ap", "#eu", "#sa", "#us"]);
    for (n, tick) in [(0, 0), (13, 100), (40, 300)] {
        for i in 0..n {
            if app.sources[i].state == State::Pending {
                finish(&mut app, g, i);
            }
        }
        step(&mut app, Action::Tick(t0 + ms(tick)));
        let total: usize = app.index.groups.iter().flat_map(|g| g.counts).sum();
        assert_eq!(total, 40, "after {n} finished");
        for group in &app.index.groups {
            assert_eq!(group.counts.iter().sum::<usize>(), group.members.len());
        }
    }
    assert_eq!(
        app.cursor,
        Some(PanelRow::Group(1)),
        "grouping moves the cursor to its source's tag"
    );
    app.update(Action::FocusNext);
    app.update(Action::Top);
    app.update(Action::Down(1));
    app.update(Action::Right);
    assert_eq!(
        shown(&app)[..3],
        ["#ap", "#eu", "s000"],
        "→ lists the tag's sources"
    );
    app.update(Action::Down(1));
    app.update(Action::Left);
    assert_eq!(
        app.cursor,
        Some(PanelRow::Group(1)),
        "← on a source folds its tag"
    );
    assert_eq!(app.index.len(), 4);
    let eu = &app.index.groups[1];
    assert_eq!(eu.members.len(), 10);
    assert!(eu.p50.is_some() && eu.p95 >= eu.p50);
}

#[test]
fn latency_figures_across_sources_and_across_runs() {
    let t0 = Instant::now();
    let text = fleet_config(100).replace("concurrency = 8", "concurrency = 8\nwatch = \"5s\"");
    let mut app = app(&text, t0);
    for run_no in 1..=2u64 {
        let g = run(&mut app);
        for i in 0..100 {
            let name = app.sources[i].name.clone();
            let done = (i as u64 + 1) * 10 * run_no;
            let report = report(i, &name, Outcome::Ok, 1, done + 1);
            send(
                &mut app,
                g,
                scatter::event::EventKind::Finished {
                    report,
                    batches: Vec::new(),
                },
            );
        }
        gather_done(&mut app, g, 1000 * run_no + 1);
    }
    // Latency = finished - started (1 ms): 20, 40, ... 2000 ms in the second run.
    let s = &app.stats;
    assert_eq!(s.latencies.len(), 100);
    assert_eq!(s.percentile(50), Some(ms(1000)));
    assert_eq!(s.percentile(90), Some(ms(1800)));
    assert_eq!(s.percentile(99), Some(ms(1980)));
    assert_eq!(s.max(), Some(ms(2000)));
    assert_eq!(app.sources[s.slowest[0]].name, "s099");
    assert_eq!(
        app.run_p99.iter().copied().collect::<Vec<_>>(),
        [ms(990), ms(1980)]
    );
}

#[test]
fn clicks_filter_by_a_count_and_select_a_row() {
    let (mut app, g, _) = all_finished(30);
    gather_done(&mut app, g, 3001);
    let s = screen(&app, 140, 45);
    let counts = s.lines().nth(1).unwrap();
    let x = counts.chars().take_while(|&c| c != '✗').count() as u16;
    app.update(Action::Click(x + 2, 1));
    assert_eq!(app.panel.state, StateFilter::Only(State::Error));
    assert!(
        shown(&app).iter().all(|n| n.ends_with('3')),
        "{:?}",
        shown(&app)
    );
    app.update(Action::Click(x + 2, 1));
    assert_eq!(
        app.panel.state,
        StateFilter::All,
        "a second click shows all again"
    );
    app.update(Action::Click(3, 1));
    assert_eq!(app.panel.state, StateFilter::All, "the label shows all");
    // Row 3 is the sources panel's first line (y = 2 is its border).
    app.update(Action::Click(10, 5));
    assert_eq!(app.cursor, Some(PanelRow::Source(2)));
    assert_eq!(app.selected, 2);
    assert_eq!(app.focus, scatter::tui::mode::Focus::Sources);
}

#[test]
fn the_sources_filter_matches_names_and_tags_while_typing() {
    let mut app = app(&fleet_config(12), Instant::now());
    app.update(Action::FocusNext);
    app.update(Action::EditFilter);
    for c in "us".chars() {
        app.update(Action::Input(c));
    }
    assert_eq!(shown(&app), ["s001", "s005", "s009"]);
    assert!(
        app.table.is_empty() && app.filter.is_empty(),
        "the results filter is apart"
    );
    app.update(Action::Dismiss);
    assert_eq!(app.index.len(), 12, "Esc restores the filter as it was");
}

/// The fleet of 60 after its run, sorted by latency, failures only.
fn fleet_screen(view: View) -> App {
    let (mut app, g, _) = all_finished(60);
    gather_done(&mut app, g, 3001);
    app.update(Action::SourcesSortNext);
    app.view = view;
    app
}

#[test]
fn snapshot_sorted_and_filtered() {
    let mut app = fleet_screen(View::Timeline);
    app.update(Action::StateFilterNext);
    app.update(Action::FocusNext);
    insta::assert_snapshot!("fleet_failed_140x45", screen(&app, 140, 45));
    app.update(Action::Resize(60, 15));
    insta::assert_snapshot!("fleet_failed_60x15", screen(&app, 60, 15));
}

#[test]
fn snapshot_grouped() {
    let mut app = fleet_screen(View::Timeline);
    app.update(Action::ToggleGroups);
    app.update(Action::FocusNext);
    app.update(Action::Down(1));
    app.update(Action::ToggleExpand);
    insta::assert_snapshot!("fleet_grouped_140x45", screen(&app, 140, 45));
    app.update(Action::Resize(60, 15));
    insta::assert_snapshot!("fleet_grouped_60x15", screen(&app, 60, 15));
}

#[test]
fn snapshot_distribution() {
    let mut app = fleet_screen(View::Distribution);
    insta::assert_snapshot!("fleet_distribution_140x45", screen(&app, 140, 45));
    app.update(Action::Resize(60, 15));
    insta::assert_snapshot!("fleet_distribution_60x15", screen(&app, 60, 15));
}

#[test]
fn grouped_with_the_failure_filter_the_details_show_a_failed_source_of_the_tag() {
    let (mut app, _, t0) = all_finished(40);
    step(&mut app, Action::Tick(t0 + ms(300)));
    app.update(Action::ToggleGroups);
    app.update(Action::StateFilterNext);
    app.update(Action::FocusNext);
    app.update(Action::Top);
    assert_eq!(app.cursor, Some(PanelRow::Group(0)), "the first tag, ap");
    let ap = &app.index.groups[0];
    assert_eq!(ap.members.len(), 10);
    assert!(
        ap.shown.len() < ap.members.len(),
        "the filter hides the ok ones"
    );
    assert!(
        matches!(
            app.sources[app.selected].state,
            State::Error | State::Timeout | State::Cancelled
        ),
        "details on {} ({:?}), a source the filter hides",
        app.sources[app.selected].name,
        app.sources[app.selected].state
    );
    assert_eq!(Some(&app.selected), ap.shown.first());
    app.update(Action::Down(1));
    let Some(PanelRow::Group(next)) = app.cursor else {
        panic!("the next line is a tag: {:?}", app.cursor);
    };
    assert_eq!(
        app.tags[next], "sa",
        "eu has no failed source and is left out"
    );
    assert_eq!(
        Some(app.selected),
        app.index.groups[next].shown.first().copied(),
        "the next tag's first failed source"
    );
}
