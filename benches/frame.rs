//! One dashboard frame with 1,000,000 merged rows: building it (only the visible rows are
//! formatted) and rendering it to ratatui's `TestBackend` at 140×45. Target: ≤ 2 ms.
//! Also measured: what `s` costs on the event loop at this size (the sort itself is deferred to
//! the next rebuild), the sort and the filter themselves, and re-merging everything (what a
//! throttled rebuild costs), which happen off the loop a few times a second at most.
//! At fleet size (10,000 sources, 1 M rows): frames with the sources sorted by latency and
//! filtered, grouped by tag, and the distribution view (target ≤ 2 ms), and the rebuild of
//! the sources index that a key or the 250 ms throttle asks for.

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
use scatter::source::{Outcome, SourceError, SourceReport, TimeoutCause, Timing};
use scatter::tui::view::TableView;
use scatter::tui::{Action, App, Effect, Theme, ui};

const ROWS: usize = 1_000_000;
const SOURCES: usize = 10;

const CONFIG: &str = r#"
query = "SELECT * FROM products"
[merge]
sort = ["price", "-model"]
"#;

/// Sources of the fleet frames: the issue's target is a frame with 10,000 sources.
const FLEET: usize = 10_000;

/// `sources` sim sources named `shard-NNNN`, tagged by region.
fn config_of(sources: usize) -> Config {
    let mut text = CONFIG.to_owned();
    for i in 0..sources {
        let region = ["eu", "us", "ap", "sa"][i % 4];
        let _ = write!(
            text,
            "[[source]]\nname = \"shard-{i:04}\"\nkind = \"sim\"\nlatency = \"1ms\"\ntags = [\"{region}\"]\n"
        );
    }
    Config::parse(Path::new("/bench/sources.toml"), &text, &|_| None).unwrap()
}

fn config() -> Config {
    config_of(SOURCES)
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
    let app = loaded_fleet(SOURCES);
    assert_eq!(app.table.len(), ROWS);
    app
}

/// An app whose finished run merged `ROWS` rows from `sources` sources, with latencies spread
/// over 5 ms to 3 s; in a fleet (100 sources or more) every 50th source failed and every 77th
/// timed out.
fn loaded_fleet(sources: usize) -> App {
    let config = config_of(sources);
    let plan = Arc::new(Plan::new(&config));
    let t0 = Instant::now();
    let mut app = App::new(config, plan, Theme::colored(), t0);
    app.update(Action::Resize(140, 45));
    let Some(Effect::Spawn { generation, .. }) = app.update(Action::Run) else {
        panic!("the first run spawns");
    };
    let per = ROWS / sources;
    let chunk = per.min(10_000);
    let is_fleet = sources >= 100;
    for i in 0..sources {
        let latency = 5 + (i as u64 * 7919) % 3000;
        let (outcome, rows) = match i {
            _ if is_fleet && i % 50 == 7 => (
                Outcome::Error(SourceError::Failed("connection refused".into()).into()),
                0,
            ),
            _ if is_fleet && i % 77 == 9 => (
                Outcome::Timeout {
                    limit: Duration::from_secs(3),
                    cause: TimeoutCause::Source,
                },
                0,
            ),
            _ => (Outcome::Ok, per),
        };
        let report = SourceReport {
            index: i,
            name: format!("shard-{i:04}"),
            kind: "sim",
            outcome,
            rows: rows as u64,
            timing: Timing {
                started: Some(Duration::from_millis(i as u64 % 100)),
                first_row: Some(Duration::from_millis(i as u64 % 100 + 2)),
                finished: Duration::from_millis(i as u64 % 100 + latency),
                ..Timing::default()
            },
            warnings: Vec::new(),
            attempts: Vec::new(),
        };
        let batches = (0..rows / chunk)
            .map(|b| batch(i * per + b * chunk, chunk))
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
            aborted: false,
        },
    }));
    // The event loop runs the merge on a blocking thread; here, at once.
    while let Some(Effect::Rebuild(job)) = effect {
        effect = app.update(Action::Rebuilt(Box::new(job.run())));
    }
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

/// 10,000 sources and 1 M rows: frames with the sources sorted by latency and filtered (by
/// state, by name or tag, and the results by text), grouped by tag, and the distribution
/// view; and the throttled rebuild of the sources index, off the frame path.
fn fleet(c: &mut Criterion) {
    let mut app = loaded_fleet(FLEET);
    assert!(app.table.merged_rows() > ROWS / 2);
    let mut terminal = Terminal::new(TestBackend::new(140, 45)).unwrap();
    app.update(Action::SourcesSortNext);
    let mut draw = |name: &str, app: &App| {
        c.bench_function(name, |b| {
            b.iter(|| {
                terminal.draw(|f| ui::render(black_box(app), f)).unwrap();
            });
        });
    };
    draw("fleet 10k sources 1M rows: sorted by latency", &app);
    app.update(Action::StateFilterNext);
    app.update(Action::FocusNext);
    app.update(Action::EditFilter);
    for ch in "eu".chars() {
        app.update(Action::Input(ch));
    }
    app.update(Action::Submit);
    app.update(Action::FocusNext);
    app.update(Action::EditFilter);
    for ch in "sony".chars() {
        app.update(Action::Input(ch));
    }
    let mut effect = app.update(Action::Submit);
    effect = effect.or_else(|| app.update(Action::Tick(Instant::now() + Duration::from_secs(1))));
    while let Some(Effect::Rebuild(job)) = effect {
        effect = app.update(Action::Rebuilt(Box::new(job.run())));
    }
    assert!(app.index.hidden > FLEET / 2 && !app.filter.is_empty());
    draw(
        "fleet 10k sources 1M rows: sorted by latency, failed in eu, rows filtered",
        &app,
    );
    app.update(Action::StateFilterNext);
    app.update(Action::StateFilterNext);
    app.update(Action::StateFilterNext);
    app.update(Action::ToggleGroups);
    draw("fleet 10k sources 1M rows: grouped by tag", &app);
    app.update(Action::ToggleGroups);
    app.update(Action::ToggleView);
    draw("fleet 10k sources 1M rows: latency distribution", &app);
    let mut group = c.benchmark_group("10k sources, off the frame path");
    group.sample_size(20);
    group.bench_function("key o: re-sort the sources index", |b| {
        b.iter(|| app.update(Action::SourcesSortFlip));
    });
    group.finish();
}

criterion_group!(benches, frame, rebuild, fleet);
criterion_main!(benches);
