//! Redis errors in the user's terms, and what they mean for the connection and for a retry.

use super::Redis;
use crate::source::SourceError;
use crate::source::server::Failure;

impl Redis {
    /// A failed command: an error reply leaves the connection in step for the next run
    /// ([`Failure::Server`]); a lost connection or an unreadable reply does not.
    pub(super) fn failure(&self, e: &redis::RedisError) -> Failure {
        if e.code().is_some() {
            Failure::Server(self.error(e))
        } else {
            Failure::Client(self.error(e))
        }
    }

    /// `e` in the user's terms: a connection problem names the server, a server error is
    /// quoted as the server phrased it; transient or final as [`is_transient`] says.
    pub(super) fn error(&self, e: &redis::RedisError) -> SourceError {
        let message = if e.is_io_error() || e.is_connection_refusal() || e.is_timeout() {
            format!("{}: {}", self.shown, clean(e))
        } else {
            clean(e)
        };
        if is_transient(e) {
            SourceError::transient(message)
        } else {
            SourceError::Failed(message)
        }
    }
}

/// Whether the request may pass if sent again: the connection could not be made or was lost,
/// or the server said it is not ready (`LOADING` a dump, `BUSY` running a script, `TRYAGAIN`,
/// `MASTERDOWN`, `CLUSTERDOWN`). `WRONGTYPE`, `NOPERM`, authentication and replies that do
/// not parse are final.
fn is_transient(e: &redis::RedisError) -> bool {
    use redis::{ErrorKind, ServerErrorKind};
    e.is_io_error()
        || e.is_connection_refusal()
        || e.is_connection_dropped()
        || e.is_timeout()
        || matches!(
            e.kind(),
            ErrorKind::Server(
                ServerErrorKind::BusyLoading
                    | ServerErrorKind::TryAgain
                    | ServerErrorKind::MasterDown
                    | ServerErrorKind::ClusterDown
            )
        )
        || e.code() == Some("BUSY")
}

/// The error's text; a server error as the server phrased it (`WRONGTYPE Operation ...`).
pub(super) fn clean(e: &redis::RedisError) -> String {
    match (e.code(), e.detail()) {
        (Some(code), Some(detail)) => format!("{code} {detail}"),
        _ => e.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use redis::Value;

    use super::*;
    use crate::source::RedisSource;

    #[test]
    fn errors_sort_into_transient_and_final() {
        let server = |line: &str| -> redis::RedisError {
            match redis::parse_redis_value(line.as_bytes()) {
                Ok(Value::ServerError(e)) => e.into(),
                other => panic!("{line}: {other:?}"),
            }
        };
        let io = |kind| redis::RedisError::from(std::io::Error::from(kind));
        let cases = [
            (
                server("-LOADING Redis is loading the dataset in memory\r\n"),
                true,
            ),
            (server("-BUSY Redis is busy running a script\r\n"), true),
            (
                server("-TRYAGAIN Multiple keys request during rehashing\r\n"),
                true,
            ),
            (io(std::io::ErrorKind::ConnectionRefused), true),
            (io(std::io::ErrorKind::ConnectionReset), true),
            (
                server("-WRONGTYPE Operation against a key holding the wrong kind\r\n"),
                false,
            ),
            (server("-NOPERM this user has no permissions\r\n"), false),
            (server("-ERR unknown command 'FOO'\r\n"), false),
        ];
        for (e, transient) in cases {
            assert_eq!(is_transient(&e), transient, "{e}");
        }
        let s = RedisSource::new("redis://127.0.0.1:1", "x").unwrap();
        let refused = s.driver().error(&io(std::io::ErrorKind::ConnectionRefused));
        assert!(refused.is_transient());
        assert_eq!(
            refused.to_string(),
            "redis://127.0.0.1:1: connection refused"
        );
        assert_eq!(
            s.driver()
                .error(&server("-LOADING Redis is loading\r\n"))
                .to_string(),
            "LOADING Redis is loading"
        );
    }
}
