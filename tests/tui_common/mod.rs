//! Shared helpers for the dashboard tests: a config from TOML text, an app on it, engine
//! events and reports built by hand, and a terminal buffer as text.

#![allow(dead_code, reason = "each test file uses a different subset")]

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use arrow_array::{Float64Array, RecordBatch, StringArray};
use arrow_schema::{DataType, Field, Schema};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use scatter::config::Config;
use scatter::engine::Plan;
use scatter::event::{Event, EventKind};
use scatter::source::{Outcome, SourceReport, Timing};
use scatter::tui::{Action, App, Effect, Theme};

/// Three sim sources, sorted by price ascending.
pub const THREE: &str = r#"
query = "SELECT model, price FROM products"
[gather]
timeout = "3s"
deadline = "5s"
[merge]
sort = ["price"]
[[source]]
name = "alpha"
kind = "sim"
latency = "10ms"
rows = 2
[[source]]
name = "beta"
kind = "sim"
latency = "10ms"
rows = 2
[[source]]
name = "gamma"
kind = "sim"
latency = "10ms"
rows = 2
"#;

/// A config parsed from `text` (no environment).
pub fn config(text: &str) -> Config {
    Config::parse(Path::new("/test/sources.toml"), text, &|_| None).expect("test config parses")
}

/// An app on `text`, without colours, 140×45, not yet run, its clock at `t0`.
pub fn app(text: &str, t0: Instant) -> App {
    let config = config(text);
    let plan = Arc::new(Plan::new(&config));
    let mut app = App::new(config, plan, Theme::plain(), t0);
    app.update(Action::Resize(140, 45));
    app
}

/// Applies `action` as the event loop would, running any table rebuild it asks for at once
/// (the loop runs it on a blocking thread); returns the other effect, if any.
pub fn step(app: &mut App, action: Action) -> Option<Effect> {
    let mut effect = app.update(action);
    while let Some(Effect::Rebuild(job)) = effect {
        effect = app.update(Action::Rebuilt(Box::new(job.run())));
    }
    effect
}

/// Starts a run and returns its generation.
pub fn run(app: &mut App) -> u64 {
    match step(app, Action::Run) {
        Some(Effect::Spawn { generation, .. }) => generation,
        other => panic!("expected a spawn, got {other:?}"),
    }
}

/// A batch of (model, price) rows.
pub fn products(rows: &[(&str, f64)]) -> RecordBatch {
    let schema = Schema::new(vec![
        Field::new("model", DataType::Utf8, true),
        Field::new("price", DataType::Float64, true),
    ]);
    RecordBatch::try_new(
        Arc::new(schema),
        vec![
            Arc::new(StringArray::from_iter_values(rows.iter().map(|r| r.0))),
            Arc::new(Float64Array::from_iter_values(rows.iter().map(|r| r.1))),
        ],
    )
    .unwrap()
}

/// Milliseconds.
pub fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

/// A report for source `index` named `name`.
pub fn report(index: usize, name: &str, outcome: Outcome, rows: u64, done_ms: u64) -> SourceReport {
    SourceReport {
        index,
        name: name.to_owned(),
        kind: "sim",
        outcome,
        rows,
        timing: Timing {
            queued: Duration::ZERO,
            started: Some(ms(1)),
            first_row: (rows > 0).then(|| ms(done_ms / 2 + 1)),
            finished: ms(done_ms),
        },
        warnings: Vec::new(),
        attempts: Vec::new(),
    }
}

/// Feeds an engine event of gather `generation`.
pub fn send(app: &mut App, generation: u64, kind: EventKind) {
    step(app, Action::Engine(Event { generation, kind }));
}

/// Feeds the events of a source that finished `ok` with `rows`.
pub fn finish_ok(app: &mut App, generation: u64, index: usize, rows: &[(&str, f64)], done_ms: u64) {
    let name = app.sources[index].name.clone();
    send(
        app,
        generation,
        EventKind::Queued {
            source: index,
            at: Duration::ZERO,
        },
    );
    send(
        app,
        generation,
        EventKind::Started {
            source: index,
            at: ms(1),
        },
    );
    let report = report(index, &name, Outcome::Ok, rows.len() as u64, done_ms);
    let batches = vec![products(rows)];
    send(app, generation, EventKind::Finished { report, batches });
}

/// Feeds the events of a source that ended with `outcome` and no rows.
pub fn finish_with(app: &mut App, generation: u64, index: usize, outcome: Outcome, done_ms: u64) {
    let name = app.sources[index].name.clone();
    send(
        app,
        generation,
        EventKind::Queued {
            source: index,
            at: Duration::ZERO,
        },
    );
    send(
        app,
        generation,
        EventKind::Started {
            source: index,
            at: ms(1),
        },
    );
    let report = report(index, &name, outcome, 0, done_ms);
    send(
        app,
        generation,
        EventKind::Finished {
            report,
            batches: Vec::new(),
        },
    );
}

/// Ends gather `generation`.
pub fn gather_done(app: &mut App, generation: u64, elapsed_ms: u64) {
    send(
        app,
        generation,
        EventKind::GatherFinished {
            elapsed: ms(elapsed_ms),
            aborted: false,
        },
    );
}

/// The app drawn on a `w`×`h` test terminal.
pub fn draw(app: &App, w: u16, h: u16) -> Terminal<TestBackend> {
    let mut terminal = Terminal::new(TestBackend::new(w, h)).unwrap();
    terminal
        .draw(|frame| scatter::tui::ui::render(app, frame))
        .unwrap();
    terminal
}

/// The app drawn on a `w`×`h` test terminal, as text lines with trailing blanks cut. A wide
/// character (CJK, emoji) covers the cell after it, as on a terminal, so that cell is left out.
pub fn screen(app: &App, w: u16, h: u16) -> String {
    let terminal = draw(app, w, h);
    let buffer = terminal.backend().buffer();
    let mut out = String::new();
    for y in 0..h {
        let mut line = String::new();
        let mut covered = 0;
        for x in 0..w {
            if covered > 0 {
                covered -= 1;
                continue;
            }
            let symbol = buffer[(x, y)].symbol();
            covered = scatter::display::width(symbol).saturating_sub(1);
            line.push_str(symbol);
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

/// The model column of the rows on screen, top to bottom (via the table's index).
pub fn models(app: &App) -> Vec<String> {
    app.table
        .rows(0, 1000, &[0])
        .unwrap()
        .into_iter()
        .map(|(_, cells)| cells[0].clone())
        .collect()
}
