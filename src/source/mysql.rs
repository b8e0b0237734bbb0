//! `mysql`: a MySQL or MariaDB server, through sqlx's MySQL driver over rustls.
//!
//! Sessions are opened on the first run and kept in a small pool between runs ([`super::server`]).
//! Each is made read-only with `SET SESSION TRANSACTION READ ONLY` (unless `--allow-writes`)
//! and gets a server-side limit a little above the source's timeout: `max_statement_time` on
//! MariaDB, `max_execution_time` on MySQL (which limits `SELECT` only). sqlx sets the session's
//! `time_zone` to UTC, so `TIMESTAMP` values read as instants in UTC; `DATETIME` is a wall-clock
//! time and stays zoneless.
//!
//! A run sends the query as a plain `COM_QUERY`, whose rows come as text and are read by each
//! column's declared type ([`text::Kind`]); only an empty result is prepared afterwards, to name
//! its columns (preparing first would run MariaDB's derived tables twice). One statement per
//! query is enforced by `sql::check` before anything is sent. If the engine
//! drops the run while the statement is on the server, `KILL QUERY` is sent from a second
//! session and the first one is discarded.

use std::str::FromStr;
use std::time::Duration;

use futures_util::future::BoxFuture;
use futures_util::stream::BoxStream;
use futures_util::{FutureExt, TryStreamExt};
use sqlx::mysql::{MySqlConnectOptions, MySqlQueryResult, MySqlRow, MySqlStatement};
use sqlx::{Column, Connection, Executor, MySqlConnection, Row, Statement, TypeInfo};

use super::server::{Driver, Failure, ServerSource, Settings};
use super::sql::errors::{self, Target};
use super::sql::text::{self, Kind, Table};
use super::{BATCH_ROWS, Request, RowSink, SourceError, redact, sql};
use crate::value::Cell;

/// MySQL's error number for a statement the prepared-statement protocol does not support
/// (some `SHOW` forms): an empty result of such a query has no column names.
const ER_UNSUPPORTED_PS: u16 = 1295;

/// A MySQL or MariaDB source: the [`Mysql`] driver and its idle sessions.
pub type MysqlSource = ServerSource<Mysql>;

impl MysqlSource {
    /// A source for the server at `url`, keeping up to `pool` idle sessions. Fails only when
    /// the URL does not parse; nothing is sent to the server yet.
    pub fn new(url: &str, pool: usize) -> Result<Self, SourceError> {
        Ok(Self::with_pool(Mysql::new(url)?, pool))
    }
}

/// A logged-in session.
pub struct Session {
    conn: MySqlConnection,
    /// `CONNECTION_ID()`, for `KILL QUERY`.
    id: u64,
    /// The server is MariaDB (its limit is `max_statement_time`, in seconds).
    is_mariadb: bool,
}

/// How scatter talks to one MySQL or MariaDB server.
pub struct Mysql {
    url: String,
    /// Parsed from the URL when built; connecting waits for the first run.
    options: MySqlConnectOptions,
    target: Target,
}

impl std::fmt::Debug for Mysql {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Mysql")
            .field("url", &redact::url(&self.url))
            .finish_non_exhaustive()
    }
}

impl Mysql {
    fn new(url: &str) -> Result<Self, SourceError> {
        let options = MySqlConnectOptions::from_str(url)
            .map_err(|e| SourceError::Failed(format!("invalid URL {}: {e}", redact::url(url))))?;
        let target = Target {
            host: options.get_host().to_owned(),
            port: options.get_port(),
        };
        Ok(Self {
            url: url.to_owned(),
            options,
            target,
        })
    }

    async fn open(&self, settings: Settings) -> Result<Session, SourceError> {
        let fail = |e| errors::connect_error(e, &self.target);
        let mut conn = MySqlConnection::connect_with(&self.options)
            .await
            .map_err(fail)?;
        let who: BoxFuture<'_, Result<(u64, String), sqlx::Error>> =
            Box::pin(sqlx::query_as("SELECT CONNECTION_ID(), VERSION()").fetch_one(&mut conn));
        let (id, version) = who.await.map_err(fail)?;
        if !settings.writable {
            execute(&mut conn, "SET SESSION TRANSACTION READ ONLY").await?;
        }
        let mut s = Session {
            conn,
            id,
            is_mariadb: version.contains("MariaDB"),
        };
        set_limit(&mut s, settings.limit).await?;
        tracing::debug!(server = %self.target, id, %version, writable = settings.writable, "mysql session opened");
        Ok(s)
    }
}

impl Driver for Mysql {
    type Session = Session;
    type Query = ();

    fn parse(&self, request: &Request) -> Result<(), SourceError> {
        sql::check(&request.query, sql::Dialect::Mysql, request.allow_writes)
    }

    fn connect(&self, settings: Settings) -> BoxFuture<'_, Result<Session, SourceError>> {
        self.open(settings).boxed()
    }

    fn ping<'s>(&'s self, session: &'s mut Session) -> BoxFuture<'s, Result<(), SourceError>> {
        session
            .conn
            .ping()
            .map(|r| r.map_err(errors::query_error))
            .boxed()
    }

    fn set_limit<'s>(
        &'s self,
        session: &'s mut Session,
        limit: Duration,
    ) -> BoxFuture<'s, Result<(), SourceError>> {
        set_limit(session, limit).boxed()
    }

    fn run<'a>(
        &'a self,
        session: &'a mut Session,
        (): &'a (),
        request: &'a Request,
        sink: &'a mut RowSink,
    ) -> BoxFuture<'a, Result<(), Failure>> {
        read(&mut session.conn, &request.query, sink).boxed()
    }

    fn cancel_on_server(&self, session: &Session) -> Option<BoxFuture<'static, ()>> {
        let kill = kill_query(self.options.clone(), self.target.clone(), session.id);
        Some(kill.boxed())
    }

    fn describe(&self) -> String {
        format!("mysql: {}", redact::url(&self.url))
    }
}

async fn execute(conn: &mut MySqlConnection, statement: &str) -> Result<(), SourceError> {
    let run: BoxFuture<'_, Result<MySqlQueryResult, sqlx::Error>> = conn.execute(statement);
    run.await.map(drop).map_err(errors::query_error)
}

/// Sets the server-side statement limit of `s` to `limit`.
async fn set_limit(s: &mut Session, limit: Duration) -> Result<(), SourceError> {
    let set = if s.is_mariadb {
        format!("SET SESSION max_statement_time = {}", limit.as_secs_f64())
    } else {
        format!("SET SESSION max_execution_time = {}", limit.as_millis())
    };
    execute(&mut s.conn, &set).await
}

/// Runs `query` and pushes its rows into `sink` in batches of [`BATCH_ROWS`].
async fn read(conn: &mut MySqlConnection, query: &str, sink: &mut RowSink) -> Result<(), Failure> {
    let mut table: Option<Table> = None;
    {
        let mut rows: BoxStream<'_, Result<MySqlRow, sqlx::Error>> = conn.fetch(query);
        while let Some(row) = rows.try_next().await? {
            let t = table.get_or_insert_with(|| columns(row.columns()));
            for (i, &kind) in t.kinds.iter().enumerate() {
                let cell = match row.try_get_unchecked::<Option<&[u8]>, _>(i)? {
                    Some(b) => text::cell_from_bytes(kind, b),
                    None => Cell::Null,
                };
                t.builder.set(i, cell);
            }
            t.builder.end_row();
            if t.builder.len() >= BATCH_ROWS {
                sink.push(t.builder.finish())?;
            }
        }
    }
    let mut t = match table {
        Some(t) => t,
        None => prepared_columns(conn, query).await?,
    };
    sink.push(t.builder.finish())?;
    Ok(())
}

/// The columns of `query`'s result, from preparing it: how an empty result gets its column
/// names. Only then: MariaDB materializes derived tables while preparing, so preparing every
/// query first would run such subqueries twice.
async fn prepared_columns(conn: &mut MySqlConnection, query: &str) -> Result<Table, Failure> {
    let prepare: BoxFuture<'_, Result<MySqlStatement<'_>, sqlx::Error>> = conn.prepare(query);
    match prepare.await {
        Ok(statement) => Ok(columns(statement.columns())),
        Err(sqlx::Error::Database(db))
            if db
                .try_downcast_ref::<sqlx::mysql::MySqlDatabaseError>()
                .is_some_and(|e| e.number() == ER_UNSUPPORTED_PS) =>
        {
            Ok(Table::new(std::iter::empty()))
        }
        Err(e) => Err(e.into()),
    }
}

fn columns(columns: &[sqlx::mysql::MySqlColumn]) -> Table {
    Table::new(
        columns
            .iter()
            .map(|c| (c.name(), kind(c.type_info().name()))),
    )
}

/// How to read a column of the MySQL type named `name` (sqlx's name for it).
fn kind(name: &str) -> Kind {
    match name.trim_end_matches(" UNSIGNED") {
        "BOOLEAN" => Kind::Bool,
        "TINYINT" | "SMALLINT" | "MEDIUMINT" | "INT" | "BIGINT" | "YEAR" => Kind::Int,
        "FLOAT" | "DOUBLE" => Kind::Float,
        "DECIMAL" => Kind::Decimal,
        "DATE" => Kind::Date,
        "DATETIME" => Kind::Timestamp,
        "TIMESTAMP" => Kind::TimestampTz,
        "BINARY" | "VARBINARY" | "TINYBLOB" | "BLOB" | "MEDIUMBLOB" | "LONGBLOB" => {
            Kind::MaybeBytes
        }
        "BIT" | "GEOMETRY" => Kind::Bytes,
        _ => Kind::Text,
    }
}

/// Whether a MySQL or MariaDB error number says the request may pass if sent again: too many
/// connections (1040, 1203), the server shutting down (1053), the network between (1158 to
/// 1161), the server gone or the connection lost (2006, 2013), the connection killed by an
/// administrator (1927), or a lock race a retry can win (1205 lock wait timeout, 1213
/// deadlock). Syntax errors, missing tables, permissions, a read-only transaction, and the
/// statement limits (1969, 3024) or `KILL QUERY` (1317) that scatter itself sets are final.
pub(super) fn is_transient_error_number(number: u16) -> bool {
    matches!(
        number,
        1040 | 1053 | 1158..=1161 | 1203 | 1205 | 1213 | 1927 | 2006 | 2013
    )
}

/// Stops whatever statement connection `id` runs, from a second session of the same user.
async fn kill_query(options: MySqlConnectOptions, target: Target, id: u64) {
    let mut conn = match MySqlConnection::connect_with(&options).await {
        Ok(conn) => conn,
        Err(e) => {
            let why = errors::connect_error(e, &target);
            tracing::warn!(server = %target, id, error = %why, "cannot connect to kill a statement");
            return;
        }
    };
    match execute(&mut conn, &format!("KILL QUERY {id}")).await {
        Ok(()) => tracing::debug!(server = %target, id, "statement killed on the server"),
        Err(e) => tracing::warn!(server = %target, id, error = %e, "KILL QUERY failed"),
    }
    drop(conn.close().await);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::Source;

    #[test]
    fn the_password_is_redacted_from_descriptions() {
        let source = MysqlSource::new("mysql://app:s3cret@db:3306/shop", 2).unwrap();
        assert_eq!(source.describe(), "mysql: mysql://app:***@db:3306/shop");
        assert!(!format!("{source:?}").contains("s3cret"));
    }

    #[test]
    fn error_numbers_sort_into_transient_and_final() {
        let cases = [
            (1040, true),  // ER_CON_COUNT_ERROR: too many connections
            (2006, true),  // CR_SERVER_GONE_ERROR
            (2013, true),  // CR_SERVER_LOST
            (1053, true),  // ER_SERVER_SHUTDOWN
            (1213, true),  // ER_LOCK_DEADLOCK
            (1064, false), // ER_PARSE_ERROR
            (1146, false), // ER_NO_SUCH_TABLE
            (1142, false), // ER_TABLEACCESS_DENIED_ERROR
            (1792, false), // ER_CANT_EXECUTE_IN_READ_ONLY_TRANSACTION
            (1317, false), // ER_QUERY_INTERRUPTED (KILL QUERY)
            (1969, false), // ER_STATEMENT_TIMEOUT (max_statement_time)
        ];
        for (number, transient) in cases {
            assert_eq!(is_transient_error_number(number), transient, "{number}");
        }
    }

    #[test]
    fn column_types_pick_their_reader() {
        let cases = [
            ("BOOLEAN", Kind::Bool),
            ("BIGINT UNSIGNED", Kind::Int),
            ("DECIMAL", Kind::Decimal),
            ("TIMESTAMP", Kind::TimestampTz),
            ("DATETIME", Kind::Timestamp),
            ("VARBINARY", Kind::MaybeBytes),
            ("BIT", Kind::Bytes),
            ("JSON", Kind::Text),
        ];
        for (name, want) in cases {
            assert_eq!(kind(name), want, "{name}");
        }
    }
}
