//! `sqlite`: a `SQLite` database file opened read-only, or a `.sql` script loaded into a fresh
//! in-memory database that is then made read-only (how the demo ships its catalogs as text).
//!
//! A run opens its own connection (rusqlite, `SQLite` compiled in) on a blocking thread, steps
//! the statement there and builds Arrow batches straight from the values ([`columns`]); the
//! batches cross to the run's task over a small channel, so the engine sees rows as they come.
//!
//! Cancelling stops the statement inside `SQLite`: a progress handler checks a flag that a
//! [`CancelOnDrop`] sets when the engine drops the run (or the sink refuses a batch), and the
//! thread stops at its next batch when the run is gone; the connection is closed, never reused.

mod columns;

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use arrow_array::RecordBatch;
use futures_util::FutureExt;
use futures_util::future::BoxFuture;
use rusqlite::{Connection, ErrorCode, OpenFlags};
use tokio::sync::mpsc;

use super::server::CancelOnDrop;
use super::{BATCH_ROWS, Request, RowSink, Source, SourceError, sql};
use columns::ResultBuilder;

/// `SQLite` virtual-machine steps between two checks of the cancel flag: about a millisecond of
/// work, so a cancelled statement stops within a few milliseconds.
const PROGRESS_STEPS: i32 = 10_000;

/// Batches the reading thread may run ahead of the run's task: enough to keep both busy,
/// few enough that a stalled sink does not pile rows up in memory.
const BATCHES_AHEAD: usize = 4;

/// A `SQLite` source.
#[derive(Debug)]
pub struct SqliteSource {
    path: PathBuf,
    /// Statements whose connection is still open (its progress handler not yet dropped).
    live: Arc<AtomicUsize>,
}

/// Held by the progress handler: counts the connection as live until `SQLite` drops the handler.
struct Live(Arc<AtomicUsize>);

impl Drop for Live {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

/// What the reading thread needs, owned.
struct Read {
    path: PathBuf,
    is_script: bool,
    allow_writes: bool,
    query: String,
    /// Set when the run was cut off: the progress handler interrupts the statement.
    cancelled: Arc<AtomicBool>,
    live: Arc<AtomicUsize>,
}

impl SqliteSource {
    /// The database at `path` (`.sql`: a script to load into memory).
    #[must_use]
    pub fn new(path: PathBuf) -> Self {
        Self {
            path,
            live: Arc::new(AtomicUsize::new(0)),
        }
    }

    /// Connections with a statement handler still installed; back to 0 once a cancelled
    /// statement has really stopped and its connection closed.
    #[must_use]
    pub fn live_statements(&self) -> usize {
        self.live.load(Ordering::SeqCst)
    }

    fn is_script(&self) -> bool {
        self.path
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("sql"))
    }

    async fn run_inner(&self, request: &Request, sink: &mut RowSink) -> Result<(), SourceError> {
        sql::check(&request.query, sql::Dialect::Sqlite, request.allow_writes)?;
        if !self.path.is_file() {
            return Err(SourceError::Failed(format!(
                "no such file: {}",
                self.path.display()
            )));
        }
        let cancelled = Arc::new(AtomicBool::new(false));
        let flag = Arc::clone(&cancelled);
        // Armed until the thread is done: a dropped run, or a batch the sink refused, stops
        // the statement inside SQLite.
        let mut guard = CancelOnDrop::new(move || flag.store(true, Ordering::SeqCst));
        let read = Read {
            path: self.path.clone(),
            is_script: self.is_script(),
            allow_writes: request.allow_writes,
            query: request.query.clone(),
            cancelled,
            live: Arc::clone(&self.live),
        };
        // Reading thread -> this future. Dropping the receiver (a dropped run, a row cap)
        // makes the thread's next send fail, which ends it.
        let (batch_tx, mut batch_rx) = mpsc::channel::<RecordBatch>(BATCHES_AHEAD);
        let reader =
            tokio::task::spawn_blocking(move || read.run(|b| batch_tx.blocking_send(b).is_ok()));
        while let Some(batch) = batch_rx.recv().await {
            sink.push(batch)?;
        }
        let result = reader
            .await
            .map_err(|e| SourceError::Failed(format!("the SQLite thread failed: {e}")))?;
        guard.disarm();
        result
    }
}

impl Read {
    /// Opens the database, runs the query and hands each batch to `send` until it returns
    /// `false` (the run is gone). Runs on a blocking thread.
    fn run(self, mut send: impl FnMut(RecordBatch) -> bool) -> Result<(), SourceError> {
        let conn = self.open()?;
        self.live.fetch_add(1, Ordering::SeqCst);
        let live = Live(Arc::clone(&self.live));
        let cancelled = Arc::clone(&self.cancelled);
        conn.progress_handler(
            PROGRESS_STEPS,
            Some(move || {
                let _held = &live;
                cancelled.load(Ordering::Relaxed)
            }),
        );
        let mut statement = conn.prepare(&self.query).map_err(|e| self.error(&e))?;
        let names = statement
            .column_names()
            .into_iter()
            .map(str::to_owned)
            .collect();
        let mut columns = ResultBuilder::new(names);
        let mut rows = statement.query([]).map_err(|e| self.error(&e))?;
        while let Some(row) = rows.next().map_err(|e| self.error(&e))? {
            columns
                .push_row(|i| row.get_ref(i))
                .map_err(|e| self.error(&e))?;
            if columns.len() >= BATCH_ROWS && !send(columns.finish()) {
                return Ok(());
            }
        }
        send(columns.finish());
        Ok(())
    }

    fn open(&self) -> Result<Connection, SourceError> {
        let fail =
            |e: rusqlite::Error| SourceError::Failed(format!("{}: {e}", self.path.display()));
        if !self.is_script {
            let access = if self.allow_writes {
                OpenFlags::SQLITE_OPEN_READ_WRITE
            } else {
                OpenFlags::SQLITE_OPEN_READ_ONLY
            };
            return Connection::open_with_flags(
                &self.path,
                access | OpenFlags::SQLITE_OPEN_NO_MUTEX,
            )
            .map_err(fail);
        }
        let script = std::fs::read_to_string(&self.path).map_err(|source| SourceError::Io {
            context: format!("cannot read {}", self.path.display()),
            source,
        })?;
        let conn = Connection::open_in_memory().map_err(fail)?;
        conn.execute_batch(&script).map_err(fail)?;
        if !self.allow_writes {
            conn.execute_batch("PRAGMA query_only = ON").map_err(fail)?;
        }
        Ok(conn)
    }

    /// `SQLite`'s message; transient when the database was busy or locked by another connection
    /// (`SQLITE_BUSY`, `SQLITE_LOCKED`), final otherwise.
    fn error(&self, e: &rusqlite::Error) -> SourceError {
        let message = match e {
            rusqlite::Error::SqliteFailure(_, Some(message)) => message.clone(),
            other => other.to_string(),
        };
        match e.sqlite_error_code() {
            Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked) => {
                SourceError::transient(message)
            }
            Some(ErrorCode::OperationInterrupted) if self.cancelled.load(Ordering::SeqCst) => {
                SourceError::Failed("cancelled".into())
            }
            _ => SourceError::Failed(message),
        }
    }
}

impl Source for SqliteSource {
    fn run<'a>(
        &'a self,
        request: &'a Request,
        sink: &'a mut RowSink,
    ) -> BoxFuture<'a, Result<(), SourceError>> {
        self.run_inner(request, sink).boxed()
    }

    fn describe(&self) -> String {
        if self.is_script() {
            format!(
                "sqlite: script {} loaded into memory, read-only",
                self.path.display()
            )
        } else {
            format!("sqlite: {} (read-only)", self.path.display())
        }
    }
}
