//! One layer for the kinds that talk to a server over logged-in sessions (`postgres`,
//! `mysql`, `redis`): a kind writes a [`Driver`] (connect, ping, run, cancel on the server)
//! and [`ServerSource`] does the rest, the same way for every kind:
//!
//! - **Sessions are kept between runs** in a small idle pool ([`pool::Idle`]). A run takes one
//!   out that was opened with the same [`Settings::writable`], pings it ([`Driver::ping`]; a
//!   session the server closed while idle is dropped and the next one tried), brings its
//!   server-side limit to this run's ([`Driver::set_limit`]), or connects anew
//!   ([`Driver::connect`]) when none is left.
//! - **A statement cut off is stopped on the server.** Dropping a query future, or even its
//!   connection, leaves the statement running on PostgreSQL and MariaDB. So before the run
//!   starts, the layer asks the driver for the future that stops it from outside
//!   ([`Driver::cancel_on_server`]: a second connection sending `pg_cancel_backend` or
//!   `KILL QUERY`) and arms a [`CancelOnDrop`] with it. When the run ends on its own the
//!   guard is disarmed and the future dropped unpolled; when the engine drops the run
//!   (timeout, fail-fast, deadline, the user) or the run stops reading midway
//!   ([`Failure::Client`]), the guard spawns it on `Request::cleanup`, which the process
//!   waits on before it exits, within [`cancel::CANCEL_WITHIN`].
//! - **A session whose statement was cut off is discarded**, never reused: the run owns the
//!   session, so a dropped run drops (closes) it, and a [`Failure::Client`] drops it too.
//!   Only a run that ended cleanly, or with an error the server sent
//!   ([`Failure::Server`]: the statement is over there), puts its session back.
//! - **A server-side limit is the backstop**: each session carries one a little above the
//!   source's timeout ([`cancel::backstop`]), for when the cancel cannot get through.
//!
//! Who calls what, per run: [`Driver::parse`] first (nothing is sent for a refused query),
//! then the pool (`ping` and `set_limit` on a kept session, or `connect`), then
//! `cancel_on_server` once, then [`Driver::run`]. A fifth server kind is one file: its
//! `Driver`, a `pub type XSource = ServerSource<X>` with a constructor, and a line in
//! [`build`](super::build).

pub mod cancel;
pub mod pool;

use std::time::Duration;

use futures_util::FutureExt;
use futures_util::future::BoxFuture;

use super::{Request, RowSink, Source, SourceError};
pub use cancel::CancelOnDrop;
use pool::Idle;

/// What a session must be set up for; chosen per run from the request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Settings {
    /// The run may write (`--allow-writes`): the session is not made read-only. A kept
    /// session is reused only by runs with the same value.
    pub writable: bool,
    /// The server-side statement limit to put in force (the backstop; see
    /// [`cancel::backstop`]).
    pub limit: Duration,
}

/// Why a run stopped, sorted by what it means for the session.
#[derive(Debug)]
pub enum Failure {
    /// The server answered with an error: the statement is over there and the session is fit
    /// for the next run (it goes back to the pool).
    Server(SourceError),
    /// The client stopped (a row cap, a lost connection, a reply it could not read): the
    /// statement may still be running on the server, so it is cancelled there and the
    /// session is discarded.
    Client(SourceError),
}

impl From<SourceError> for Failure {
    fn from(e: SourceError) -> Self {
        Self::Client(e)
    }
}

/// One kind of server, as [`ServerSource`] drives it. Every method is called from the run's
/// task; none may block.
///
/// A driver guarantees:
/// - [`connect`](Self::connect) returns a session set up as the [`Settings`] say: read-only
///   unless `writable` (as far as the server knows such a thing), the limit in force.
/// - [`run`](Self::run) returns `Ok` or [`Failure::Server`] only when the session is fit for
///   the next run (no unread result, no open transaction); anything else is
///   [`Failure::Client`]. Its future may be dropped at any await: that is how the engine
///   stops a run, and the layer's guard takes care of the server.
/// - [`cancel_on_server`](Self::cancel_on_server)'s future needs nothing from the session
///   (which is gone by the time it runs), does no harm when the statement has already ended,
///   and gives up on its own or is given up after [`cancel::CANCEL_WITHIN`].
/// - Errors are phrased for the user without a password, and sorted into transient and final
///   ([`SourceError::is_transient`]).
pub trait Driver: std::fmt::Debug + Send + Sync + 'static {
    /// A logged-in session, owned by one run at a time.
    type Session: Send + 'static;
    /// The request's query as the driver sends it: parsed (Redis, `MongoDB`), or checked and
    /// sent as written (`()`, SQL).
    type Query: Send + Sync;

    /// Checks the query before anything is sent (the one-statement, read-only guard) and
    /// parses it; an error ends the run without a connection.
    fn parse(&self, request: &Request) -> Result<Self::Query, SourceError>;

    /// Opens a new session set up as `settings` say.
    fn connect(&self, settings: Settings) -> BoxFuture<'_, Result<Self::Session, SourceError>>;

    /// One round trip on a session that was idle: fails when the server closed it meanwhile
    /// (a restart, an idle timeout, a killed backend).
    fn ping<'s>(&'s self, session: &'s mut Self::Session)
    -> BoxFuture<'s, Result<(), SourceError>>;

    /// Puts `limit` in force on a kept session whose limit differs (another source timeout
    /// or `--timeout`). Servers without a session limit keep the default, which does nothing.
    fn set_limit<'s>(
        &'s self,
        session: &'s mut Self::Session,
        limit: Duration,
    ) -> BoxFuture<'s, Result<(), SourceError>> {
        let _ = (session, limit);
        async { Ok(()) }.boxed()
    }

    /// Runs `query` on `session`, pushing rows into `sink` as they arrive.
    fn run<'a>(
        &'a self,
        session: &'a mut Self::Session,
        query: &'a Self::Query,
        request: &'a Request,
        sink: &'a mut RowSink,
    ) -> BoxFuture<'a, Result<(), Failure>>;

    /// The future that stops whatever `session` is running, from outside it (a second
    /// connection). Called once per run before [`run`](Self::run), and polled only if the run
    /// is cut off. `None`: nothing on the server outlives the connection (each Redis command
    /// is short, and a closed connection gets no further page).
    fn cancel_on_server(&self, session: &Self::Session) -> Option<BoxFuture<'static, ()>>;

    /// Where the source reads from, for the details panel; passwords redacted.
    fn describe(&self) -> String;
}

/// A source on a server: a [`Driver`] and its idle sessions.
pub struct ServerSource<D: Driver> {
    driver: D,
    /// Sessions kept between runs, with the settings they were opened with.
    idle: Idle<(Settings, D::Session)>,
}

impl<D: Driver> std::fmt::Debug for ServerSource<D> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServerSource")
            .field("driver", &self.driver)
            .field("idle", &self.idle.len())
            .finish()
    }
}

impl<D: Driver> ServerSource<D> {
    /// A source for `driver` that keeps up to `pool` idle sessions (at least one).
    #[must_use]
    pub fn with_pool(driver: D, pool: usize) -> Self {
        Self {
            driver,
            idle: Idle::new(pool),
        }
    }

    /// The driver.
    #[must_use]
    pub fn driver(&self) -> &D {
        &self.driver
    }

    /// A kept session fit for `settings` that still answers, or a new one.
    async fn session(&self, settings: Settings) -> Result<D::Session, SourceError> {
        while let Some((opened, mut s)) = self.idle.take(|(o, _)| o.writable == settings.writable) {
            if let Err(e) = self.driver.ping(&mut s).await {
                tracing::debug!(source = ?self.driver, error = %e, "idle session lost; replacing it");
                continue;
            }
            if opened.limit != settings.limit {
                self.driver.set_limit(&mut s, settings.limit).await?;
            }
            return Ok(s);
        }
        self.driver.connect(settings).await
    }

    async fn run_inner(&self, request: &Request, sink: &mut RowSink) -> Result<(), SourceError> {
        let query = self.driver.parse(request)?;
        let settings = Settings {
            writable: request.allow_writes,
            limit: cancel::backstop(request.timeout),
        };
        let mut session = self.session(settings).await?;
        let mut guard = self
            .driver
            .cancel_on_server(&session)
            .map(|cancel| CancelOnDrop::spawn_on(request.cleanup.clone(), cancel));
        let result = self.driver.run(&mut session, &query, request, sink).await;
        match result {
            Ok(()) | Err(Failure::Server(_)) => {
                if let Some(guard) = guard.as_mut() {
                    guard.disarm();
                }
                self.idle.put((settings, session));
            }
            // The guard, still armed, stops the statement as it drops with the session.
            Err(Failure::Client(_)) => {}
        }
        result.map_err(|(Failure::Server(e) | Failure::Client(e))| e)
    }
}

impl<D: Driver> Source for ServerSource<D> {
    fn run<'a>(
        &'a self,
        request: &'a Request,
        sink: &'a mut RowSink,
    ) -> BoxFuture<'a, Result<(), SourceError>> {
        self.run_inner(request, sink).boxed()
    }

    fn describe(&self) -> String {
        self.driver.describe()
    }
}

#[cfg(test)]
mod tests;
