//! The `mongodb` source over a cursor of 100,000 documents on the server named by
//! `SCATTER_TEST_MONGO_URL` (skipped with a printed reason when unset, failing when
//! `SCATTER_REQUIRE_DB=1`): rows stream in server batches with the count climbing; a cancel
//! in the middle stops it and sends `killCursors`; a connection cut in the middle fails the
//! source at once with the neighbour intact.

mod common;
mod db_common;
mod mongo_common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use arrow_schema::DataType;
use common::{assert_healthy, healthy};
use db_common::proxy::Proxy;
use db_common::{error, gather, progress};
use mongo_common::{Fixture, Sniffer, upstream, via};
use mongodb::bson::doc;
use scatter::engine::{self, Plan};
use scatter::event::EventKind;
use scatter::source::{CancelReason, Outcome, State};
use tokio::sync::{OnceCell, mpsc};

const MANY: usize = 100_000;
const QUERY: &str = r#"{"find": "many", "sort": {"i": 1}}"#;

/// The test database holding collection `many` of [`MANY`] documents, filled once for every
/// test of this binary (inserting takes some seconds on nx-27017).
static MANY_DOCS: OnceCell<Option<Fixture>> = OnceCell::const_new();

async fn many() -> Option<&'static Fixture> {
    MANY_DOCS
        .get_or_init(|| async {
            let f = Fixture::new("stream").await?;
            let docs = (0..MANY as i64)
                .map(|i| doc! {"i": i, "name": format!("item {i}"), "price": (i % 1000) as f64 + 0.5})
                .collect();
            f.insert("many", docs).await;
            Some(f)
        })
        .await
        .as_ref()
}

/// A plan with the MongoDB source `name` reading [`QUERY`] at `url` and a healthy sim.
fn plan(name: &str, url: &str, timeout: &str) -> Arc<Plan> {
    let toml = format!(
        "[[source]]\nname = \"{name}\"\nkind = \"mongodb\"\nurl = \"{url}\"\nquery = '{QUERY}'\n\
         timeout = \"{timeout}\"\n{}",
        healthy("calm")
    );
    Arc::new(Plan::new(&db_common::config(&toml)))
}

/// Starts a gather of `plan` and returns it once its first source reported rows.
async fn running_with_rows(plan: &Arc<Plan>) -> (engine::Gather, u64) {
    let (events_tx, mut events_rx) = mpsc::channel(engine::EVENT_CHANNEL);
    let gather = engine::spawn(Arc::clone(plan), 1, events_tx);
    let mut seen = 0;
    while let Some(event) = events_rx.recv().await {
        if let EventKind::Rows { source: 0, rows } = event.kind {
            seen = rows;
            break;
        }
    }
    tokio::spawn(async move { while events_rx.recv().await.is_some() {} });
    (gather, seen)
}

#[tokio::test]
async fn a_cursor_over_100k_documents_streams_its_row_count() {
    let Some(f) = many().await else {
        return;
    };
    let plan = plan("many", &f.url, "60s");
    let started = Instant::now();
    let (result, events) = gather(&plan).await;
    let took = started.elapsed();
    assert_eq!(
        result.reports[0].outcome.state(),
        State::Ok,
        "{:?}",
        result.reports[0]
    );
    assert_eq!(result.reports[0].rows, MANY as u64);
    let counts = progress(&events, 0);
    eprintln!("{MANY} documents in {took:?}; row counts seen: {counts:?}");
    assert!(counts.len() >= 2, "the count climbs: {counts:?}");
    assert!(counts.windows(2).all(|w| w[0] < w[1]), "{counts:?}");
    assert!(counts[0] < MANY as u64, "{counts:?}");
    let batches = &result.batches[0];
    assert!(batches.len() >= MANY / 4096, "one batch per server batch");
    let schema = batches[0].schema();
    assert_eq!(
        schema.field_with_name("i").unwrap().data_type(),
        &DataType::Int64
    );
    assert_eq!(
        schema.field_with_name("price").unwrap().data_type(),
        &DataType::Float64
    );
    assert_healthy(&result, "calm");
}

#[tokio::test]
async fn a_cancel_in_the_middle_drops_the_cursor_on_the_server() {
    let Some(f) = many().await else {
        return;
    };
    let (sniffer, port) = Sniffer::start(upstream(&f.url)).await;
    let plan = plan("cancelled", &via(&f.url, port), "60s");
    let (gather, seen) = running_with_rows(&plan).await;
    assert!(seen > 0 && seen < MANY as u64, "{seen}");
    assert_eq!(sniffer.sent_count(b"killCursors\0"), 0);
    let cancelled_at = Instant::now();
    gather.cancel(CancelReason::User);
    let result = gather.join().await;
    assert_eq!(
        result.reports[0].outcome.state(),
        State::Cancelled,
        "{:?}",
        result.reports[0].outcome
    );
    assert!(result.reports[0].rows < MANY as u64);
    assert!(
        cancelled_at.elapsed() < Duration::from_secs(1),
        "stopped at once"
    );
    // The cleanup shuts the client down, which first waits for the dropped cursor's
    // `killCursors`: it reaches the wire at once; `--once` waits for the cleanup to end.
    while sniffer.sent_count(b"killCursors\0") == 0 {
        assert!(
            cancelled_at.elapsed() < Duration::from_secs(5),
            "no killCursors reached the server"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    eprintln!(
        "killCursors on the wire {:?} after the cancel",
        cancelled_at.elapsed()
    );
    plan.cleanup.close();
    tokio::time::timeout(Duration::from_secs(10), plan.cleanup.wait())
        .await
        .expect("the cleanup ends");
    assert_eq!(sniffer.sent_count(b"killCursors\0"), 1, "one killCursors");
}

#[tokio::test]
async fn a_connection_cut_in_the_middle_fails_at_once() {
    let Some(f) = many().await else {
        return;
    };
    let (proxy, port) = Proxy::start(upstream(&f.url)).await;
    let plan = plan("cut", &via(&f.url, port), "60s");
    let (gather, seen) = running_with_rows(&plan).await;
    assert!(seen < MANY as u64, "{seen}");
    let cut_at = Instant::now();
    proxy.cut();
    let result = gather.join().await;
    let message = error(&result, "cut");
    assert!(message.starts_with("connection lost: "), "{message}");
    assert!(
        matches!(&result.reports[0].outcome, Outcome::Error(e) if e.is_transient()),
        "a lost connection is transient"
    );
    assert!(
        cut_at.elapsed() < Duration::from_secs(3),
        "ended promptly, not at the 60 s timeout: {:?}",
        cut_at.elapsed()
    );
    assert_healthy(&result, "calm");
}
