//! `redis`: hashes, JSON string values or a sorted set read from a Redis server.
//!
//! The query says what to read (see [`query`]): keys are found with `SCAN ... MATCH ... TYPE`,
//! a page at a time, never `KEYS`, so a large keyspace never blocks the server. One pipeline
//! per page fetches the previous page's values and asks for the next page, so a scan costs one
//! round trip per page; rows are pushed as pages arrive.
//!
//! Sessions and cancelling go through [`super::server`], as for the SQL kinds: one connection
//! is kept between runs (pinged before reuse); the engine drops the run between or during
//! pages, and the run owns its connection, so dropping it closes the connection and no further
//! page is asked for. Only a run that succeeded, or got an error reply, puts its connection
//! back.

mod errors;
mod query;
mod rows;
mod scan;

use futures_util::FutureExt;
use futures_util::future::BoxFuture;
use redis::aio::MultiplexedConnection;
use redis::{AsyncConnectionConfig, Value};

use super::data::json_rows;
use super::server::{Driver, Failure, ServerSource, Settings};
use super::{BATCH_ROWS, Request, RowSink, SourceError, redact};
use crate::value::{BatchBuilder, Cell};
use errors::clean;
pub use query::RedisQuery;
use rows::{HashRow, KEY_COLUMN, OWN_KEY_WARNING, hash_batch, json_row};
use scan::Scan;

/// Keys asked for per `SCAN` call (`COUNT`): about a millisecond of server time per page, and
/// few enough round trips that 100,000 keys take about a hundred pages.
pub const SCAN_PAGE: usize = 1000;

/// A Redis source: the [`Redis`] driver and the one connection it keeps between runs.
pub type RedisSource = ServerSource<Redis>;

impl RedisSource {
    /// A source reading from the server at `url` (`redis://` or `rediss://`, optional
    /// `user:password@`, optional `/db`), named `name` in `CLIENT LIST`.
    pub fn new(url: &str, name: &str) -> Result<Self, SourceError> {
        Ok(Self::with_pool(Redis::new(url, name)?, 1))
    }

    /// The name this source's connection carries in `CLIENT LIST`.
    #[must_use]
    pub fn client_name(&self) -> &str {
        &self.driver().client_name
    }
}

/// How scatter talks to one Redis server.
pub struct Redis {
    client: redis::Client,
    /// The URL as shown to the user, password masked.
    shown: String,
    /// Sent with `CLIENT SETNAME` so the connection is recognisable in `CLIENT LIST`.
    client_name: String,
    page: usize,
}

impl std::fmt::Debug for Redis {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Redis")
            .field("url", &self.shown)
            .finish_non_exhaustive()
    }
}

impl Driver for Redis {
    type Session = MultiplexedConnection;
    type Query = RedisQuery;

    fn parse(&self, request: &Request) -> Result<RedisQuery, SourceError> {
        query::parse(&request.query)
    }

    /// Redis has no read-only session nor statement limit: the queries only read, and each
    /// command is short.
    fn connect(&self, _: Settings) -> BoxFuture<'_, Result<MultiplexedConnection, SourceError>> {
        self.open().boxed()
    }

    fn ping<'s>(
        &'s self,
        session: &'s mut MultiplexedConnection,
    ) -> BoxFuture<'s, Result<(), SourceError>> {
        async move {
            redis::cmd("PING")
                .query_async::<()>(session)
                .await
                .map_err(|e| self.error(&e))
        }
        .boxed()
    }

    fn run<'a>(
        &'a self,
        conn: &'a mut MultiplexedConnection,
        query: &'a RedisQuery,
        request: &'a Request,
        sink: &'a mut RowSink,
    ) -> BoxFuture<'a, Result<(), Failure>> {
        async move {
            match query {
                RedisQuery::Hashes { pattern } => self.hashes(conn, pattern, request, sink).await,
                RedisQuery::Json { pattern } => self.json(conn, pattern, request, sink).await,
                RedisQuery::Range { key, start, stop } => {
                    self.range(conn, key, *start, *stop, sink).await
                }
            }
        }
        .boxed()
    }

    /// Nothing to stop: a dropped run asks for no further page, and the command in flight is
    /// one short `SCAN`, `HGETALL` or `MGET` page.
    fn cancel_on_server(&self, _: &MultiplexedConnection) -> Option<BoxFuture<'static, ()>> {
        None
    }

    fn describe(&self) -> String {
        format!("redis {}", self.shown)
    }
}

impl Redis {
    fn new(url: &str, name: &str) -> Result<Self, SourceError> {
        let shown = redact::url(url);
        let scheme = url.split_once("://").map_or("", |(s, _)| s);
        if !matches!(scheme, "redis" | "rediss" | "redis+unix" | "unix") {
            return Err(SourceError::Failed(format!(
                "\"{shown}\" is not a Redis URL; write redis://[:password@]host[:port][/db] \
                 (rediss:// for TLS)"
            )));
        }
        let client = redis::Client::open(url)
            .map_err(|e| SourceError::Failed(format!("{shown}: {}", clean(&e))))?;
        let client_name = format!(
            "scatter:{}",
            name.chars()
                .map(|c| if c.is_ascii_graphic() { c } else { '_' })
                .collect::<String>()
        );
        Ok(Self {
            client,
            shown,
            client_name,
            page: SCAN_PAGE,
        })
    }

    async fn open(&self) -> Result<MultiplexedConnection, SourceError> {
        // The engine's timeout bounds every wait; the client's own timeouts would cut a long
        // pipeline short.
        let config = AsyncConnectionConfig::new()
            .set_connection_timeout(None)
            .set_response_timeout(None);
        let mut conn = self
            .client
            .get_multiplexed_async_connection_with_config(&config)
            .await
            .map_err(|e| self.error(&e))?;
        redis::cmd("CLIENT")
            .arg("SETNAME")
            .arg(&self.client_name)
            .query_async::<()>(&mut conn)
            .await
            .map_err(|e| self.error(&e))?;
        Ok(conn)
    }

    /// Fails once the run was cancelled: checked between pages, for callers that cancel the
    /// token without dropping the run.
    fn check_cancel(request: &Request) -> Result<(), SourceError> {
        if request.cancel.is_cancelled() {
            return Err(SourceError::Failed("cancelled".into()));
        }
        Ok(())
    }

    async fn hashes(
        &self,
        conn: &mut MultiplexedConnection,
        pattern: &str,
        request: &Request,
        sink: &mut RowSink,
    ) -> Result<(), Failure> {
        let mut scan = Scan::new(pattern, "hash", self.page);
        let mut pending: Vec<HashRow> = Vec::new();
        while !scan.is_finished() {
            Self::check_cancel(request)?;
            let (keys, hashes) = scan
                .round(conn, |pipe, keys| {
                    for key in keys {
                        pipe.cmd("HGETALL").arg(key);
                    }
                })
                .await
                .map_err(|e| self.failure(&e))?;
            for (key, hash) in keys.iter().zip(hashes) {
                let fields: Vec<(String, String)> = hash
                    .as_map_iter()
                    .into_iter()
                    .flatten()
                    .map(|(f, v)| (text(f), text(v)))
                    .collect();
                // An empty reply: the key was deleted between SCAN and HGETALL.
                if fields.iter().any(|(f, _)| f == KEY_COLUMN) {
                    sink.warn(OWN_KEY_WARNING);
                }
                if !fields.is_empty() {
                    pending.push(HashRow {
                        key: String::from_utf8_lossy(key).into_owned(),
                        fields,
                    });
                }
            }
            if pending.len() >= BATCH_ROWS {
                sink.push(hash_batch(&pending))?;
                pending.clear();
            }
        }
        Ok(sink.push(hash_batch(&pending))?)
    }

    async fn json(
        &self,
        conn: &mut MultiplexedConnection,
        pattern: &str,
        request: &Request,
        sink: &mut RowSink,
    ) -> Result<(), Failure> {
        let mut scan = Scan::new(pattern, "string", self.page);
        let mut rows: Vec<serde_json::Value> = Vec::new();
        let mut not_objects = 0usize;
        while !scan.is_finished() {
            Self::check_cancel(request)?;
            let (keys, mut replies) = scan
                .round(conn, |pipe, keys| {
                    pipe.cmd("MGET").arg(keys);
                })
                .await
                .map_err(|e| self.failure(&e))?;
            let Some(reply) = replies.pop() else {
                continue;
            };
            let values: Vec<Option<Vec<u8>>> =
                redis::from_redis_value(reply).map_err(|e| self.error(&e.into()))?;
            for (key, value) in keys.iter().zip(values) {
                // `None`: deleted between SCAN and MGET.
                if let Some(value) = value {
                    let parsed = json_row(&String::from_utf8_lossy(key), &value);
                    if parsed.renamed_key {
                        sink.warn(OWN_KEY_WARNING);
                    }
                    rows.push(parsed.row);
                    not_objects += usize::from(!parsed.is_object);
                }
            }
            if rows.len() >= BATCH_ROWS {
                push_json_rows(&mut rows, sink)?;
            }
        }
        if not_objects > 0 {
            tracing::warn!(
                source = %self.client_name,
                pattern,
                not_objects,
                "values that are not JSON objects are shown with an `_error` column"
            );
        }
        Ok(push_json_rows(&mut rows, sink)?)
    }

    async fn range(
        &self,
        conn: &mut MultiplexedConnection,
        key: &str,
        start: i64,
        stop: i64,
        sink: &mut RowSink,
    ) -> Result<(), Failure> {
        let reply: Value = redis::cmd("ZRANGE")
            .arg(key)
            .arg(start)
            .arg(stop)
            .arg("WITHSCORES")
            .query_async(conn)
            .await
            .map_err(|e| self.failure(&e))?;
        let mut builder = BatchBuilder::with_columns(&[KEY_COLUMN, "member", "score"]);
        for (member, score) in scored_members(reply) {
            builder.set(0, Cell::Text(key.to_owned()));
            builder.set(1, Cell::Text(member));
            builder.set(2, Cell::Float(score));
            builder.end_row();
            if builder.len() >= BATCH_ROWS {
                sink.push(builder.finish())?;
            }
        }
        Ok(sink.push(builder.finish())?)
    }
}

/// `(member, score)` pairs from a `ZRANGE ... WITHSCORES` reply: a flat array (RESP2) or an
/// array of pairs (RESP3).
fn scored_members(reply: Value) -> Vec<(String, f64)> {
    let items = reply.into_sequence().unwrap_or_default();
    let score = |v: &Value| match v {
        Value::Double(d) => *d,
        Value::Int(i) => *i as f64,
        other => text(other).parse().unwrap_or(f64::NAN),
    };
    if items
        .iter()
        .all(|v| matches!(v, Value::Array(p) if p.len() == 2))
    {
        items
            .iter()
            .filter_map(|v| match v {
                Value::Array(p) => Some((text(&p[0]), score(&p[1]))),
                _ => None,
            })
            .collect()
    } else {
        items
            .chunks_exact(2)
            .map(|p| (text(&p[0]), score(&p[1])))
            .collect()
    }
}

/// A reply value as text (binary data lossily).
fn text(v: &Value) -> String {
    match v {
        Value::BulkString(b) => String::from_utf8_lossy(b).into_owned(),
        Value::SimpleString(s) => s.clone(),
        Value::Int(i) => i.to_string(),
        Value::Double(d) => d.to_string(),
        Value::Boolean(b) => b.to_string(),
        Value::VerbatimString { text, .. } => text.clone(),
        Value::Nil => String::new(),
        other => format!("{other:?}"),
    }
}

/// Pushes `rows` (JSON objects) into `sink` as batches, typed as every JSON source's are, and
/// empties it.
fn push_json_rows(
    rows: &mut Vec<serde_json::Value>,
    sink: &mut RowSink,
) -> Result<(), SourceError> {
    let mut pushed = Ok(());
    json_rows(rows, &mut |batch| {
        pushed = sink.push(batch);
        pushed.is_ok()
    })
    .map_err(|e| SourceError::Parse(format!("JSON: {e}")))?;
    rows.clear();
    pushed
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::Source;

    #[test]
    fn urls_are_checked_and_shown_without_password() {
        let s = RedisSource::new("rediss://app:s3cret@cache:6380/2", "shop eu").unwrap();
        assert_eq!(s.describe(), "redis rediss://app:***@cache:6380/2");
        assert_eq!(s.client_name(), "scatter:shop_eu");
        let err = RedisSource::new("http://u:pw@cache:6379", "x").unwrap_err();
        assert_eq!(
            err.to_string(),
            "\"http://u:***@cache:6379/\" is not a Redis URL; write \
             redis://[:password@]host[:port][/db] (rediss:// for TLS)"
        );
    }

    #[test]
    fn zrange_replies_of_both_protocols_pair_up() {
        let flat = Value::Array(vec![
            Value::BulkString(b"a".to_vec()),
            Value::BulkString(b"1.5".to_vec()),
            Value::BulkString(b"b".to_vec()),
            Value::BulkString(b"2".to_vec()),
        ]);
        let nested = Value::Array(vec![
            Value::Array(vec![Value::BulkString(b"a".to_vec()), Value::Double(1.5)]),
            Value::Array(vec![Value::BulkString(b"b".to_vec()), Value::Double(2.0)]),
        ]);
        let want = vec![("a".to_owned(), 1.5), ("b".to_owned(), 2.0)];
        assert_eq!(scored_members(flat), want);
        assert_eq!(scored_members(nested), want);
    }
}
