//! `SCAN ... MATCH ... COUNT ... TYPE`, a page at a time, each key returned once, with the
//! values of one page fetched in the same round trip as the next page.

use std::collections::HashSet;

use redis::aio::MultiplexedConnection;
use redis::{Pipeline, Value};

/// A `SCAN` over keys of one type matching a pattern.
pub struct Scan<'p> {
    pattern: &'p str,
    kind: &'static str,
    count: usize,
    cursor: u64,
    /// The server said the scan is over (cursor 0).
    done: bool,
    /// Keys of the last page, whose values the next round fetches.
    pending: Vec<Vec<u8>>,
    /// Keys already returned: `SCAN` may return a key twice while the keyspace is rehashed.
    seen: HashSet<Vec<u8>>,
}

impl<'p> Scan<'p> {
    /// A scan over keys of type `kind` matching `pattern`, `count` keys asked per page.
    pub fn new(pattern: &'p str, kind: &'static str, count: usize) -> Self {
        Self {
            pattern,
            kind,
            count,
            cursor: 0,
            done: false,
            pending: Vec::new(),
            seen: HashSet::new(),
        }
    }

    /// Whether every page was read and every key's value fetched.
    pub fn is_finished(&self) -> bool {
        self.done && self.pending.is_empty()
    }

    /// One round trip: `fetch` adds the commands that read the last page's keys to a pipeline
    /// that also asks for the next page. Returns those keys and the replies to `fetch`'s
    /// commands, in order. Call only while `!is_finished()`.
    pub async fn round(
        &mut self,
        conn: &mut MultiplexedConnection,
        fetch: impl FnOnce(&mut Pipeline, &[Vec<u8>]),
    ) -> Result<(Vec<Vec<u8>>, Vec<Value>), redis::RedisError> {
        let keys = std::mem::take(&mut self.pending);
        let mut pipe = redis::pipe();
        if !keys.is_empty() {
            fetch(&mut pipe, &keys);
        }
        let scanning = !self.done;
        if scanning {
            pipe.cmd("SCAN")
                .arg(self.cursor)
                .arg("MATCH")
                .arg(self.pattern)
                .arg("COUNT")
                .arg(self.count)
                .arg("TYPE")
                .arg(self.kind);
        }
        let mut replies: Vec<Value> = pipe.query_async(conn).await?;
        if scanning {
            let reply = replies.pop().unwrap_or(Value::Nil);
            let (cursor, page): (u64, Vec<Vec<u8>>) = redis::from_redis_value(reply)?;
            self.cursor = cursor;
            self.done = cursor == 0;
            self.pending = page
                .into_iter()
                .filter(|k| self.seen.insert(k.clone()))
                .collect();
        }
        Ok((keys, replies))
    }
}
