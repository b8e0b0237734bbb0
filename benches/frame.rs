//! One dashboard frame with 1,000,000 merged rows: building it (only the visible rows are
//! formatted) and rendering it to ratatui's `TestBackend` at 140×45. Target: ≤ 2 ms.
//! Also measured: what `s` costs on the event loop at this size (the sort itself is deferred to
//! the next rebuild), the sort and the filter themselves, and re-merging everything (what a
//! throttled rebuild costs), which happen off the loop a few times a second at most.

use std::fmt::Write as _;
use std::hint::black_box;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use arrow_array::{Float64Array, Int64Array, RecordBatch, StringArray};
use arrow_schema::{DataType, Field, Schema};
use criterion::{Criterion, criterion_group, criterion_main};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use scatter::config::Config;
use scatter::engine::Plan;
use scatter::event::{Event, EventKind};
use scatter::source::{Outcome, SourceReport, Timing};
use scatter::tui::view::TableView;
use scatter::tui::{Action, App, Effect, Theme, ui};

const ROWS: usize = 1_000_000;
const SOURCES: usize = 10;

const CONFIG: &str = r#"
query = "SELECT * FROM products"
[merge]
sort = ["price", "-model"]
"#;

fn config() -> Config {
    let mut text = CONFIG.to_owned();
    for i in 0..SOURCES {
        let _ = write!(
            text,
            "[[source]]\nname = \"shard-{i:02}\"\nkind = \"sim\"\nlatency = \"1ms\"\n"
        );
    }
    Config::parse(Path::new("/bench/sources.toml"), &text, &|_| None).unwrap()
}

/// `n` product rows starting at `from`, with pseudo-random prices.
fn batch(from: usize, n: usize) -> RecordBatch {
    let schema = Schema::new(vec![
        Field::new("id", DataType::Int64, false),
        Field::new("type", DataType::Utf8, false),
        Field::new("manufacturer", DataType::Utf8, false),
        Field::new("model", DataType::Utf8, false),
        Field::new("price", DataType::Float64, false),
    ]);
    let ids = from as i64..(from + n) as i64;
    let types = ["laptop", "phone", "tablet", "monitor", "headphones"];
    let makers = ["Apple", "Samsung", "Sony", "Lenovo", "Dell", "Bose"];
    RecordBatch::try_new(
        Arc::new(schema),
        vec![
            Arc::new(Int64Array::from_iter_values(ids.clone())),
            Arc::new(StringArray::from_iter_values(
                ids.clone().map(|i| types[i as usize % types.len()]),
            )),
            Arc::new(StringArray::from_iter_values(
                ids.clone().map(|i| makers[i as usize % makers.len()]),
            )),
            Arc::new(StringArray::from_iter_values(
                ids.clone()
                    .map(|i| format!("MODEL-{:07}", i * 7919 % 1_000_003)),
            )),
            Arc::new(Float64Array::from_iter_values(
                ids.map(|i| ((i * 104_729) % 200_000) as f64 / 100.0),
            )),
        ],
    )
    .unwrap()
}

/// An app whose finished run merged `ROWS` rows from `SOURCES` sources.
fn loaded_app() -> App {
    let config = config();
    let plan = Arc::new(Plan::new(&config));
    let t0 = Instant::now();
    let mut app = App::new(config, plan, Theme::colored(), t0);
    app.update(Action::Resize(140, 45));
    let Some(Effect::Spawn { generation, .. }) = app.update(Action::Run) else {
        panic!("the first run spawns");
    };
    let per = ROWS / SOURCES;
    for i in 0..SOURCES {
        let report = SourceReport {
            index: i,
            name: format!("shard-{i:02}"),
            kind: "sim",
            outcome: Outcome::Ok,
            rows: per as u64,
            timing: Timing {
                started: Some(Duration::from_millis(1)),
                first_row: Some(Duration::from_millis(5)),
                finished: Duration::from_millis(20 + i as u64),
                ..Timing::default()
            },
            warnings: Vec::new(),
        };
        let batches = (0..per / 10_000)
            .map(|b| batch(i * per + b * 10_000, 10_000))
            .collect();
        app.update(Action::Engine(Event {
            generation,
            kind: EventKind::Finished { report, batches },
        }));
    }
    let mut effect = app.update(Action::Engine(Event {
        generation,
        kind: EventKind::GatherFinished {
            elapsed: Duration::from_millis(30),
        },
    }));
    // The event loop runs the merge on a blocking thread; here, at once.
    while let Some(Effect::Rebuild(job)) = effect {
        effect = app.update(Action::Rebuilt(Box::new(job.run())));
    }
    assert_eq!(app.table.len(), ROWS);
    app
}

fn frame(c: &mut Criterion) {
    let mut app = loaded_app();
    let mut terminal = Terminal::new(TestBackend::new(140, 45)).unwrap();
    c.bench_function("frame 1M rows 140x45 (top)", |b| {
        b.iter(|| {
            terminal.draw(|f| ui::render(black_box(&app), f)).unwrap();
        });
    });
    app.update(Action::Down(ROWS / 2));
    c.bench_function("frame 1M rows 140x45 (middle)", |b| {
        b.iter(|| {
            terminal.draw(|f| ui::render(black_box(&app), f)).unwrap();
        });
    });
    app.update(Action::Bottom);
    c.bench_function("frame 1M rows 140x45 (scroll one row + draw)", |b| {
        b.iter(|| {
            app.update(Action::Up(1));
            terminal.draw(|f| ui::render(black_box(&app), f)).unwrap();
        });
    });
}

fn rebuild(c: &mut Criterion) {
    let mut group = c.benchmark_group("1M rows, off the frame path");
    group.sample_size(10);
    let mut app = loaded_app();
    group.bench_function("key s on the event loop (sort deferred)", |b| {
        b.iter(|| app.update(Action::SortNext));
    });
    let by_model = [scatter::merge::SortKey {
        column: "model".into(),
        descending: false,
    }];
    group.bench_function("re-sort by another column", |b| {
        b.iter(|| app.table.sort(black_box(&by_model)).unwrap());
    });
    let per = ROWS / SOURCES;
    let names: Vec<String> = (0..SOURCES).map(|i| format!("shard-{i:02}")).collect();
    let batches: Vec<Vec<RecordBatch>> = (0..SOURCES)
        .map(|i| {
            (0..per / 10_000)
                .map(|b| batch(i * per + b * 10_000, 10_000))
                .collect()
        })
        .collect();
    let inputs: Vec<(&str, &[RecordBatch])> = names
        .iter()
        .zip(&batches)
        .map(|(n, b)| (n.as_str(), b.as_slice()))
        .collect();
    let spec = config().merge;
    group.bench_function("merge + sort of a finished run (throttled rebuild)", |b| {
        b.iter(|| TableView::build(black_box(&inputs), &spec, "").unwrap());
    });
    group.bench_function("filter \"sony\" over every cell", |b| {
        b.iter(|| app.table.set_filter(black_box("sony")).unwrap());
    });
    group.finish();
}

criterion_group!(benches, frame, rebuild);
criterion_main!(benches);
