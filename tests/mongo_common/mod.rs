//! Helpers shared by the tests against the MongoDB server named by `SCATTER_TEST_MONGO_URL`
//! (`tests/mongo_*.rs`, the MongoDB cases of `tests/fault_proxy.rs`, the seed scene): skipped
//! with a printed reason when it is unset, failing when `SCATTER_REQUIRE_DB=1`. A test binary
//! that has this module also has `db_common`. Each test works in its own
//! database (`scatter_test_<name>_<pid>`) and drops it at the end.

#![allow(
    dead_code,
    reason = "each test binary uses a different part of these helpers"
)]

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use mongodb::bson::Document;
use mongodb::{Client, Database};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// The server's URL (no database), or `None` after printing why the test skips (the
/// database tests' rule: see `db_common::url`).
pub fn mongo_url() -> Option<String> {
    crate::db_common::url("SCATTER_TEST_MONGO_URL")
}

/// `url` reading database `db`: the path replaced, the options kept.
pub fn with_database(url: &str, db: &str) -> String {
    let (base, options) = url
        .split_once('?')
        .map_or((url, None), |(b, o)| (b, Some(o)));
    let (scheme, rest) = base.split_once("://").expect("a URL with a scheme");
    let hosts = rest.split('/').next().unwrap_or(rest);
    match options {
        Some(o) => format!("{scheme}://{hosts}/{db}?{o}"),
        None => format!("{scheme}://{hosts}/{db}"),
    }
}

/// `host:port` of the first host in `url`.
pub fn upstream(url: &str) -> String {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let hosts = rest.split(['/', '?']).next().unwrap_or(rest);
    let host = hosts.rsplit('@').next().unwrap_or(hosts);
    let first = host.split(',').next().unwrap_or(host);
    if first.contains(':') {
        first.to_owned()
    } else {
        format!("{first}:27017")
    }
}

/// `url` pointed at 127.0.0.1:`port` instead of its hosts.
pub fn via(url: &str, port: u16) -> String {
    let (scheme, rest) = url.split_once("://").expect("a URL with a scheme");
    let cut = rest.find(['/', '?']).unwrap_or(rest.len());
    let (hosts, tail) = rest.split_at(cut);
    let auth = hosts
        .rsplit_once('@')
        .map_or(String::new(), |(a, _)| format!("{a}@"));
    format!("{scheme}://{auth}127.0.0.1:{port}{tail}")
}

/// One test's database on the test server.
pub struct Fixture {
    /// The server's URL, no database.
    pub server: String,
    /// A URL reading this test's database.
    pub url: String,
    /// This test's database, for setting up and checking.
    pub db: Database,
}

impl Fixture {
    /// A fresh, empty database for `test`; `None` when the test skips.
    pub async fn new(test: &str) -> Option<Self> {
        let server = mongo_url()?;
        let name = format!("scatter_test_{test}_{}", std::process::id());
        let url = with_database(&server, &name);
        let client = Client::with_uri_str(&url)
            .await
            .expect("the test server URL parses");
        let db = client.database(&name);
        db.drop().await.expect("the test server answers");
        Some(Self { server, url, db })
    }

    /// Inserts `docs` into `collection`, 10,000 at a time.
    pub async fn insert(&self, collection: &str, docs: Vec<Document>) {
        let coll = self.db.collection::<Document>(collection);
        let mut docs = docs;
        while !docs.is_empty() {
            let rest = docs.split_off(docs.len().min(10_000));
            coll.insert_many(std::mem::take(&mut docs))
                .await
                .expect("insert");
            docs = rest;
        }
    }

    /// Drops this test's database.
    pub async fn clean(&self) {
        self.db.drop().await.expect("drop the test database");
    }
}

/// A TCP proxy on 127.0.0.1:0 that forwards faithfully and keeps what clients send, so a
/// test can see which commands reached the wire (`killCursors`, `$readPreference`).
#[derive(Clone, Default)]
pub struct Sniffer {
    /// Every byte clients sent, in arrival order per connection.
    sent: Arc<Mutex<Vec<u8>>>,
    /// Connections accepted so far.
    accepted: Arc<AtomicUsize>,
}

impl Sniffer {
    /// Starts a proxy to `upstream` (`host:port`); returns it and its port.
    pub async fn start(upstream: String) -> (Self, u16) {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let port = listener.local_addr().expect("addr").port();
        let sniffer = Self::default();
        let shared = sniffer.clone();
        tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                shared.accepted.fetch_add(1, Ordering::SeqCst);
                let Ok(server) = TcpStream::connect(&upstream).await else {
                    continue;
                };
                tokio::spawn(shared.clone().relay(client, server));
            }
        });
        (sniffer, port)
    }

    /// How many times `needle` appears in what clients sent.
    pub fn sent_count(&self, needle: &[u8]) -> usize {
        let sent = self.sent.lock().unwrap();
        sent.windows(needle.len()).filter(|w| *w == needle).count()
    }

    /// Connections accepted so far.
    pub fn accepted(&self) -> usize {
        self.accepted.load(Ordering::SeqCst)
    }

    async fn relay(self, client: TcpStream, server: TcpStream) {
        let (mut client_rd, mut client_wr) = client.into_split();
        let (mut server_rd, mut server_wr) = server.into_split();
        let up = async {
            let mut buf = vec![0u8; 16 * 1024];
            while let Ok(n) = client_rd.read(&mut buf).await {
                if n == 0 {
                    break;
                }
                self.sent.lock().unwrap().extend_from_slice(&buf[..n]);
                if server_wr.write_all(&buf[..n]).await.is_err() {
                    break;
                }
            }
        };
        let down = tokio::io::copy(&mut server_rd, &mut client_wr);
        tokio::select! {
            () = up => {}
            _ = down => {}
        }
    }
}
