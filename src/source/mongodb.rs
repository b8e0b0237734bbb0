//! `mongodb`: a MongoDB server or replica set, through the official driver (tokio, rustls),
//! the fifth kind on [`super::server`]'s layer.
//!
//! The query is a JSON object naming a read command (see [`query`]): `find`, `aggregate` or
//! `count`; nothing else is sent, and a pipeline with `$out` or `$merge` is refused unless
//! `--allow-writes`. The URL's database is the one read; its options are the driver's own
//! (`readPreference=secondary` sends the reads to secondaries, `replicaSet`, `tls`, ...).
//!
//! Rows stream from the cursor a server batch at a time ([`BATCH_ROWS`](super::BATCH_ROWS)
//! documents asked for per batch, see [`read`]), so the row count climbs as batches arrive;
//! [`rows`] turns documents into cells.
//!
//! The layer's session is a driver [`Client`] (its connection pool and server monitors), built
//! on the first run and kept between runs. When a run is cut off (timeout, cancel, a row cap,
//! a lost connection) its cursor is dropped, for which the driver sends `killCursors`, and the
//! layer's cancel shuts the client down on the gather's cleanup tracker, which waits for that
//! `killCursors`: `--once` does not exit before the server was told. Every command carries
//! `maxTimeMS` = the source's timeout + 2 s, the server-side backstop for when `killCursors`
//! cannot arrive.
//!
//! A server that is down is reported at once: the driver's monitors see the refused connection
//! (or the unknown host, or that no host is a member of the named replica set), and the run
//! ends with that instead of waiting for server selection. A server that accepts but does not
//! answer leaves the run to the source's timeout: server selection waits past it.

mod errors;
mod query;
mod read;
mod rows;

use std::time::Duration;

use bson::Document;
use futures_util::FutureExt;
use futures_util::future::BoxFuture;
use mongodb::Client;
use mongodb::event::EventHandler;
use mongodb::event::sdam::SdamEvent;
use mongodb::options::{ClientOptions, ConnectionString};
use tokio::sync::watch;

use super::server::{Driver, Failure, ServerSource, Settings};
use super::{Request, RowSink, SourceError, redact};
pub use query::{MongoCommand, MongoFind, MongoQuery, MongoQueryError};
use read::Read;

/// A MongoDB source: the [`Mongo`] driver and the one client it keeps between runs (a client
/// is itself a pool of connections: `maxPoolSize` in the URL).
pub type MongoSource = ServerSource<Mongo>;

impl MongoSource {
    /// A source reading the database named in `url`
    /// (`mongodb://[user:password@]host[:port][,host...]/db[?options]`), named `name` in the
    /// server's logs. Fails when the URL does not parse or names no database; nothing is sent
    /// to the server yet.
    pub fn new(url: &str, name: &str) -> Result<Self, SourceError> {
        Ok(Self::with_pool(Mongo::new(url, name)?, 1))
    }

    /// The name this source's client and commands carry on the server (`appName`, `comment`).
    #[must_use]
    pub fn label(&self) -> &str {
        &self.driver().label
    }
}

/// How scatter talks to one MongoDB deployment.
pub struct Mongo {
    /// The URL as written; may hold a password, so never shown (see `shown`).
    url: ConnectionString,
    /// The URL as shown to the user, password masked.
    shown: String,
    /// The database the URL names.
    database: String,
    /// Sent as the driver's `appName` and each command's `comment`, so that scatter's work is
    /// recognisable in the server's logs, `currentOp` and the profiler.
    label: String,
}

impl std::fmt::Debug for Mongo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Mongo")
            .field("url", &self.shown)
            .finish_non_exhaustive()
    }
}

/// A client, with what its monitors last concluded about reachability.
pub struct Session {
    client: Client,
    /// `Some(why)` once every server of the topology is certainly unreachable. Sent by the
    /// driver's monitoring callback on each topology change; read by runs, which end with the
    /// reason as soon as it is `Some`, and by the layer's ping. Closed when the client is
    /// dropped.
    down: watch::Receiver<Option<String>>,
}

impl Driver for Mongo {
    type Session = Session;
    type Query = MongoQuery;

    fn parse(&self, request: &Request) -> Result<MongoQuery, SourceError> {
        let query = MongoQuery::parse(&request.query)
            .map_err(|e| SourceError::Failed(format!("query: {e}")))?;
        if !request.allow_writes
            && let Some(stage) = query.write_stage()
        {
            return Err(SourceError::Refused(format!(
                "the pipeline's {stage} stage writes to a collection (pass --allow-writes to \
                 allow it)"
            )));
        }
        Ok(query)
    }

    /// MongoDB has no read-only session (the guard in [`parse`](Self::parse) is the barrier;
    /// use a role with only `read`); the limit becomes the server selection timeout here and
    /// each command's `maxTimeMS`.
    fn connect(&self, settings: Settings) -> BoxFuture<'_, Result<Session, SourceError>> {
        self.open(settings.limit).boxed()
    }

    /// No round trip: the client reconnects by itself. A client whose monitors gave up on
    /// every server is replaced, so that a fresh one checks again at once.
    fn ping<'s>(&'s self, session: &'s mut Session) -> BoxFuture<'s, Result<(), SourceError>> {
        let down = session.down.borrow().clone();
        async move { down.map_or(Ok(()), |why| Err(SourceError::transient(why))) }.boxed()
    }

    /// The server selection timeout is the client's: a kept client built for another limit
    /// is replaced by one built for this one.
    fn set_limit<'s>(
        &'s self,
        session: &'s mut Session,
        limit: Duration,
    ) -> BoxFuture<'s, Result<(), SourceError>> {
        async move {
            let old = std::mem::replace(session, self.open(limit).await?);
            tokio::spawn(old.client.shutdown().into_future());
            Ok(())
        }
        .boxed()
    }

    fn run<'a>(
        &'a self,
        session: &'a mut Session,
        query: &'a MongoQuery,
        request: &'a Request,
        sink: &'a mut RowSink,
    ) -> BoxFuture<'a, Result<(), Failure>> {
        async move {
            let read = Read {
                collection: session
                    .client
                    .database(&self.database)
                    .collection::<Document>(&query.collection),
                limit: super::server::cancel::backstop(request.timeout),
                comment: &self.label,
            };
            let mut down = session.down.clone();
            tokio::select! {
                result = read.run(query, sink) => result,
                Ok(why) = down.wait_for(Option::is_some) => Err(Failure::Client(
                    SourceError::transient(why.clone().unwrap_or_default()),
                )),
            }
        }
        .boxed()
    }

    /// Shuts the client down: that waits for the `killCursors` the dropped cursor asked for,
    /// then closes the connections and monitors.
    fn cancel_on_server(&self, session: &Session) -> Option<BoxFuture<'static, ()>> {
        Some(session.client.clone().shutdown().into_future().boxed())
    }

    fn describe(&self) -> String {
        format!("mongodb {}", self.shown)
    }
}

impl Mongo {
    fn new(url: &str, name: &str) -> Result<Self, SourceError> {
        let shown = redact::url(url);
        if url.starts_with("mongodb+srv://") {
            return Err(SourceError::Failed(format!(
                "{shown}: mongodb+srv:// needs DNS SRV lookups, which scatter does not do; use \
                 the standard connection string (mongodb://host1,host2,.../db?replicaSet=...\
                 &tls=true, which Atlas also shows)"
            )));
        }
        let parsed = ConnectionString::parse(url)
            .map_err(|e| SourceError::Failed(format!("invalid URL {shown}: {}", e.kind)))?;
        let database = parsed.default_database.clone().ok_or_else(|| {
            SourceError::Failed(format!(
                "{shown} names no database; write mongodb://host:27017/DATABASE"
            ))
        })?;
        let label = format!(
            "scatter:{}",
            name.chars()
                .map(|c| if c.is_ascii_graphic() { c } else { '_' })
                .collect::<String>()
        );
        Ok(Self {
            url: parsed,
            shown,
            database,
            label,
        })
    }

    /// The driver's options from the URL (`readPreference`, `replicaSet`, `tls`, ... all
    /// honoured as written), with scatter's name and `selection` as the server selection
    /// timeout: past the source's own, so a server that never answers ends as `timeout`.
    async fn options(&self, selection: Duration) -> Result<ClientOptions, SourceError> {
        let mut options = ClientOptions::parse(self.url.clone())
            .await
            .map_err(|e| SourceError::Failed(format!("invalid URL {}: {}", self.shown, e.kind)))?;
        options.app_name.get_or_insert_with(|| self.label.clone());
        options.server_selection_timeout = Some(selection);
        Ok(options)
    }

    /// A new client; nothing is sent until its first command (its monitors start at once).
    async fn open(&self, selection: Duration) -> Result<Session, SourceError> {
        let mut options = self.options(selection).await?;
        let set = options.repl_set_name.clone();
        let (tx, down) = watch::channel(None);
        options.sdam_event_handler = Some(EventHandler::callback(move |event: SdamEvent| {
            if let SdamEvent::TopologyDescriptionChanged(change) = event {
                tx.send_replace(errors::unreachable(&change.new_description, set.as_deref()));
            }
        }));
        let client = Client::with_options(options)
            .map_err(|e| SourceError::Failed(format!("{}: {}", self.shown, e.kind)))?;
        tracing::debug!(server = %self.shown, "mongodb client created");
        Ok(Session { client, down })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::Source;

    #[test]
    fn urls_are_checked_and_shown_without_password() {
        let s = MongoSource::new(
            "mongodb://app:s3cret@db1:27017,db2:27017/shop?replicaSet=rs0&readPreference=secondary",
            "shop eu",
        )
        .unwrap();
        assert_eq!(
            s.describe(),
            "mongodb mongodb://app:***@db1:27017,db2:27017/shop?replicaSet=rs0&readPreference=secondary"
        );
        assert!(!format!("{s:?}").contains("s3cret"));
        assert_eq!(s.label(), "scatter:shop_eu");
        let no_db = MongoSource::new("mongodb://app:s3cret@db:27017", "x").unwrap_err();
        assert_eq!(
            no_db.to_string(),
            "mongodb://app:***@db:27017 names no database; write mongodb://host:27017/DATABASE"
        );
        let srv = MongoSource::new("mongodb+srv://app:s3cret@cluster0.example.net/shop", "x")
            .unwrap_err()
            .to_string();
        assert!(
            srv.starts_with("mongodb+srv://app:***@cluster0.example.net/shop: "),
            "{srv}"
        );
        let bad = MongoSource::new("mongodb://app:s3cret@db:port/shop", "x")
            .unwrap_err()
            .to_string();
        assert!(
            bad.starts_with("invalid URL mongodb://app:***@db:port/shop: "),
            "{bad}"
        );
        assert!(!bad.contains("s3cret"), "{bad}");
    }

    #[tokio::test]
    async fn the_urls_options_reach_the_driver() {
        use mongodb::options::{ReadPreference, SelectionCriteria};
        let s = MongoSource::new(
            "mongodb://db1,db2/shop?replicaSet=rs0&readPreference=secondary&appName=mine",
            "x",
        )
        .unwrap();
        let options = s.driver().options(Duration::from_secs(5)).await.unwrap();
        assert!(matches!(
            options.selection_criteria,
            Some(SelectionCriteria::ReadPreference(
                ReadPreference::Secondary { .. }
            ))
        ));
        assert_eq!(options.repl_set_name.as_deref(), Some("rs0"));
        assert_eq!(options.app_name.as_deref(), Some("mine"));
        assert_eq!(
            options.server_selection_timeout,
            Some(Duration::from_secs(5))
        );
        let default = Mongo::new("mongodb://db/shop", "cat")
            .unwrap()
            .options(Duration::from_secs(1))
            .await
            .unwrap();
        assert_eq!(default.app_name.as_deref(), Some("scatter:cat"));
        assert_eq!(
            default.selection_criteria, None,
            "the driver's default: primary"
        );
    }
}
