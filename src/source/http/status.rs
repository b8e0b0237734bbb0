//! What a response that is not a success means: a transient failure for the statuses that
//! say "not now" (keeping the server's `Retry-After`), a final one for the others.

use std::fmt::Write as _;
use std::time::{Duration, SystemTime};

use reqwest::StatusCode;
use reqwest::header::{HeaderMap, RETRY_AFTER};

use super::snippet;
use crate::source::SourceError;

/// Statuses that say the server (or a proxy before it) cannot answer now but may later:
/// 429 Too Many Requests, 502 Bad Gateway, 503 Service Unavailable, 504 Gateway Timeout.
fn is_transient_status(status: StatusCode) -> bool {
    matches!(status.as_u16(), 429 | 502 | 503 | 504)
}

/// `HTTP 503 Service Unavailable: <start of the body>`, transient for the statuses of
/// [`is_transient_status`] (keeping the server's `Retry-After`), final for the others.
pub(super) fn status_error(
    status: StatusCode,
    body_head: &[u8],
    retry_after: Option<Duration>,
) -> SourceError {
    let text = snippet(body_head);
    let mut message = format!("HTTP {status}");
    if !text.is_empty() {
        let _ = write!(message, ": {text}");
    }
    if is_transient_status(status) {
        SourceError::Transient {
            message,
            retry_after,
        }
    } else {
        SourceError::Failed(message)
    }
}

/// The wait a `Retry-After` header asks for: delay-seconds (`120`) or an HTTP date
/// (`Wed, 21 Oct 2015 07:28:00 GMT`, measured from `now`; a date already past is no wait).
/// `None` when absent or unreadable.
pub(super) fn retry_after(headers: &HeaderMap, now: SystemTime) -> Option<Duration> {
    let value = headers.get(RETRY_AFTER)?.to_str().ok()?.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let at = SystemTime::from(chrono::DateTime::parse_from_rfc2822(value).ok()?);
    Some(at.duration_since(now).unwrap_or(Duration::ZERO))
}

#[cfg(test)]
mod tests {
    use reqwest::header::HeaderValue;

    use super::*;

    #[test]
    fn statuses_sort_into_transient_and_final_keeping_retry_after() {
        let cases = [
            (429, true),
            (502, true),
            (503, true),
            (504, true),
            (500, false),
            (400, false),
            (401, false),
            (403, false),
            (404, false),
        ];
        let after = Some(Duration::from_secs(3));
        for (code, transient) in cases {
            let status = StatusCode::from_u16(code).unwrap();
            let e = status_error(status, b"  busy\n", after);
            assert_eq!(e.is_transient(), transient, "{code}");
            assert_eq!(e.retry_after(), after.filter(|_| transient), "{code}");
            assert_eq!(e.to_string(), format!("HTTP {status}: busy"));
        }
    }

    #[test]
    fn retry_after_reads_seconds_and_dates() {
        let now =
            SystemTime::from(chrono::DateTime::parse_from_rfc3339("2015-10-21T07:28:00Z").unwrap());
        let header = |v: &str| {
            let mut h = HeaderMap::new();
            h.insert(RETRY_AFTER, HeaderValue::from_str(v).unwrap());
            retry_after(&h, now)
        };
        assert_eq!(header("90"), Some(Duration::from_secs(90)));
        assert_eq!(
            header("Wed, 21 Oct 2015 07:28:30 GMT"),
            Some(Duration::from_secs(30))
        );
        assert_eq!(
            header("Wed, 21 Oct 2015 07:00:00 GMT"),
            Some(Duration::ZERO)
        );
        assert_eq!(header("soon"), None);
        assert_eq!(retry_after(&HeaderMap::new(), now), None);
    }
}
