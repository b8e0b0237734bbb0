//! The `redis` source against the real Redis named by `SCATTER_TEST_REDIS_URL` (skipped with a
//! printed reason when unset; failing when `SCATTER_REQUIRE_DB=1`). Each test writes keys
//! under its own prefix and deletes them at the end.

use std::fmt::Write as _;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use arrow_array::RecordBatch;
use arrow_array::cast::AsArray;
use arrow_array::types::{Float64Type, Int64Type};
use arrow_schema::DataType;
use redis::aio::MultiplexedConnection;
use scatter::config::Config;
use scatter::engine::{self, GatherResult, Plan};
use scatter::event::EventKind;
use scatter::source::{CancelReason, Outcome, RedisSource, Source, State};
use tokio::sync::mpsc;

/// The test server's URL, or `None` (with the reason printed) when the test should skip.
fn redis_url() -> Option<String> {
    match std::env::var("SCATTER_TEST_REDIS_URL") {
        Ok(url) if !url.is_empty() => Some(url),
        _ => {
            assert!(
                std::env::var("SCATTER_REQUIRE_DB").as_deref() != Ok("1"),
                "SCATTER_REQUIRE_DB=1 but SCATTER_TEST_REDIS_URL is not set"
            );
            eprintln!("skipped: set SCATTER_TEST_REDIS_URL (e.g. redis://127.0.0.1:6379) to run");
            None
        }
    }
}

/// A connection for setting up and checking, and the key prefix owned by one test.
struct Fixture {
    url: String,
    conn: MultiplexedConnection,
    prefix: String,
}

impl Fixture {
    async fn new(test: &str) -> Option<Self> {
        let url = redis_url()?;
        let client = redis::Client::open(url.as_str()).expect("a valid URL");
        let conn = client
            .get_multiplexed_async_connection()
            .await
            .expect("the test Redis answers");
        let f = Self {
            url,
            conn,
            prefix: format!("scatter_test:{test}:"),
        };
        f.clean().await;
        Some(f)
    }

    /// Deletes every key under this test's prefix (also in database 3, used by one test).
    async fn clean(&self) {
        for db in [None, Some(3)] {
            let mut conn = self.conn.clone();
            if let Some(db) = db {
                let client = redis::Client::open(format!("{}/{db}", self.url)).unwrap();
                conn = client.get_multiplexed_async_connection().await.unwrap();
            }
            let mut cursor = 0u64;
            loop {
                let (next, keys): (u64, Vec<String>) = redis::cmd("SCAN")
                    .arg(cursor)
                    .arg("MATCH")
                    .arg(format!("{}*", self.prefix))
                    .arg("COUNT")
                    .arg(10_000)
                    .query_async(&mut conn)
                    .await
                    .unwrap();
                if !keys.is_empty() {
                    redis::cmd("UNLINK")
                        .arg(&keys)
                        .query_async::<()>(&mut conn)
                        .await
                        .unwrap();
                }
                cursor = next;
                if cursor == 0 {
                    break;
                }
            }
        }
    }

    async fn run(&self, cmd: &mut redis::Cmd) {
        let mut conn = self.conn.clone();
        cmd.query_async::<()>(&mut conn).await.unwrap();
    }

    /// A config with one redis source per `(name, query)`.
    fn plan(&self, sources: &[(&str, &str)]) -> Arc<Plan> {
        plan_for(&self.url, sources)
    }

    /// Connections named `name` in `CLIENT LIST`.
    async fn clients_named(&self, name: &str) -> usize {
        let mut conn = self.conn.clone();
        let list: String = redis::cmd("CLIENT")
            .arg("LIST")
            .query_async(&mut conn)
            .await
            .unwrap();
        list.lines()
            .filter(|l| l.split(' ').any(|kv| kv == format!("name={name}")))
            .count()
    }
}

fn plan_for(url: &str, sources: &[(&str, &str)]) -> Arc<Plan> {
    let mut text = String::from("[gather]\ntimeout = \"30s\"\n");
    for (name, query) in sources {
        let _ = write!(
            text,
            "[[source]]\nname = \"{name}\"\nkind = \"redis\"\nurl = \"{url}\"\nquery = \"{query}\"\n"
        );
    }
    let config = Config::parse(Path::new("test.toml"), &text, &|_| None).expect("config parses");
    Arc::new(Plan::new(&config))
}

/// Runs one gather, returning its result and the `Rows` counts seen per source.
async fn gather(plan: &Arc<Plan>) -> (GatherResult, Vec<Vec<u64>>) {
    let (events_tx, mut events_rx) = mpsc::channel(engine::EVENT_CHANNEL);
    let result = engine::spawn(Arc::clone(plan), 1, events_tx).join().await;
    let mut rows = vec![Vec::new(); plan.sources.len()];
    while let Ok(event) = events_rx.try_recv() {
        if let EventKind::Rows { source, rows: n } = event.kind {
            rows[source].push(n);
        }
    }
    (result, rows)
}

/// A source's batches as one table (types widened as the merge does, `_source` added).
fn table(result: &GatherResult, source: usize) -> RecordBatch {
    let batches = &result.batches[source];
    let merged = scatter::merge::merge(&[("s", batches)], &scatter::merge::MergeSpec::default());
    merged.unwrap().batch
}

fn texts(batch: &RecordBatch, column: &str) -> Vec<Option<String>> {
    batch
        .column_by_name(column)
        .unwrap_or_else(|| panic!("no column {column}"))
        .as_string::<i32>()
        .iter()
        .map(|v| v.map(str::to_owned))
        .collect()
}

fn assert_ok(result: &GatherResult) {
    for r in &result.reports {
        assert_eq!(
            r.outcome,
            Outcome::Ok,
            "{}: {:?}",
            r.name,
            r.outcome.message()
        );
    }
}

#[tokio::test]
async fn hgetall_reads_each_hash_with_numbers_coerced() {
    let Some(f) = Fixture::new("hgetall").await else {
        return;
    };
    let p = &f.prefix;
    for (id, price, qty, zip, name) in [
        ("1", "9.5", "3", "02134", "anvil"),
        ("2", "3", "4", "10001", "rope"),
        ("3", "12", "0", "94105", "42"),
    ] {
        f.run(redis::cmd("HSET").arg(format!("{p}p:{id}")).arg(&[
            ("price", price),
            ("qty", qty),
            ("zip", zip),
            ("name", name),
        ]))
        .await;
    }
    f.run(
        redis::cmd("HSET")
            .arg(format!("{p}p:4"))
            .arg(&[("qty", "oops"), ("price", "1")]),
    )
    .await;
    f.run(
        redis::cmd("SET")
            .arg(format!("{p}p:string"))
            .arg("not a hash"),
    )
    .await;
    let plan = f.plan(&[
        ("three", &format!("HGETALL {p}p:[123]")),
        ("four", &format!("hgetall {p}p:*")),
    ]);
    let (result, _) = gather(&plan).await;
    assert_ok(&result);
    assert_eq!(result.reports[0].rows, 3);
    assert_eq!(result.reports[1].rows, 4, "the string key is not read");

    let three = table(&result, 0);
    let mut keys = texts(&three, "_key");
    keys.sort();
    assert_eq!(
        keys,
        (1..=3)
            .map(|i| Some(format!("{p}p:{i}")))
            .collect::<Vec<_>>()
    );
    let schema = three.schema();
    assert_eq!(schema.field(0).name(), "_key");
    assert_eq!(
        schema.field_with_name("price").unwrap().data_type(),
        &DataType::Float64
    );
    assert_eq!(
        schema.field_with_name("qty").unwrap().data_type(),
        &DataType::Int64
    );
    assert_eq!(
        schema.field_with_name("zip").unwrap().data_type(),
        &DataType::Utf8
    );
    assert_eq!(
        schema.field_with_name("name").unwrap().data_type(),
        &DataType::Utf8
    );
    let mut prices: Vec<f64> = three
        .column_by_name("price")
        .unwrap()
        .as_primitive::<Float64Type>()
        .values()
        .to_vec();
    prices.sort_by(f64::total_cmp);
    assert_eq!(prices, vec![3.0, 9.5, 12.0]);
    let mut qty: Vec<i64> = three
        .column_by_name("qty")
        .unwrap()
        .as_primitive::<Int64Type>()
        .values()
        .to_vec();
    qty.sort_unstable();
    assert_eq!(qty, vec![0, 3, 4]);

    let four = table(&result, 1);
    let schema = four.schema();
    assert_eq!(
        schema.field_with_name("qty").unwrap().data_type(),
        &DataType::Utf8,
        "one value is not a number, so the column stays text"
    );
    assert_eq!(
        schema.field_with_name("price").unwrap().data_type(),
        &DataType::Float64
    );
    f.clean().await;
}

#[tokio::test]
async fn get_reads_json_objects_and_shows_the_values_that_are_not() {
    let Some(f) = Fixture::new("get").await else {
        return;
    };
    let p = &f.prefix;
    for (key, value) in [
        ("doc:1", r#"{"sku": "A-1", "price": 2.5, "tags": ["x"]}"#),
        ("doc:2", r#"{"sku": "B-2", "price": 4, "stock": true}"#),
        ("doc:3", "plain text"),
        ("doc:4", "[1, 2, 3]"),
    ] {
        f.run(redis::cmd("SET").arg(format!("{p}{key}")).arg(value))
            .await;
    }
    f.run(
        redis::cmd("HSET")
            .arg(format!("{p}doc:hash"))
            .arg("a")
            .arg("1"),
    )
    .await;
    let plan = f.plan(&[("docs", &format!("GET {p}doc:*"))]);
    let (result, _) = gather(&plan).await;
    assert_ok(&result);
    assert_eq!(
        result.reports[0].rows, 4,
        "two objects and two reported values"
    );
    let t = table(&result, 0);
    let mut rows: Vec<(Option<String>, Option<String>, Option<String>)> = texts(&t, "_key")
        .into_iter()
        .zip(texts(&t, "sku"))
        .zip(texts(&t, "_error"))
        .map(|((k, s), e)| (k.map(|k| k.replace(p.as_str(), "")), s, e))
        .collect();
    rows.sort();
    assert_eq!(
        rows,
        vec![
            (Some("doc:1".into()), Some("A-1".into()), None),
            (Some("doc:2".into()), Some("B-2".into()), None),
            (
                Some("doc:3".into()),
                None,
                Some("not JSON: plain text".into())
            ),
            (
                Some("doc:4".into()),
                None,
                Some("not a JSON object but an array: [1, 2, 3]".into())
            ),
        ]
    );
    assert_eq!(
        t.schema().field_with_name("price").unwrap().data_type(),
        &DataType::Float64
    );
    f.clean().await;
}

#[tokio::test]
async fn zrange_gives_members_with_scores_in_rank_order() {
    let Some(f) = Fixture::new("zrange").await else {
        return;
    };
    let key = format!("{}top", f.prefix);
    f.run(redis::cmd("ZADD").arg(&key).arg(&[
        (5.5, "e"),
        (1.0, "a"),
        (3.25, "c"),
        (2.0, "b"),
        (4.0, "d"),
    ]))
    .await;
    let plan = f.plan(&[
        ("first3", &format!("ZRANGE {key} 0 2")),
        ("all", &format!("ZRANGE {key} 0 -1")),
    ]);
    let (result, _) = gather(&plan).await;
    assert_ok(&result);
    let first = table(&result, 0);
    assert_eq!(
        texts(&first, "member"),
        vec![Some("a".into()), Some("b".into()), Some("c".into())]
    );
    let scores = first
        .column_by_name("score")
        .unwrap()
        .as_primitive::<Float64Type>();
    assert_eq!(scores.values().to_vec(), vec![1.0, 2.0, 3.25]);
    assert_eq!(texts(&first, "_key")[0].as_deref(), Some(key.as_str()));
    assert_eq!(result.reports[1].rows, 5);
    f.clean().await;
}

#[tokio::test]
async fn nothing_matching_is_ok_with_no_rows() {
    let Some(f) = Fixture::new("nomatch").await else {
        return;
    };
    let p = &f.prefix;
    let plan = f.plan(&[
        ("hashes", &format!("HGETALL {p}nothing:*")),
        ("docs", &format!("GET {p}nothing:*")),
        ("range", &format!("ZRANGE {p}nothing 0 -1")),
    ]);
    let (result, _) = gather(&plan).await;
    assert_ok(&result);
    assert!(result.reports.iter().all(|r| r.rows == 0));
}

#[tokio::test]
async fn bad_queries_wrong_types_and_unreachable_servers_say_why() {
    let Some(f) = Fixture::new("errors").await else {
        return;
    };
    let p = &f.prefix;
    f.run(redis::cmd("HSET").arg(format!("{p}h")).arg("a").arg("1"))
        .await;
    let plan = f.plan(&[
        ("sql", "SELECT * FROM products"),
        ("wrongtype", &format!("ZRANGE {p}h 0 -1")),
    ]);
    let (result, _) = gather(&plan).await;
    let messages: Vec<String> = result
        .reports
        .iter()
        .map(|r| r.outcome.message().unwrap_or_default())
        .collect();
    assert_eq!(
        messages[0],
        "\"SELECT * FROM products\" is not a query this source runs; \
         use HGETALL <pattern>, GET <pattern> or ZRANGE <key> <start> <stop>"
    );
    assert_eq!(
        messages[1],
        "WRONGTYPE Operation against a key holding the wrong kind of value"
    );

    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = closed.local_addr().unwrap();
    drop(closed);
    let plan = plan_for(&format!("redis://:hunter2@{addr}/0"), &[("down", "GET x*")]);
    let (result, _) = gather(&plan).await;
    let m = result.reports[0].outcome.message().unwrap_or_default();
    assert_eq!(result.reports[0].outcome.state(), State::Error);
    assert!(m.starts_with(&format!("redis://:***@{addr}/0: ")), "{m}");
    assert!(!m.contains("hunter2"), "{m}");
    f.clean().await;
}

#[tokio::test]
async fn the_url_selects_the_database_and_describe_hides_the_password() {
    let Some(f) = Fixture::new("db3").await else {
        return;
    };
    let client = redis::Client::open(format!("{}/3", f.url)).unwrap();
    let mut db3 = client.get_multiplexed_async_connection().await.unwrap();
    redis::cmd("HSET")
        .arg(format!("{}only", f.prefix))
        .arg("a")
        .arg("1")
        .query_async::<()>(&mut db3)
        .await
        .unwrap();
    let query = format!("HGETALL {}*", f.prefix);
    let in_3 = plan_for(&format!("{}/3", f.url), &[("db3", &query)]);
    let in_0 = plan_for(&format!("{}/0", f.url), &[("db0", &query)]);
    assert_eq!(gather(&in_3).await.0.reports[0].rows, 1);
    assert_eq!(gather(&in_0).await.0.reports[0].rows, 0);

    let source = RedisSource::new("rediss://app:s3cret@cache.example.com:6380/2", "x").unwrap();
    assert_eq!(
        source.describe(),
        "redis rediss://app:***@cache.example.com:6380/2"
    );
    f.clean().await;
}

#[tokio::test]
async fn one_connection_is_kept_between_runs() {
    let Some(f) = Fixture::new("reuse").await else {
        return;
    };
    let plan = f.plan(&[("reuse-src", &format!("GET {}*", f.prefix))]);
    for _ in 0..3 {
        assert_ok(&gather(&plan).await.0);
    }
    assert_eq!(f.clients_named("scatter:reuse-src").await, 1);
}

/// Writes `n` small hashes under `prefix` in pipelines of 10,000.
async fn many_hashes(f: &Fixture, n: usize) {
    let mut conn = f.conn.clone();
    for chunk in (0..n).collect::<Vec<_>>().chunks(10_000) {
        let mut pipe = redis::pipe();
        for i in chunk {
            pipe.cmd("HSET")
                .arg(format!("{}k:{i}", f.prefix))
                .arg(&[("n", i.to_string()), ("price", format!("{}.5", i % 100))])
                .ignore();
        }
        pipe.query_async::<()>(&mut conn).await.unwrap();
    }
}

const MANY: usize = 100_000;

#[tokio::test]
async fn a_scan_over_100k_keys_streams_its_row_count() {
    let Some(f) = Fixture::new("many").await else {
        return;
    };
    many_hashes(&f, MANY).await;
    let plan = f.plan(&[("many", &format!("HGETALL {}k:*", f.prefix))]);
    let started = Instant::now();
    let (result, counts) = gather(&plan).await;
    let took = started.elapsed();
    assert_ok(&result);
    assert_eq!(result.reports[0].rows, MANY as u64);
    let counts = &counts[0];
    eprintln!("{MANY} hashes in {took:?}; row counts seen: {counts:?}");
    assert!(counts.len() >= 2, "the count climbs: {counts:?}");
    assert!(counts.windows(2).all(|w| w[0] < w[1]), "{counts:?}");
    assert!(counts[0] < MANY as u64, "{counts:?}");
    let t = table(&result, 0);
    assert_eq!(
        t.schema().field_with_name("n").unwrap().data_type(),
        &DataType::Int64
    );
    f.clean().await;
}

#[tokio::test]
async fn a_cancel_in_the_middle_of_a_scan_stops_it() {
    let Some(f) = Fixture::new("cancel").await else {
        return;
    };
    many_hashes(&f, MANY).await;
    let plan = f.plan(&[("cancel-src", &format!("HGETALL {}k:*", f.prefix))]);
    let (events_tx, mut events_rx) = mpsc::channel(engine::EVENT_CHANNEL);
    let gather = engine::spawn(Arc::clone(&plan), 1, events_tx);
    let mut seen = 0;
    while let Some(event) = events_rx.recv().await {
        if let EventKind::Rows { rows, .. } = event.kind {
            seen = rows;
            break;
        }
    }
    assert!(seen > 0 && seen < MANY as u64, "{seen}");
    assert_eq!(f.clients_named("scatter:cancel-src").await, 1, "scanning");
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
    while f.clients_named("scatter:cancel-src").await > 0 {
        assert!(
            cancelled_at.elapsed() < Duration::from_secs(1),
            "the scanning connection is still open"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    f.clean().await;
}

#[tokio::test]
async fn a_kept_connection_killed_between_runs_is_replaced() {
    let Some(f) = Fixture::new("revive").await else {
        return;
    };
    let plan = f.plan(&[("revive-src", &format!("GET {}*", f.prefix))]);
    assert_ok(&gather(&plan).await.0);
    let mut conn = f.conn.clone();
    redis::cmd("CLIENT")
        .arg("KILL")
        .arg("SKIPME")
        .arg("yes")
        .arg("ID")
        .arg(client_id(&f, "scatter:revive-src").await)
        .query_async::<i64>(&mut conn)
        .await
        .unwrap();
    assert_eq!(f.clients_named("scatter:revive-src").await, 0);
    assert_ok(&gather(&plan).await.0);
    assert_eq!(f.clients_named("scatter:revive-src").await, 1);
}

/// The id of the connection named `name` in `CLIENT LIST`.
async fn client_id(f: &Fixture, name: &str) -> i64 {
    let mut conn = f.conn.clone();
    let list: String = redis::cmd("CLIENT")
        .arg("LIST")
        .query_async(&mut conn)
        .await
        .unwrap();
    list.lines()
        .find(|l| l.split(' ').any(|kv| kv == format!("name={name}")))
        .and_then(|l| l.split(' ').find_map(|kv| kv.strip_prefix("id=")))
        .and_then(|id| id.parse().ok())
        .unwrap_or_else(|| panic!("no client named {name}"))
}

#[test]
fn redis_config_takes_a_url_and_nothing_else() {
    let parse = |source: &str| {
        Config::parse(
            Path::new("s.toml"),
            &format!("[[source]]\nname = \"r\"\nkind = \"redis\"\n{source}"),
            &|name| (name == "REDIS_PW").then(|| "pw".to_owned()),
        )
        .map(|c| c.sources[0].kind.clone())
        .map_err(|e| e.to_string())
    };
    assert_eq!(
        parse("url = \"redis://:${REDIS_PW}@h:6379/1\""),
        Ok(scatter::config::KindSpec::Redis {
            url: "redis://:pw@h:6379/1".into()
        })
    );
    assert_eq!(
        parse(""),
        Err("s.toml:3: kind \"redis\" needs `url`".into())
    );
    assert_eq!(
        parse("url = \"redis://h\"\npath = \"x\""),
        Err("s.toml:5: `path` is not a key of kind \"redis\" (it takes: url, replicas)".into())
    );
}
