//! The `http` source against a tiny HTTP/1.1 server bound to port 0 in each test: rows at a
//! JSON pointer, `{query}` encoding, POST with body and headers, error statuses, malformed
//! JSON, the body cap, and a slow server that sees the connection dropped on timeout.

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use arrow_array::cast::AsArray;
use arrow_array::types::{Float64Type, Int64Type};
use scatter::config::{Config, HttpMethod};
use scatter::engine::{self, GatherResult, Plan};
use scatter::source::{HttpSource, Request, RowSink, SinkLimits, Source, State};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

/// What the test server does with each request.
#[derive(Clone)]
enum Reply {
    /// Answers with this status line, content type and body (with a `Content-Length`).
    Full(&'static str, &'static str, Vec<u8>),
    /// Never answers; reports on `hang_tx` when the client closes the connection.
    Hang,
    /// A 200 with no length, then bytes forever, until the client goes away.
    Endless,
}

/// A request as the server read it.
#[derive(Debug)]
struct Seen {
    head: String,
    body: Vec<u8>,
}

/// A server on 127.0.0.1:0 giving `reply` to every request. Returns its base URL, the
/// requests it read (server -> test; closed when the server task ends) and disconnect
/// notices from `Reply::Hang` (with the time the client went away).
async fn serve(
    reply: Reply,
) -> (
    String,
    mpsc::UnboundedReceiver<Seen>,
    mpsc::UnboundedReceiver<Instant>,
) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let (seen_tx, seen_rx) = mpsc::unbounded_channel();
    let (hang_tx, hang_rx) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        loop {
            let Ok((socket, _)) = listener.accept().await else {
                return;
            };
            tokio::spawn(handle(
                socket,
                reply.clone(),
                seen_tx.clone(),
                hang_tx.clone(),
            ));
        }
    });
    (base, seen_rx, hang_rx)
}

async fn handle(
    mut socket: TcpStream,
    reply: Reply,
    seen_tx: mpsc::UnboundedSender<Seen>,
    hang_tx: mpsc::UnboundedSender<Instant>,
) {
    let mut buf = Vec::new();
    let head_end = loop {
        let mut chunk = [0u8; 4096];
        let n = socket.read(&mut chunk).await.unwrap_or(0);
        if n == 0 {
            return;
        }
        buf.extend_from_slice(&chunk[..n]);
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).into_owned();
    let length = head
        .lines()
        .find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.eq_ignore_ascii_case("content-length")
                .then(|| v.trim().parse::<usize>().ok())?
        })
        .unwrap_or(0);
    while buf.len() < head_end + length {
        let mut chunk = [0u8; 4096];
        let n = socket.read(&mut chunk).await.unwrap_or(0);
        if n == 0 {
            break;
        }
        buf.extend_from_slice(&chunk[..n]);
    }
    let body = buf[head_end..].to_vec();
    let _ = seen_tx.send(Seen { head, body });
    match reply {
        Reply::Full(status, content_type, body) => {
            let head = format!(
                "HTTP/1.1 {status}\r\ncontent-type: {content_type}\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
                body.len()
            );
            let _ = socket.write_all(head.as_bytes()).await;
            let _ = socket.write_all(&body).await;
        }
        Reply::Hang => {
            let mut rest = [0u8; 64];
            // Returns 0 (or an error) only when the client closes the connection.
            let _ = socket.read(&mut rest).await;
            let _ = hang_tx.send(Instant::now());
        }
        Reply::Endless => {
            let head =
                "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\nconnection: close\r\n\r\n[";
            let _ = socket.write_all(head.as_bytes()).await;
            let row = b"{\"a\":1},".repeat(1024);
            while socket.write_all(&row).await.is_ok() {}
        }
    }
}

fn json(body: &str) -> Reply {
    Reply::Full("200 OK", "application/json", body.as_bytes().to_vec())
}

/// Runs one gather of a config holding `sources` (TOML `[[source]]` tables).
async fn gather(sources: &str, env: &[(&str, &str)]) -> (Arc<Plan>, GatherResult) {
    let text = format!("[gather]\ntimeout = \"5s\"\n{sources}");
    let env: Vec<(String, String)> = env
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    let lookup = move |name: &str| env.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone());
    let config = Config::parse(Path::new("test.toml"), &text, &lookup).expect("config parses");
    let plan = Arc::new(Plan::new(&config));
    let (events_tx, mut events_rx) = mpsc::channel(engine::EVENT_CHANNEL);
    tokio::spawn(async move { while events_rx.recv().await.is_some() {} });
    let result = engine::spawn(Arc::clone(&plan), 1, events_tx).join().await;
    (plan, result)
}

fn message(result: &GatherResult) -> String {
    result.reports[0].outcome.message().unwrap_or_default()
}

#[tokio::test]
async fn rows_come_from_the_json_pointer_typed() {
    let (base, _, _) = serve(json(
        r#"{"meta": {"n": 3}, "data": {"items": [
            {"id": 1, "name": "anvil", "price": 9.5},
            {"id": 2, "name": "rope", "price": 3, "tags": ["a", "b"]},
            {"id": 3, "name": null, "price": 12.25}
        ]}}"#,
    ))
    .await;
    let (_, result) = gather(
        &format!("[[source]]\nname = \"api\"\nkind = \"http\"\nurl = \"{base}/items\"\nrows = \"/data/items\"\n"),
        &[],
    )
    .await;
    assert_eq!(
        result.reports[0].outcome.state(),
        State::Ok,
        "{}",
        message(&result)
    );
    assert_eq!(result.reports[0].rows, 3);
    let batch =
        arrow_select::concat::concat_batches(&result.batches[0][0].schema(), &result.batches[0])
            .unwrap();
    let id = batch
        .column_by_name("id")
        .unwrap()
        .as_primitive::<Int64Type>();
    assert_eq!(id.values().to_vec(), vec![1, 2, 3]);
    let price = batch
        .column_by_name("price")
        .unwrap()
        .as_primitive::<Float64Type>();
    assert_eq!(price.values().to_vec(), vec![9.5, 3.0, 12.25]);
    let name = batch.column_by_name("name").unwrap().as_string::<i32>();
    assert_eq!(
        name.iter().collect::<Vec<_>>(),
        vec![Some("anvil"), Some("rope"), None]
    );
    // Typed as a JSON file's rows are: an array is a list.
    let tags = batch.column_by_name("tags").unwrap().as_list::<i32>();
    assert!(arrow_array::Array::is_null(tags, 0));
    let second = tags.value(1);
    assert_eq!(
        second.as_string::<i32>().iter().collect::<Vec<_>>(),
        vec![Some("a"), Some("b")]
    );
}

#[tokio::test]
async fn a_pointer_to_nothing_or_to_a_non_array_is_an_error() {
    let (base, _, _) = serve(json(r#"{"data": {"items": {"id": 1}}}"#)).await;
    let (_, result) = gather(
        &format!(
            "[[source]]\nname = \"missing\"\nkind = \"http\"\nurl = \"{base}\"\nrows = \"/nope\"\n\
             [[source]]\nname = \"object\"\nkind = \"http\"\nurl = \"{base}\"\nrows = \"/data/items\"\n"
        ),
        &[],
    )
    .await;
    let messages: Vec<String> = result
        .reports
        .iter()
        .map(|r| r.outcome.message().unwrap_or_default())
        .collect();
    assert_eq!(messages[0], "JSON: nothing at pointer \"/nope\"");
    assert_eq!(
        messages[1],
        "JSON: expected an array of objects at /data/items, found an object"
    );
}

#[tokio::test]
async fn query_is_percent_encoded_in_path_and_query_string() {
    let (base, mut seen, _) = serve(json("[]")).await;
    let (_, result) = gather(
        &format!(
            "[[source]]\nname = \"api\"\nkind = \"http\"\nurl = \"{base}/search/{{query}}?q={{query}}&n=1\"\nquery = \"a b&c=d/é?#\"\n"
        ),
        &[],
    )
    .await;
    assert_eq!(
        result.reports[0].outcome.state(),
        State::Ok,
        "{}",
        message(&result)
    );
    assert_eq!(result.reports[0].rows, 0);
    let request = seen.recv().await.unwrap();
    let line = request.head.lines().next().unwrap();
    assert_eq!(
        line,
        "GET /search/a%20b%26c%3Dd%2F%C3%A9%3F%23?q=a%20b%26c%3Dd%2F%C3%A9%3F%23&n=1 HTTP/1.1"
    );
}

#[tokio::test]
async fn post_sends_the_body_json_escaped_and_the_headers() {
    let (base, mut seen, _) = serve(json(r#"{"hits": [{"sku": "A-1"}]}"#)).await;
    let (plan, result) = gather(
        &format!(
            r#"[[source]]
name = "search"
kind = "http"
method = "POST"
url = "{base}/search"
headers = {{ Authorization = "Bearer ${{API_TOKEN}}", X-Team = "shop" }}
body = '{{"q": "{{query}}", "size": 5}}'
rows = "/hits"
query = 'say "hi"\ now'
"#
        ),
        &[("API_TOKEN", "tok-s3cret")],
    )
    .await;
    assert_eq!(
        result.reports[0].outcome.state(),
        State::Ok,
        "{}",
        message(&result)
    );
    assert_eq!(result.reports[0].rows, 1);
    let request = seen.recv().await.unwrap();
    let head = request.head.to_ascii_lowercase();
    assert!(head.starts_with("post /search http/1.1"), "{head}");
    assert!(head.contains("authorization: bearer tok-s3cret"), "{head}");
    assert!(head.contains("x-team: shop"), "{head}");
    assert!(head.contains("content-type: application/json"), "{head}");
    let body: serde_json::Value = serde_json::from_slice(&request.body).unwrap();
    assert_eq!(
        body,
        serde_json::json!({"q": "say \"hi\"\\ now", "size": 5})
    );
    let described = plan.sources[0].source.as_ref().unwrap().describe();
    assert!(!described.contains("tok-s3cret"), "{described}");
    assert!(described.contains("authorization"), "{described}");
}

#[tokio::test]
async fn an_error_status_gives_the_status_and_a_snippet_of_the_body() {
    let page =
        "<html>\n<body>\n  <h1>Internal error</h1>\n  <p>database is down</p>\n</body></html>";
    let (base, _, _) = serve(Reply::Full(
        "500 Internal Server Error",
        "text/html",
        page.as_bytes().to_vec(),
    ))
    .await;
    let (_, result) = gather(
        &format!("[[source]]\nname = \"api\"\nkind = \"http\"\nurl = \"{base}/x\"\n"),
        &[],
    )
    .await;
    assert_eq!(result.reports[0].outcome.state(), State::Error);
    assert_eq!(
        message(&result),
        "HTTP 500 Internal Server Error: <html> <body> <h1>Internal error</h1> <p>database is down</p> </body></html>"
    );
}

#[tokio::test]
async fn malformed_json_is_an_error_quoting_the_body() {
    let (base, _, _) = serve(json(r#"{"items": [{"a": 1}, {"a": tru"#)).await;
    let (_, result) = gather(
        &format!(
            "[[source]]\nname = \"api\"\nkind = \"http\"\nurl = \"{base}/x\"\nrows = \"/items\"\n"
        ),
        &[],
    )
    .await;
    assert_eq!(result.reports[0].outcome.state(), State::Error);
    let m = message(&result);
    assert!(m.starts_with("malformed JSON ("), "{m}");
    assert!(m.ends_with(r#": {"items": [{"a": 1}, {"a": tru"#), "{m}");
}

#[tokio::test]
async fn connection_refused_names_the_url_with_its_password_hidden() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    let (_, result) = gather(
        &format!(
            "[[source]]\nname = \"api\"\nkind = \"http\"\nurl = \"http://me:pw123@{addr}/x\"\n"
        ),
        &[],
    )
    .await;
    let m = message(&result);
    assert_eq!(
        m,
        format!("GET http://me:***@{addr}/x: cannot connect: Connection refused (os error 111)")
    );
    assert!(!m.contains("pw123"), "{m}");
}

fn request() -> Request {
    Request {
        query: String::new(),
        allow_writes: false,
        timeout: Duration::from_secs(10),
        cancel: CancellationToken::new(),
        cleanup: TaskTracker::new(),
        columns: None,
    }
}

#[tokio::test]
async fn an_endless_body_stops_at_the_cap() {
    let (base, _, _) = serve(Reply::Endless).await;
    let source = HttpSource::new(&base, HttpMethod::Get, &[], None, "")
        .unwrap()
        .with_body_cap(1024 * 1024);
    let mut sink = RowSink::detached(SinkLimits::new(usize::MAX, usize::MAX));
    let started = Instant::now();
    let err = source.run(&request(), &mut sink).await.unwrap_err();
    assert_eq!(
        err.to_string(),
        "response body larger than 1 MiB; stopped reading"
    );
    assert_eq!(sink.rows(), 0);
    assert!(started.elapsed() < Duration::from_secs(5));
}

#[tokio::test]
async fn a_declared_length_over_the_cap_is_refused_before_reading() {
    let big = vec![b' '; 3 * 1024 * 1024];
    let (base, _, _) = serve(Reply::Full("200 OK", "application/json", big)).await;
    let source = HttpSource::new(&base, HttpMethod::Get, &[], None, "")
        .unwrap()
        .with_body_cap(1024 * 1024);
    let mut sink = RowSink::detached(SinkLimits::new(usize::MAX, usize::MAX));
    let err = source.run(&request(), &mut sink).await.unwrap_err();
    assert_eq!(
        err.to_string(),
        "response body larger than 1 MiB; stopped reading"
    );
}

#[tokio::test]
async fn a_slow_server_times_out_and_sees_the_connection_dropped() {
    let (base, mut seen, mut hung_up) = serve(Reply::Hang).await;
    let started = Instant::now();
    let (_, result) = gather(
        &format!(
            "[[source]]\nname = \"slow\"\nkind = \"http\"\nurl = \"{base}/slow\"\ntimeout = \"300ms\"\n"
        ),
        &[],
    )
    .await;
    let report = &result.reports[0];
    assert_eq!(report.outcome.state(), State::Timeout);
    assert_eq!(message(&result), "timeout 300ms");
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
    assert!(seen.recv().await.is_some(), "the server got the request");
    let closed_at = tokio::time::timeout(Duration::from_secs(2), hung_up.recv())
        .await
        .expect("the server sees the client go away")
        .unwrap();
    assert!(
        closed_at - started < Duration::from_secs(1),
        "{:?}",
        closed_at - started
    );
}

#[tokio::test]
async fn one_source_runs_again_with_each_new_query() {
    let (base, mut seen, _) = serve(json(r#"[{"a": 1}]"#)).await;
    let source = HttpSource::new(
        &format!("{base}/x?q={{query}}"),
        HttpMethod::Get,
        &[],
        None,
        "",
    )
    .unwrap();
    for q in ["one", "two"] {
        let mut sink = RowSink::detached(SinkLimits::new(usize::MAX, usize::MAX));
        let req = Request {
            query: q.into(),
            ..request()
        };
        source.run(&req, &mut sink).await.unwrap();
        assert_eq!(sink.rows(), 1);
        let line = seen.recv().await.unwrap().head;
        assert!(line.starts_with(&format!("GET /x?q={q} ")), "{line}");
    }
}
