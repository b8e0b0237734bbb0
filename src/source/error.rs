//! Why a source failed ([`SourceError`]), and whether trying again could help.
//!
//! Every kind sorts its failures in two classes where it builds the error:
//!
//! - **transient**: the server could not be reached or the connection was lost (refused,
//!   reset, closed, a TLS handshake that failed), or the server said it is overloaded,
//!   starting, stopping or busy (PostgreSQL `57P01`, `53300`, `08xxx`; MySQL 1040, 2006, 2013;
//!   HTTP 429, 502, 503, 504; Redis `LOADING`, `BUSY`). The same request may pass later, or
//!   on another replica.
//! - **final**: anything else: a syntax error, a missing table, a permission, a query the
//!   guard refused, a row cap, a file that is not there, data that does not parse. Sending
//!   the same request again gives the same answer.
//!
//! The retry machinery asks [`SourceError::is_transient`] and [`SourceError::retry_after`]
//! and nothing else; the dashboard and the outputs show the `Display` text.

use std::io::ErrorKind;
use std::time::Duration;

/// Why a source failed. Its `Display` is the message shown in the source's row.
#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    /// A final failure, already phrased for the user.
    #[error("{0}")]
    Failed(String),
    /// A failure that may pass if the same request is sent again (see the module docs).
    #[error("{message}")]
    Transient {
        /// What happened, phrased for the user.
        message: String,
        /// How long the server asked to be left alone (HTTP `Retry-After`); `None` when it
        /// did not say.
        retry_after: Option<Duration>,
    },
    /// Reading a file or a pipe failed; transient when the OS error is about a lost
    /// connection (see [`is_transient_io`]).
    #[error("{context}: {source}")]
    Io {
        /// What was being read.
        context: String,
        /// The OS error.
        source: std::io::Error,
    },
    /// The data could not be parsed.
    #[error("{0}")]
    Parse(String),
    /// This source produced more rows than `[gather] max_rows_per_source`.
    #[error("row cap: more than {cap} rows from this source (raise [gather] max_rows_per_source)")]
    SourceCap {
        /// The cap.
        cap: usize,
    },
    /// All sources together produced more rows than `[gather] max_rows`.
    #[error("row cap: more than {cap} rows in total (raise [gather] max_rows)")]
    TotalCap {
        /// The cap.
        cap: usize,
    },
    /// The read-only guard refused the query.
    #[error("refused: {0}")]
    Refused(String),
}

impl SourceError {
    /// A transient failure with no `Retry-After`.
    #[must_use]
    pub fn transient(message: impl Into<String>) -> Self {
        Self::Transient {
            message: message.into(),
            retry_after: None,
        }
    }

    /// Whether the same request may pass if sent again: a connection that could not be made
    /// or was lost, or a server that said it is overloaded or not ready. Retries and hedges
    /// react to these only.
    #[must_use]
    pub fn is_transient(&self) -> bool {
        match self {
            Self::Transient { .. } => true,
            Self::Io { source, .. } => is_transient_io(source.kind()),
            Self::Failed(_)
            | Self::Parse(_)
            | Self::SourceCap { .. }
            | Self::TotalCap { .. }
            | Self::Refused(_) => false,
        }
    }

    /// How long the server asked the client to wait before it tries again (HTTP
    /// `Retry-After`); `None` when it did not say, and always for final failures. A retry
    /// waits at least this long, or gives up if that is past the source's timeout.
    #[must_use]
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            Self::Transient { retry_after, .. } => *retry_after,
            _ => None,
        }
    }
}

/// Two errors are equal when they read the same and classify the same: outcomes are compared
/// in tests and by the dashboard, and an OS error has no equality of its own.
impl PartialEq for SourceError {
    fn eq(&self, other: &Self) -> bool {
        self.is_transient() == other.is_transient()
            && self.retry_after() == other.retry_after()
            && self.to_string() == other.to_string()
    }
}

impl From<arrow_schema::ArrowError> for SourceError {
    fn from(e: arrow_schema::ArrowError) -> Self {
        Self::Parse(e.to_string())
    }
}

/// Whether an OS error means the connection could not be made or was lost, as opposed to a
/// missing file, a permission, or bad input: what a second attempt may get past.
#[must_use]
pub(crate) fn is_transient_io(kind: ErrorKind) -> bool {
    matches!(
        kind,
        ErrorKind::ConnectionRefused
            | ErrorKind::ConnectionReset
            | ErrorKind::ConnectionAborted
            | ErrorKind::NotConnected
            | ErrorKind::BrokenPipe
            | ErrorKind::UnexpectedEof
            | ErrorKind::TimedOut
            | ErrorKind::HostUnreachable
            | ErrorKind::NetworkUnreachable
            | ErrorKind::NetworkDown
            | ErrorKind::AddrNotAvailable
            | ErrorKind::Interrupted
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_variant_classifies_and_renders_as_before() {
        let io = |kind| SourceError::Io {
            context: "reading".into(),
            source: std::io::Error::from(kind),
        };
        let throttled = SourceError::Transient {
            message: "HTTP 429 Too Many Requests".into(),
            retry_after: Some(Duration::from_secs(2)),
        };
        let cases: [(SourceError, bool, Option<Duration>); 9] = [
            (SourceError::Failed("syntax error".into()), false, None),
            (SourceError::transient("connection refused"), true, None),
            (throttled, true, Some(Duration::from_secs(2))),
            (io(ErrorKind::ConnectionReset), true, None),
            (io(ErrorKind::NotFound), false, None),
            (SourceError::Parse("CSV: bad".into()), false, None),
            (SourceError::SourceCap { cap: 1 }, false, None),
            (SourceError::TotalCap { cap: 1 }, false, None),
            (SourceError::Refused("DELETE".into()), false, None),
        ];
        for (e, transient, after) in cases {
            assert_eq!(e.is_transient(), transient, "{e}");
            assert_eq!(e.retry_after(), after, "{e}");
        }
        assert_eq!(
            SourceError::transient("connection refused: 127.0.0.1:1").to_string(),
            "connection refused: 127.0.0.1:1"
        );
    }

    #[test]
    fn equal_means_same_text_and_same_class() {
        assert_eq!(
            SourceError::Failed("x".into()),
            SourceError::Parse("x".into())
        );
        assert_ne!(SourceError::Failed("x".into()), SourceError::transient("x"));
    }
}
