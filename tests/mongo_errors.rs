//! The `mongodb` source sorts its failures into transient (a retry may pass) and final, checked
//! through the engine: against a tiny fake server that speaks enough of the wire protocol
//! (`OP_MSG`) to pass the driver's handshake and then answers every read with the error a
//! replica-set member sends while it steps down or shuts down, which a test server cannot be
//! made to send on demand; and against the test server (`SCATTER_TEST_MONGO_URL`) for the
//! final ones.

mod db_common;
mod mongo_common;

use db_common::{closed_port, config, gather_once, outcome};
use mongo_common::{Fixture, upstream};
use mongodb::bson::{RawDocument, RawDocumentBuf, rawdoc};
use scatter::config::Overrides;
use scatter::engine::GatherResult;
use scatter::source::{Outcome, SourceError};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// The wire protocol's `OP_MSG` opcode, the only one the driver sends.
const OP_MSG: i32 = 2013;

fn source(name: &str, url: &str, query: &str) -> String {
    format!(
        "[[source]]\nname = \"{name}\"\nkind = \"mongodb\"\nurl = \"{url}\"\nquery = '{query}'\n\
         timeout = \"8s\"\n"
    )
}

fn error_of<'a>(result: &'a GatherResult, name: &str) -> &'a SourceError {
    match outcome(result, name) {
        Outcome::Error(e) => e,
        other => panic!("{name}: expected an error, got {other:?}"),
    }
}

/// Source `name` ended in an error starting with `starts`, transient or not.
fn check(result: &GatherResult, name: &str, transient: bool, starts: &str) {
    let e = error_of(result, name);
    eprintln!("{name}: transient={} {e}", e.is_transient());
    assert!(e.to_string().starts_with(starts), "{name}: {e}");
    assert_eq!(e.is_transient(), transient, "{name}: {e}");
}

/// A server on 127.0.0.1:0 that answers `hello` as a standalone MongoDB 7.0 and every other
/// command with `{ok: 0, code, codeName, errmsg}`. Stops with the test's runtime.
async fn fake_mongo(code: i32, name: &'static str, message: &'static str) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let port = listener.local_addr().expect("addr").port();
    tokio::spawn(async move {
        while let Ok((socket, _)) = listener.accept().await {
            tokio::spawn(answer(socket, code, name, message));
        }
    });
    port
}

async fn answer(mut s: TcpStream, code: i32, name: &str, message: &str) {
    loop {
        let mut head = [0u8; 16];
        if s.read_exact(&mut head).await.is_err() {
            return;
        }
        let word = |i: usize| i32::from_le_bytes(head[i..i + 4].try_into().unwrap());
        let mut body = vec![0u8; usize::try_from(word(0)).unwrap() - 16];
        if s.read_exact(&mut body).await.is_err() || word(12) != OP_MSG {
            return;
        }
        // flagBits (4 bytes), then section kind 0 (1 byte) and the command document.
        let len = usize::try_from(i32::from_le_bytes(body[5..9].try_into().unwrap())).unwrap();
        let command = RawDocument::from_bytes(&body[5..5 + len]).expect("a command");
        let verb = command.into_iter().next().and_then(Result::ok);
        let is_hello = verb.is_some_and(|(k, _)| {
            k.as_str().eq_ignore_ascii_case("hello") || k.as_str().eq_ignore_ascii_case("ismaster")
        });
        let reply = if is_hello {
            rawdoc! {
                "isWritablePrimary": true, "ismaster": true, "helloOk": true,
                "maxBsonObjectSize": 16_777_216, "maxMessageSizeBytes": 48_000_000,
                "maxWriteBatchSize": 100_000, "logicalSessionTimeoutMinutes": 30,
                "connectionId": 1, "minWireVersion": 0, "maxWireVersion": 21, "ok": 1.0,
            }
        } else {
            rawdoc! {"ok": 0.0, "code": code, "codeName": name, "errmsg": message}
        };
        if send(&mut s, word(4), &reply).await.is_err() {
            return;
        }
    }
}

async fn send(s: &mut TcpStream, request: i32, reply: &RawDocumentBuf) -> std::io::Result<()> {
    let doc = reply.as_bytes();
    let len = i32::try_from(16 + 4 + 1 + doc.len()).unwrap();
    let mut out = Vec::with_capacity(len as usize);
    for word in [len, request + 1_000_000, request, OP_MSG, 0] {
        out.extend_from_slice(&word.to_le_bytes());
    }
    out.push(0);
    out.extend_from_slice(doc);
    s.write_all(&out).await
}

#[tokio::test]
async fn members_stepping_down_or_shutting_down_are_transient() {
    let not_primary = fake_mongo(10107, "NotWritablePrimary", "not primary").await;
    let shutdown = fake_mongo(91, "ShutdownInProgress", "The server is in quiesce mode").await;
    let unauthorized = fake_mongo(13, "Unauthorized", "not authorized on shop").await;
    let bad = fake_mongo(2, "BadValue", "unknown operator: $bogus").await;
    let url = |port: u16| format!("mongodb://127.0.0.1:{port}/shop");
    let query = r#"{"find": "products"}"#;
    let toml = [
        source("not_primary", &url(not_primary), query),
        source("shutdown", &url(shutdown), query),
        source("unauthorized", &url(unauthorized), query),
        source("bad", &url(bad), query),
    ]
    .concat();
    let (result, _) = gather_once(&config(&toml)).await;
    check(
        &result,
        "not_primary",
        true,
        "not primary (NotWritablePrimary)",
    );
    check(
        &result,
        "shutdown",
        true,
        "The server is in quiesce mode (ShutdownInProgress)",
    );
    check(
        &result,
        "unauthorized",
        false,
        "not authorized on shop (Unauthorized)",
    );
    check(&result, "bad", false, "unknown operator: $bogus (BadValue)");
}

#[tokio::test]
async fn a_closed_port_is_transient_and_what_the_query_or_login_says_is_final() {
    let Some(f) = Fixture::new("classes").await else {
        return;
    };
    let port = closed_port();
    let db = f.db.name();
    let toml = [
        source(
            "refused",
            &format!("mongodb://127.0.0.1:{port}/{db}"),
            r#"{"count": "p"}"#,
        ),
        source(
            "auth",
            &format!("mongodb://scatter:wrong@{}/{db}", upstream(&f.url)),
            r#"{"count": "p"}"#,
        ),
        // No query of its own: it runs the command line's.
        format!(
            "[[source]]\nname = \"unknown\"\nkind = \"mongodb\"\nurl = \"{}\"\n",
            f.url
        ),
        source(
            "guard",
            &f.url,
            r#"{"aggregate": "p", "pipeline": [{"$out": "q"}]}"#,
        ),
    ]
    .concat();
    let mut cfg = config(&toml);
    cfg.apply(Overrides {
        query: Some(r#"{"drop": "p"}"#.into()),
        ..Overrides::default()
    })
    .unwrap();
    let (result, _) = gather_once(&cfg).await;
    check(
        &result,
        "refused",
        true,
        &format!("connection refused: 127.0.0.1:{port}"),
    );
    check(&result, "auth", false, "authentication failed: ");
    check(
        &result,
        "unknown",
        false,
        "query: \"drop\" is not a command this source sends",
    );
    check(
        &result,
        "guard",
        false,
        "refused: the pipeline's $out stage",
    );
}
