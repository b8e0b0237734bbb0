//! `sqlite`: a `SQLite` database file opened read-only, or a `.sql` script loaded into a fresh
//! in-memory database that is then made read-only (how the demo ships its catalogs as text).
//!
//! Cancelling stops the statement inside `SQLite`: a progress handler checks a flag that a drop
//! guard sets when the engine drops the run, and the connection is closed, never reused.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use futures_util::future::BoxFuture;
use futures_util::stream::BoxStream;
use futures_util::{FutureExt, TryStreamExt};
use sqlx::sqlite::{SqliteConnectOptions, SqliteQueryResult, SqliteRow};
use sqlx::{
    Column, ConnectOptions, Connection, Executor, Row, SqliteConnection, TypeInfo, ValueRef,
};

use super::server::CancelOnDrop;
use super::{BATCH_ROWS, Request, RowSink, Source, SourceError, sql};
use crate::value::{BatchBuilder, Cell};

/// `SQLite` virtual-machine steps between two checks of the cancel flag: about a millisecond of
/// work, so a cancelled statement stops within a few milliseconds.
const PROGRESS_STEPS: i32 = 10_000;

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

    async fn connect(&self, allow_writes: bool) -> Result<SqliteConnection, SourceError> {
        let fail = |e: sqlx::Error| SourceError::Failed(format!("{}: {e}", self.path.display()));
        if !self.path.is_file() {
            return Err(SourceError::Failed(format!(
                "no such file: {}",
                self.path.display()
            )));
        }
        if !self.is_script() {
            return SqliteConnectOptions::new()
                .filename(&self.path)
                .read_only(!allow_writes)
                .create_if_missing(false)
                .connect()
                .await
                .map_err(fail);
        }
        let script = tokio::fs::read_to_string(&self.path)
            .await
            .map_err(|source| SourceError::Io {
                context: format!("cannot read {}", self.path.display()),
                source,
            })?;
        let mut conn = SqliteConnection::connect("sqlite::memory:")
            .await
            .map_err(fail)?;
        let load: BoxFuture<'_, Result<SqliteQueryResult, sqlx::Error>> =
            conn.execute(script.as_str());
        load.await.map_err(fail)?;
        if !allow_writes {
            let guard: BoxFuture<'_, Result<SqliteQueryResult, sqlx::Error>> =
                conn.execute("PRAGMA query_only = ON");
            guard.await.map_err(fail)?;
        }
        Ok(conn)
    }

    async fn run_inner(&self, request: &Request, sink: &mut RowSink) -> Result<(), SourceError> {
        sql::check(&request.query, sql::Dialect::Sqlite, request.allow_writes)?;
        let mut conn = self.connect(request.allow_writes).await?;
        let flag = Arc::new(AtomicBool::new(false));
        // Sets the flag if the engine drops the run midway.
        let dropped = Arc::clone(&flag);
        let mut guard = CancelOnDrop::new(move || dropped.store(true, Ordering::SeqCst));
        self.live.fetch_add(1, Ordering::SeqCst);
        let live = Live(Arc::clone(&self.live));
        let handler_flag = Arc::clone(&flag);
        conn.lock_handle()
            .await
            .map_err(|e| SourceError::Failed(e.to_string()))?
            .set_progress_handler(PROGRESS_STEPS, move || {
                let _held = &live;
                !handler_flag.load(Ordering::Relaxed)
            });
        let result = stream_rows(&mut conn, &request.query, sink).await;
        guard.disarm();
        drop(conn.close().await);
        result
    }
}

async fn stream_rows(
    conn: &mut SqliteConnection,
    query: &str,
    sink: &mut RowSink,
) -> Result<(), SourceError> {
    let mut builder: Option<BatchBuilder> = None;
    {
        let mut rows: BoxStream<'_, Result<SqliteRow, sqlx::Error>> =
            sqlx::query(query).fetch(&mut *conn);
        while let Some(row) = rows.try_next().await.map_err(query_error)? {
            let b = builder.get_or_insert_with(|| {
                BatchBuilder::with_columns(
                    &row.columns().iter().map(Column::name).collect::<Vec<_>>(),
                )
            });
            push_row(b, &row)?;
            if b.len() >= BATCH_ROWS {
                sink.push(b.finish())?;
            }
        }
    }
    let mut b = if let Some(b) = builder {
        b
    } else {
        let describe: BoxFuture<'_, Result<sqlx::Describe<sqlx::Sqlite>, sqlx::Error>> =
            conn.describe(query);
        let described = describe.await.map_err(query_error)?;
        BatchBuilder::with_columns(
            &described
                .columns()
                .iter()
                .map(Column::name)
                .collect::<Vec<_>>(),
        )
    };
    sink.push(b.finish())
}

/// `SQLite`'s message; transient when the database was busy or locked by another connection
/// (`SQLITE_BUSY`, `SQLITE_LOCKED` and their extended codes), final otherwise.
fn query_error(e: sqlx::Error) -> SourceError {
    match e {
        sqlx::Error::Database(db) => {
            let primary = db
                .code()
                .and_then(|c| c.parse::<i32>().ok())
                .map(|c| c & 0xff);
            let message = db.message().to_owned();
            if matches!(primary, Some(SQLITE_BUSY | SQLITE_LOCKED)) {
                SourceError::transient(message)
            } else {
                SourceError::Failed(message)
            }
        }
        other => SourceError::Failed(other.to_string()),
    }
}

/// `SQLite`'s primary result codes for a database another connection holds.
const SQLITE_BUSY: i32 = 5;
const SQLITE_LOCKED: i32 = 6;

fn push_row(b: &mut BatchBuilder, row: &SqliteRow) -> Result<(), SourceError> {
    for i in 0..row.len() {
        b.set(i, cell(row, i).map_err(query_error)?);
    }
    b.end_row();
    Ok(())
}

/// Column `i` of `row`, decoded by the type of the value itself (`SQLite` is dynamically typed).
fn cell(row: &SqliteRow, i: usize) -> Result<Cell, sqlx::Error> {
    let raw = row.try_get_raw(i)?;
    if raw.is_null() {
        return Ok(Cell::Null);
    }
    Ok(match raw.type_info().name() {
        "INTEGER" => Cell::Int(row.try_get_unchecked(i)?),
        "REAL" => Cell::Float(row.try_get_unchecked(i)?),
        "BLOB" => Cell::Bytes(row.try_get_unchecked(i)?),
        _ => Cell::Text(row.try_get_unchecked(i)?),
    })
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
