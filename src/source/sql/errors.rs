//! Short, specific messages for what goes wrong talking to a database server, phrased from
//! sqlx errors without the connection URL, so a password can never reach them.

use std::io::ErrorKind;

use crate::source::SourceError;

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
/// server's own words for authentication and unknown databases.
#[must_use]
pub fn connect_error(e: sqlx::Error, target: &Target) -> SourceError {
    SourceError::Failed(match e {
        sqlx::Error::Io(io) => match io.kind() {
            ErrorKind::ConnectionRefused => format!("connection refused: {target}"),
            ErrorKind::TimedOut => format!("connection timed out: {target}"),
            ErrorKind::ConnectionReset | ErrorKind::UnexpectedEof => {
                format!("connection closed by the server: {target}")
            }
            _ if is_lookup_failure(&io) => format!("cannot resolve host \"{}\"", target.host),
            _ => format!("cannot connect to {target}: {io}"),
        },
        sqlx::Error::Tls(tls) => format!("TLS with {target} failed: {tls}"),
        sqlx::Error::Database(db) => db.message().to_owned(),
        sqlx::Error::Configuration(c) => format!("invalid connection settings: {c}"),
        other => format!("cannot connect to {target}: {other}"),
    })
}

/// A failure while a statement runs: the server's message (`relation "nope" does not
/// exist`), or what happened to the connection.
#[must_use]
pub fn query_error(e: sqlx::Error) -> SourceError {
    SourceError::Failed(match e {
        sqlx::Error::Database(db) => db.message().to_owned(),
        sqlx::Error::Io(io) => match io.kind() {
            // sqlx's own words here are about frame bytes ("expected to read 5 bytes, got 0
            // bytes at EOF"): say what happened instead.
            ErrorKind::UnexpectedEof | ErrorKind::ConnectionReset | ErrorKind::BrokenPipe => {
                "connection lost: closed by the server".to_owned()
            }
            _ => format!("connection lost: {io}"),
        },
        other => other.to_string(),
    })
}

/// Why reading a result stopped, sorted by what it means for the session.
#[derive(Debug)]
pub enum Failure {
    /// The server answered with an error: the statement is over there, and the session is
    /// fit for the next run.
    Server(SourceError),
    /// The client stopped (a row cap, a lost connection): the statement may still be running
    /// on the server, so it is cancelled there and the session is discarded.
    Client(SourceError),
}

impl From<sqlx::Error> for Failure {
    fn from(e: sqlx::Error) -> Self {
        if matches!(e, sqlx::Error::Database(_)) {
            Self::Server(query_error(e))
        } else {
            Self::Client(query_error(e))
        }
    }
}

impl From<SourceError> for Failure {
    fn from(e: SourceError) -> Self {
        Self::Client(e)
    }
}

/// Whether a connect error came from resolving the host name (getaddrinfo's messages).
fn is_lookup_failure(io: &std::io::Error) -> bool {
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
    fn io_errors_name_the_target_and_nothing_else() {
        let target = Target {
            host: "127.0.0.1".into(),
            port: 5999,
        };
        let io = |kind| sqlx::Error::Io(std::io::Error::from(kind));
        let msg = |e| connect_error(e, &target).to_string();
        assert_eq!(
            msg(io(ErrorKind::ConnectionRefused)),
            "connection refused: 127.0.0.1:5999"
        );
        assert_eq!(
            msg(sqlx::Error::Io(std::io::Error::other(
                "failed to lookup address information: Name or service not known"
            ))),
            "cannot resolve host \"127.0.0.1\""
        );
        assert_eq!(
            query_error(io(ErrorKind::UnexpectedEof)).to_string(),
            "connection lost: closed by the server"
        );
    }
}
