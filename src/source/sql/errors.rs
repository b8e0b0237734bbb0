//! Short, specific messages for what goes wrong talking to a database server, phrased from
//! sqlx errors without the connection URL, so a password can never reach them, and sorted
//! into transient and final failures (see [`SourceError::is_transient`]).

use std::io::ErrorKind;

use sqlx::error::DatabaseError;
use sqlx::mysql::MySqlDatabaseError;
use sqlx::postgres::PgDatabaseError;

use crate::source::server::Failure;
use crate::source::{SourceError, is_transient_io, mysql, postgres};

/// Where a source connects, as shown in its messages (never the user or password).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// Host name or address (or socket path).
    pub host: String,
    /// TCP port.
    pub port: u16,
}

impl std::fmt::Display for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.host.starts_with('/') {
            f.write_str(&self.host)
        } else {
            write!(f, "{}:{}", self.host, self.port)
        }
    }
}

/// A failure to open a session with `target`: `connection refused: 127.0.0.1:5999`, the
/// server's own words for authentication and unknown databases. Transient when the server
/// could not be reached or said it is not ready (see [`server_error`]).
#[must_use]
pub fn connect_error(e: sqlx::Error, target: &Target) -> SourceError {
    match e {
        sqlx::Error::Io(io) => {
            let message = match io.kind() {
                ErrorKind::ConnectionRefused => format!("connection refused: {target}"),
                ErrorKind::TimedOut => format!("connection timed out: {target}"),
                ErrorKind::ConnectionReset | ErrorKind::UnexpectedEof => {
                    format!("connection closed by the server: {target}")
                }
                _ if is_lookup_failure(&io) => {
                    let message = format!("cannot resolve host \"{}\"", target.host);
                    // A resolver that could not answer now (EAI_AGAIN) may answer later; a
                    // name that does not exist will not.
                    return if io.to_string().contains("Temporary failure") {
                        SourceError::transient(message)
                    } else {
                        SourceError::Failed(message)
                    };
                }
                _ => format!("cannot connect to {target}: {io}"),
            };
            classified(message, is_transient_io(io.kind()))
        }
        sqlx::Error::Tls(tls) => SourceError::transient(format!("TLS with {target} failed: {tls}")),
        sqlx::Error::Database(db) => server_error(&*db),
        sqlx::Error::Configuration(c) => {
            SourceError::Failed(format!("invalid connection settings: {c}"))
        }
        // What sqlx says when the server closes the connection before answering PostgreSQL's
        // first message (it reads the missing byte as 0): a server going away, not a protocol
        // it does not speak.
        sqlx::Error::Protocol(p) if p.contains("SSLRequest: 0x00") => {
            SourceError::transient(format!("connection closed by the server: {target}"))
        }
        other => SourceError::Failed(format!("cannot connect to {target}: {other}")),
    }
}

/// A failure while a statement runs: the server's message (`relation "nope" does not
/// exist`), or what happened to the connection (transient: the session was lost).
#[must_use]
pub fn query_error(e: sqlx::Error) -> SourceError {
    match e {
        sqlx::Error::Database(db) => server_error(&*db),
        sqlx::Error::Io(io) => SourceError::transient(match io.kind() {
            // sqlx's own words here are about frame bytes ("expected to read 5 bytes, got 0
            // bytes at EOF"): say what happened instead.
            ErrorKind::UnexpectedEof | ErrorKind::ConnectionReset | ErrorKind::BrokenPipe => {
                "connection lost: closed by the server".to_owned()
            }
            _ => format!("connection lost: {io}"),
        }),
        sqlx::Error::Tls(tls) => SourceError::transient(format!("connection lost: TLS: {tls}")),
        other => SourceError::Failed(other.to_string()),
    }
}

/// An error the server sent, in its own words; transient when the kind's table says the
/// server is overloaded, starting, stopping or dropped the connection
/// (`postgres::is_transient_sqlstate`, `mysql::is_transient_error_number`).
#[must_use]
pub fn server_error(db: &dyn DatabaseError) -> SourceError {
    let transient = if let Some(pg) = db.try_downcast_ref::<PgDatabaseError>() {
        postgres::is_transient_sqlstate(pg.code())
    } else if let Some(my) = db.try_downcast_ref::<MySqlDatabaseError>() {
        mysql::is_transient_error_number(my.number())
    } else {
        false
    };
    classified(db.message().to_owned(), transient)
}

fn classified(message: String, transient: bool) -> SourceError {
    if transient {
        SourceError::transient(message)
    } else {
        SourceError::Failed(message)
    }
}

/// An error the server sent ends the statement there ([`Failure::Server`]: the session is
/// kept); anything else may leave it running ([`Failure::Client`]: cancelled and discarded).
impl From<sqlx::Error> for Failure {
    fn from(e: sqlx::Error) -> Self {
        if matches!(e, sqlx::Error::Database(_)) {
            Self::Server(query_error(e))
        } else {
            Self::Client(query_error(e))
        }
    }
}

/// Whether a connect error came from resolving the host name (getaddrinfo's messages).
pub(crate) fn is_lookup_failure(io: &std::io::Error) -> bool {
    let text = io.to_string();
    [
        "lookup",
        "Name or service not known",
        "nodename nor servname",
    ]
    .iter()
    .any(|m| text.contains(m))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn io_errors_name_the_target_and_sort_into_transient_and_final() {
        let target = Target {
            host: "127.0.0.1".into(),
            port: 5999,
        };
        let io = |kind| sqlx::Error::Io(std::io::Error::from(kind));
        let lookup = |text: &str| sqlx::Error::Io(std::io::Error::other(text.to_owned()));
        let connect = [
            (
                io(ErrorKind::ConnectionRefused),
                true,
                "connection refused: 127.0.0.1:5999",
            ),
            (
                io(ErrorKind::TimedOut),
                true,
                "connection timed out: 127.0.0.1:5999",
            ),
            (
                io(ErrorKind::ConnectionReset),
                true,
                "connection closed by the server: 127.0.0.1:5999",
            ),
            (
                lookup("failed to lookup address information: Name or service not known"),
                false,
                "cannot resolve host \"127.0.0.1\"",
            ),
            (
                lookup(
                    "failed to lookup address information: Temporary failure in name resolution",
                ),
                true,
                "cannot resolve host \"127.0.0.1\"",
            ),
            (
                sqlx::Error::Tls("handshake eof".into()),
                true,
                "TLS with 127.0.0.1:5999 failed: handshake eof",
            ),
            (
                sqlx::Error::Configuration("bad sslmode".into()),
                false,
                "invalid connection settings: bad sslmode",
            ),
        ];
        for (e, transient, text) in connect {
            let got = connect_error(e, &target);
            assert_eq!(
                (got.is_transient(), got.to_string().as_str()),
                (transient, text)
            );
        }
        let lost = query_error(io(ErrorKind::UnexpectedEof));
        assert_eq!(lost.to_string(), "connection lost: closed by the server");
        assert!(lost.is_transient());
        let protocol = query_error(sqlx::Error::Protocol("unexpected message".into()));
        assert!(!protocol.is_transient());
    }
}
