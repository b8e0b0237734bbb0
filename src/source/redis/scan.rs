//! `SCAN ... MATCH ... COUNT ... TYPE`, a page at a time, each key returned once.

use std::collections::HashSet;

use redis::aio::MultiplexedConnection;

/// A `SCAN` over keys of one type matching a pattern, a page at a time.
pub struct Scan<'p> {
    pattern: &'p str,
    kind: &'static str,
    count: usize,
    cursor: u64,
    done: bool,
    /// Keys already returned: `SCAN` may return a key twice while the keyspace is rehashed.
    seen: HashSet<Vec<u8>>,
}

impl<'p> Scan<'p> {
    pub fn new(pattern: &'p str, kind: &'static str, count: usize) -> Self {
        Self {
            pattern,
            kind,
            count,
            cursor: 0,
            done: false,
            seen: HashSet::new(),
        }
    }

    /// The next page of new keys (possibly empty); `None` when the scan is over.
    pub async fn next_page(
        &mut self,
        conn: &mut MultiplexedConnection,
    ) -> Result<Option<Vec<Vec<u8>>>, redis::RedisError> {
        if self.done {
            return Ok(None);
        }
        let (cursor, keys): (u64, Vec<Vec<u8>>) = redis::cmd("SCAN")
            .arg(self.cursor)
            .arg("MATCH")
            .arg(self.pattern)
            .arg("COUNT")
            .arg(self.count)
            .arg("TYPE")
            .arg(self.kind)
            .query_async(conn)
            .await?;
        self.cursor = cursor;
        self.done = cursor == 0;
        Ok(Some(
            keys.into_iter()
                .filter(|k| self.seen.insert(k.clone()))
                .collect(),
        ))
    }
}
