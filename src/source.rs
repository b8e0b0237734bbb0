//! The [`Source`] trait every kind implements, what a source is given ([`Request`],
//! [`RowSink`]) and what it ends in ([`Outcome`], [`SourceError`]). One file per kind below.

mod attempt;
mod command;
mod data;
mod error;
mod file;
mod http;
mod mongodb;
mod mysql;
mod names;
mod outcome;
mod parquet;
mod postgres;
pub mod redact;
mod redis;
pub mod server;
mod sim;
mod sink;
pub mod sql;
mod sqlite;

use std::sync::Arc;
use std::time::Duration;

use futures_util::future::BoxFuture;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::config::{KindSpec, SourceSpec};

pub use attempt::{Attempt, AttemptKind};
pub use command::CommandSource;
pub use error::SourceError;
pub(crate) use error::is_transient_io;
pub use file::FileSource;
pub use http::{BodyEncoding, HttpSource, encode_url_query};
pub use mongodb::{MongoCommand, MongoFind, MongoQuery, MongoQueryError, MongoSource};
pub use mysql::MysqlSource;
pub use outcome::{CancelReason, Outcome, SourceReport, State, TimeoutCause, Timing};
pub use postgres::PostgresSource;
pub use redis::{RedisQuery, RedisSource, SCAN_PAGE};
pub use sim::SimSource;
pub use sink::{RowSink, SinkLimits};
pub use sqlite::SqliteSource;

/// Rows per record batch for sources that build batches row by row: large enough that
/// per-batch overhead vanishes, small enough that the row count on screen climbs smoothly.
pub const BATCH_ROWS: usize = 4096;

/// Most bytes read from an HTTP response body or a command's stdout: far above what the row
/// caps let through as rows, and small enough that a runaway endpoint or program cannot take
/// the machine's memory. Reading stops at the cap and the run fails.
pub const MAX_OUTPUT_BYTES: usize = 256 * 1024 * 1024;

/// What one run of a source is asked to do.
#[derive(Debug, Clone)]
pub struct Request {
    /// The query (SQL, MongoDB JSON, `{query}` for HTTP and commands); empty when none is
    /// configured.
    pub query: String,
    /// Statements that write are allowed (`--allow-writes`).
    pub allow_writes: bool,
    /// The source's time limit, for server-side backstops such as `statement_timeout`.
    pub timeout: Duration,
    /// Cancelled by the engine when this source's run ends in anything but success (timeout,
    /// fail-fast, deadline, user): sources that hold server-side work watch it to stop that work.
    pub cancel: CancellationToken,
    /// Cleanup tasks a source spawns after its run was cut off (a cancel request to a server)
    /// go here, so the process can wait for them before it exits.
    pub cleanup: TaskTracker,
    /// The columns the SQL step may name (`None`: every column, no step); a source that can
    /// read only some columns (Parquet) may skip the others.
    pub columns: Option<Arc<crate::sql::Columns>>,
}

/// A place rows come from. One value per configured source, built once and run once per gather;
/// it may keep connections between runs.
pub trait Source: Send + Sync + 'static {
    /// Runs the request, pushing rows into `sink` as they arrive.
    ///
    /// The engine drops the returned future when the source times out or is cancelled; work
    /// that outlives the future (a statement on a server, a child process) must be stopped by
    /// the source then, through a drop guard or by watching `request.cancel`.
    fn run<'a>(
        &'a self,
        request: &'a Request,
        sink: &'a mut RowSink,
    ) -> BoxFuture<'a, Result<(), SourceError>>;

    /// Where the source reads from, for the details panel; passwords redacted.
    fn describe(&self) -> String;
}

/// Builds the source a spec describes.
pub fn build(spec: &SourceSpec) -> Result<Arc<dyn Source>, SourceError> {
    Ok(match &spec.kind {
        KindSpec::Sim(sim) => Arc::new(SimSource::new(sim.clone())),
        KindSpec::File {
            path,
            format,
            nulls,
        } => Arc::new(FileSource::new(path.clone(), *format).with_nulls(nulls)),
        KindSpec::Sqlite { path } => Arc::new(SqliteSource::new(path.clone())),
        KindSpec::Postgres { url, pool } => Arc::new(PostgresSource::new(url, *pool)?),
        KindSpec::Mysql { url, pool } => Arc::new(MysqlSource::new(url, *pool)?),
        KindSpec::Redis { url } => Arc::new(RedisSource::new(url, &spec.name)?),
        KindSpec::Mongodb { url } => Arc::new(MongoSource::new(url, &spec.name)?),
        KindSpec::Http {
            url,
            method,
            headers,
            body,
            rows,
        } => Arc::new(HttpSource::new(
            url,
            *method,
            headers,
            body.as_deref(),
            rows,
        )?),
        KindSpec::Command {
            argv,
            format,
            nulls,
        } => Arc::new(CommandSource::new(argv.clone(), *format).with_nulls(nulls)),
    })
}
