//! `postgres`: a PostgreSQL server, through sqlx's PostgreSQL driver over rustls.
//!
//! Sessions are opened on the first run, not when the source is built, and kept in a small
//! pool between runs. Each is started with `default_transaction_read_only=on`
//! (unless `--allow-writes`), a `statement_timeout` backstop a little above the source's
//! timeout, and `TimeZone=UTC`, `DateStyle=ISO`, `bytea_output=hex` so that values arrive in one
//! known text spelling.
//!
//! A run prepares the query first (the server refuses more than one statement there, and the
//! statement's columns name an empty result), then runs it through the simple query protocol,
//! whose rows come as text and are read by each column's declared type ([`text::Kind`]).
//! If the engine drops the run while the statement is on the server, `pg_cancel_backend` is
//! sent from a second session and the first one is discarded ([`super::server`] does that, and
//! keeps the sessions, for every server kind).

use std::str::FromStr;
use std::time::Duration;

use futures_util::future::BoxFuture;
use futures_util::stream::BoxStream;
use futures_util::{FutureExt, TryStreamExt};
use sqlx::postgres::{PgConnectOptions, PgQueryResult, PgRow, PgStatement};
use sqlx::{Column, Connection, Executor, PgConnection, Row, Statement, TypeInfo};

use super::server::{Driver, Failure, ServerSource, Settings};
use super::sql::errors::{self, Target};
use super::sql::text::{self, Kind, Table};
use super::{BATCH_ROWS, Request, RowSink, SourceError, redact, sql};

/// A PostgreSQL source: the [`Postgres`] driver and its idle sessions.
pub type PostgresSource = ServerSource<Postgres>;

impl PostgresSource {
    /// A source for the server at `url`, keeping up to `pool` idle sessions. Fails only when
    /// the URL does not parse; nothing is sent to the server yet.
    pub fn new(url: &str, pool: usize) -> Result<Self, SourceError> {
        Ok(Self::with_pool(Postgres::new(url)?, pool))
    }
}

/// A logged-in session.
pub struct Session {
    conn: PgConnection,
    /// The server process serving this session, for `pg_cancel_backend`.
    pid: i32,
}

/// How scatter talks to one PostgreSQL server.
pub struct Postgres {
    url: String,
    /// Parsed from the URL when built; connecting waits for the first run.
    options: PgConnectOptions,
    target: Target,
}

impl std::fmt::Debug for Postgres {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Postgres")
            .field("url", &redact::url(&self.url))
            .finish_non_exhaustive()
    }
}

impl Postgres {
    fn new(url: &str) -> Result<Self, SourceError> {
        let options = PgConnectOptions::from_str(url)
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
        let mut options = self.options.clone().options([
            ("TimeZone", "UTC".to_owned()),
            ("DateStyle", "ISO".to_owned()),
            ("bytea_output", "hex".to_owned()),
            ("statement_timeout", settings.limit.as_millis().to_string()),
        ]);
        if !settings.writable {
            options = options.options([("default_transaction_read_only", "on")]);
        }
        let fail = |e| errors::connect_error(e, &self.target);
        let mut conn = PgConnection::connect_with(&options).await.map_err(fail)?;
        let pid: BoxFuture<'_, Result<i32, sqlx::Error>> =
            Box::pin(sqlx::query_scalar("SELECT pg_backend_pid()").fetch_one(&mut conn));
        let pid = pid.await.map_err(fail)?;
        tracing::debug!(server = %self.target, pid, writable = settings.writable, "postgres session opened");
        Ok(Session { conn, pid })
    }
}

impl Driver for Postgres {
    type Session = Session;
    type Query = ();

    fn parse(&self, request: &Request) -> Result<(), SourceError> {
        sql::check(&request.query, sql::Dialect::Postgres, request.allow_writes)
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
        async move {
            let set = format!("SET statement_timeout = {}", limit.as_millis());
            let apply: BoxFuture<'_, Result<PgQueryResult, sqlx::Error>> =
                session.conn.execute(set.as_str());
            apply.await.map(drop).map_err(errors::query_error)
        }
        .boxed()
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
        let cancel = cancel_backend(self.options.clone(), self.target.clone(), session.pid);
        Some(cancel.boxed())
    }

    fn describe(&self) -> String {
        format!("postgres: {}", redact::url(&self.url))
    }
}

/// Prepares `query`, runs it, and pushes its rows into `sink` in batches of [`BATCH_ROWS`].
async fn read(conn: &mut PgConnection, query: &str, sink: &mut RowSink) -> Result<(), Failure> {
    let prepare: BoxFuture<'_, Result<PgStatement<'_>, sqlx::Error>> = conn.prepare(query);
    let statement = prepare.await?;
    let mut table: Option<Table> = None;
    {
        let mut rows: BoxStream<'_, Result<PgRow, sqlx::Error>> = conn.fetch(query);
        while let Some(row) = rows.try_next().await? {
            let t = table.get_or_insert_with(|| columns(row.columns()));
            for (i, &kind) in t.kinds.iter().enumerate() {
                let cell = match row.try_get_unchecked::<Option<&str>, _>(i)? {
                    Some(s) => text::cell(kind, s),
                    None => crate::value::Cell::Null,
                };
                t.builder.set(i, cell);
            }
            t.builder.end_row();
            if t.builder.len() >= BATCH_ROWS {
                sink.push(t.builder.finish())?;
            }
        }
    }
    let mut t = table.unwrap_or_else(|| columns(statement.columns()));
    sink.push(t.builder.finish())?;
    Ok(())
}

fn columns(columns: &[sqlx::postgres::PgColumn]) -> Table {
    Table::new(
        columns
            .iter()
            .map(|c| (c.name(), kind(c.type_info().name()))),
    )
}

/// How to read a column of the PostgreSQL type named `name` (sqlx's display name).
fn kind(name: &str) -> Kind {
    match name {
        "BOOL" => Kind::Bool,
        "INT2" | "INT4" | "INT8" | "OID" => Kind::Int,
        "FLOAT4" | "FLOAT8" => Kind::Float,
        "NUMERIC" => Kind::Decimal,
        "DATE" => Kind::Date,
        "TIMESTAMP" => Kind::Timestamp,
        "TIMESTAMPTZ" => Kind::TimestampTz,
        "BYTEA" => Kind::HexBytes,
        _ => Kind::Text,
    }
}

/// Whether a PostgreSQL error code (SQLSTATE) says the request may pass if sent again: the
/// connection failed (class `08`), the server has no room for another session (`53300`), it is
/// shutting down, crashed or still starting (`57P01`, `57P02`, `57P03`), or the transaction
/// lost a race that a retry can win (`40001` serialization failure, also a hot standby's
/// "conflict with recovery"; `40P01` deadlock). Syntax errors, missing tables, permissions and
/// `57014` (the statement was cancelled, by scatter or by `statement_timeout`) are final.
pub(super) fn is_transient_sqlstate(code: &str) -> bool {
    code.starts_with("08")
        || matches!(
            code,
            "53300" | "57P01" | "57P02" | "57P03" | "40001" | "40P01"
        )
}

/// Stops whatever backend `pid` runs, from a second session of the same user.
async fn cancel_backend(options: PgConnectOptions, target: Target, pid: i32) {
    let mut conn = match PgConnection::connect_with(&options).await {
        Ok(conn) => conn,
        Err(e) => {
            let why = errors::connect_error(e, &target);
            tracing::warn!(server = %target, pid, error = %why, "cannot connect to cancel a statement");
            return;
        }
    };
    let cancel: BoxFuture<'_, Result<bool, sqlx::Error>> = Box::pin(
        sqlx::query_scalar("SELECT pg_cancel_backend($1)")
            .bind(pid)
            .fetch_one(&mut conn),
    );
    match cancel.await {
        Ok(sent) => {
            tracing::debug!(server = %target, pid, sent, "statement cancelled on the server");
        }
        Err(e) => {
            let why = errors::query_error(e);
            tracing::warn!(server = %target, pid, error = %why, "cancel failed");
        }
    }
    drop(conn.close().await);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::Source;

    #[test]
    fn the_password_is_redacted_from_descriptions_and_url_errors() {
        let source = PostgresSource::new("postgres://reader:s3cret@db:5432/shop", 2).unwrap();
        assert_eq!(
            source.describe(),
            "postgres: postgres://reader:***@db:5432/shop"
        );
        assert!(!format!("{source:?}").contains("s3cret"));
        let err = PostgresSource::new("postgres://reader:s3cret@db:port/shop", 2).unwrap_err();
        assert_eq!(
            err.to_string(),
            "invalid URL postgres://reader:***@db:port/shop: \
             error with configuration: invalid port number"
        );
    }

    #[test]
    fn sqlstates_sort_into_transient_and_final() {
        let cases = [
            ("08006", true),  // connection_failure
            ("08001", true),  // sqlclient_unable_to_establish_sqlconnection
            ("53300", true),  // too_many_connections
            ("57P01", true),  // admin_shutdown (pg_terminate_backend)
            ("57P03", true),  // cannot_connect_now (starting up)
            ("40001", true),  // serialization_failure
            ("42601", false), // syntax_error
            ("42P01", false), // undefined_table
            ("42501", false), // insufficient_privilege
            ("25006", false), // read_only_sql_transaction
            ("57014", false), // query_canceled
        ];
        for (code, transient) in cases {
            assert_eq!(is_transient_sqlstate(code), transient, "{code}");
        }
    }

    #[test]
    fn column_types_pick_their_reader() {
        let cases = [
            ("INT8", Kind::Int),
            ("NUMERIC", Kind::Decimal),
            ("TIMESTAMPTZ", Kind::TimestampTz),
            ("BYTEA", Kind::HexBytes),
            ("JSONB", Kind::Text),
            ("UUID", Kind::Text),
        ];
        for (name, want) in cases {
            assert_eq!(kind(name), want, "{name}");
        }
    }
}
