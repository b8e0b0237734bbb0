//! One JSON payload, one schema: the same rows through a JSON file, an NDJSON file, a command
//! (NDJSON and JSON), an HTTP API and Redis string values get the same column types.

use std::fmt::Write as _;
use std::sync::Arc;

use arrow_schema::DataType;
use scatter::config::Config;
use scatter::engine::{self, Plan};
use scatter::source::State;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio::sync::mpsc;

/// Rows with integers and floats in one key, text, null, a boolean, an object and an array.
const ROWS: [&str; 3] = [
    r#"{"id": 1, "name": "anvil", "price": 9.5, "ok": true, "dims": {"w": 3}, "tags": ["a"]}"#,
    r#"{"id": 2, "name": null, "price": 3, "ok": false, "dims": {"w": 4}, "tags": []}"#,
    r#"{"id": 3, "name": "rope", "price": 12, "ok": null, "dims": null, "tags": ["b", "c"]}"#,
];

/// Rows arrow-json cannot type as they are: `meta` is an object, then a number.
const CLASHING: [&str; 2] = [r#"{"id": 1, "meta": {"k": 1}}"#, r#"{"id": 2, "meta": 7}"#];

/// Serves `body` as `application/json` to every request on 127.0.0.1:0; returns the URL.
async fn serve(body: String) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/rows", listener.local_addr().unwrap());
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            let body = body.clone();
            tokio::spawn(async move {
                let mut head = Vec::new();
                let mut buf = [0u8; 1024];
                while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                    let Ok(n @ 1..) = socket.read(&mut buf).await else {
                        return;
                    };
                    head.extend_from_slice(&buf[..n]);
                }
                let reply = format!(
                    "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = socket.write_all(reply.as_bytes()).await;
            });
        }
    });
    url
}

/// Stores each row as a Redis string under `prefix` + its index; `None` without a server.
async fn store_in_redis(prefix: &str, rows: &[&str]) -> Option<String> {
    let url = std::env::var("SCATTER_TEST_REDIS_URL")
        .ok()
        .filter(|u| !u.is_empty());
    let Some(url) = url else {
        assert!(
            std::env::var("SCATTER_REQUIRE_DB").as_deref() != Ok("1"),
            "SCATTER_REQUIRE_DB=1 but SCATTER_TEST_REDIS_URL is not set"
        );
        eprintln!("redis skipped: set SCATTER_TEST_REDIS_URL to include it");
        return None;
    };
    let client = redis::Client::open(url.as_str()).unwrap();
    let mut conn = client.get_multiplexed_async_connection().await.unwrap();
    for (i, row) in rows.iter().enumerate() {
        redis::cmd("SET")
            .arg(format!("{prefix}{i}"))
            .arg(*row)
            .query_async::<()>(&mut conn)
            .await
            .unwrap();
    }
    Some(url)
}

/// Each source's columns (name and type, sorted by name; Redis's `_key` left out).
async fn schemas(rows: &[&str], test: &str) -> Vec<(String, Vec<(String, DataType)>)> {
    let dir = tempfile::tempdir().unwrap();
    let ndjson = rows.join("\n") + "\n";
    let array = format!("[{}]", rows.join(","));
    std::fs::write(dir.path().join("rows.ndjson"), &ndjson).unwrap();
    std::fs::write(dir.path().join("rows.json"), &array).unwrap();
    let url = serve(array).await;
    let mut config_text = String::from("[gather]\ntimeout = \"10s\"\n");
    let mut source = |name: &str, body: &str| {
        let _ = write!(config_text, "[[source]]\nname = \"{name}\"\n{body}\n");
    };
    source("file-json", "kind = \"file\"\npath = \"rows.json\"");
    source("file-ndjson", "kind = \"file\"\npath = \"rows.ndjson\"");
    let at = dir.path().display();
    source(
        "command-ndjson",
        &format!("kind = \"command\"\nargv = [\"cat\", \"{at}/rows.ndjson\"]"),
    );
    source(
        "command-json",
        &format!("kind = \"command\"\nformat = \"json\"\nargv = [\"cat\", \"{at}/rows.json\"]"),
    );
    source("http", &format!("kind = \"http\"\nurl = \"{url}\""));
    let prefix = format!("scatter_test:json_paths:{test}:");
    if let Some(redis) = store_in_redis(&prefix, rows).await {
        source(
            "redis",
            &format!("kind = \"redis\"\nurl = \"{redis}\"\nquery = \"GET {prefix}*\""),
        );
    }
    let config = Config::parse(&dir.path().join("sources.toml"), &config_text, &|_| None).unwrap();
    let plan = Arc::new(Plan::new(&config));
    let (events_tx, mut events_rx) = mpsc::channel(engine::EVENT_CHANNEL);
    tokio::spawn(async move { while events_rx.recv().await.is_some() {} });
    let result = engine::spawn(plan, 1, events_tx).join().await;
    result
        .reports
        .iter()
        .zip(&result.batches)
        .map(|(report, batches)| {
            assert_eq!(
                report.outcome.state(),
                State::Ok,
                "{}: {:?}",
                report.name,
                report.outcome
            );
            let schema = scatter::merge::union_schema(batches);
            let mut fields: Vec<(String, DataType)> = schema
                .fields()
                .iter()
                .filter(|f| !f.name().starts_with('_'))
                .map(|f| (f.name().clone(), f.data_type().clone()))
                .collect();
            fields.sort_by(|a, b| a.0.cmp(&b.0));
            (report.name.clone(), fields)
        })
        .collect()
}

fn assert_one_schema(schemas: &[(String, Vec<(String, DataType)>)]) {
    let (first, want) = &schemas[0];
    for (name, fields) in &schemas[1..] {
        assert_eq!(fields, want, "{name} differs from {first}");
    }
}

#[tokio::test]
async fn one_payload_gets_one_schema_through_every_json_source() {
    let schemas = schemas(&ROWS, "rows").await;
    assert!(schemas.len() >= 5);
    assert_one_schema(&schemas);
    let types: Vec<(&str, &DataType)> = schemas[0].1.iter().map(|(n, t)| (n.as_str(), t)).collect();
    assert_eq!(types[1], ("id", &DataType::Int64));
    assert_eq!(types[4], ("price", &DataType::Float64));
    assert!(matches!(types[0].1, DataType::Struct(_)), "{types:?}");
    assert!(matches!(types[5].1, DataType::List(_)), "{types:?}");
}

#[tokio::test]
async fn a_key_json_cannot_type_is_text_through_every_json_source() {
    let schemas = schemas(&CLASHING, "clashing").await;
    assert_one_schema(&schemas);
    assert_eq!(
        schemas[0].1,
        [
            ("id".to_owned(), DataType::Int64),
            ("meta".to_owned(), DataType::Utf8)
        ]
    );
}
