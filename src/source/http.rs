//! `http`: a JSON API asked with GET or POST; the rows are the array of objects at a JSON
//! pointer in the response.
//!
//! `{query}` in the URL is replaced by the query percent-encoded (every byte except letters,
//! digits and `-_.~`), so it is safe in a path segment as well as in a query string. In the
//! body it is encoded for the body's content type (see [`BodyEncoding`]).
//!
//! Cancelling: the engine drops the run's future, which drops the response and closes its
//! connection (a connection in the middle of a response is never returned to the pool).

mod encode;
mod status;

use std::fmt::Write as _;
use std::time::SystemTime;

use futures_util::FutureExt;
use futures_util::future::BoxFuture;
use reqwest::header::{CONTENT_TYPE, HeaderMap, HeaderName, HeaderValue};
use tokio::sync::mpsc;

use super::data::{json_rows, rows_of};
use super::{MAX_OUTPUT_BYTES, Request, RowSink, Source, SourceError, redact};
use crate::config::HttpMethod;
pub use encode::{BodyEncoding, encode_url_query};
use status::{retry_after, status_error};

/// Characters of a body shown in an error: enough to recognise an error page or the place
/// where JSON broke, short enough for one line of the dashboard.
const SNIPPET_CHARS: usize = 200;

/// Bytes of a non-2xx response read for its snippet; the rest is not downloaded.
const ERROR_BODY_BYTES: usize = 64 * 1024;

/// An HTTP JSON source. One client (and its connection pool) per source, kept between runs.
pub struct HttpSource {
    url: String,
    method: HttpMethod,
    headers: HeaderMap,
    body: Option<(String, BodyEncoding)>,
    rows: String,
    client: reqwest::Client,
    body_cap: usize,
}

/// Shows what `describe` shows: the URL with its password masked, header names only, and
/// no body (any of them may hold a secret).
impl std::fmt::Debug for HttpSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpSource")
            .field("describe", &self.describe())
            .finish_non_exhaustive()
    }
}

impl HttpSource {
    /// A source for `url` (with an optional `{query}`), sending `headers` and, for POST,
    /// `body`; rows are read at the JSON pointer `rows`.
    pub fn new(
        url: &str,
        method: HttpMethod,
        headers: &[(String, String)],
        body: Option<&str>,
        rows: &str,
    ) -> Result<Self, SourceError> {
        let mut map = HeaderMap::new();
        for (name, value) in headers {
            let n = HeaderName::try_from(name.as_str())
                .map_err(|_| SourceError::Failed(format!("header name \"{name}\" is not valid")))?;
            // The value may hold a token: never quote it.
            let mut v = HeaderValue::try_from(value.as_str()).map_err(|_| {
                SourceError::Failed(format!("header \"{name}\": the value is not valid"))
            })?;
            v.set_sensitive(true);
            map.append(n, v);
        }
        let body = body.map(|b| {
            let ct = map.get(CONTENT_TYPE).and_then(|v| v.to_str().ok());
            let encoding = BodyEncoding::detect(ct, b);
            (b.to_owned(), encoding)
        });
        if matches!(body, Some((_, BodyEncoding::Json))) && !map.contains_key(CONTENT_TYPE) {
            map.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        }
        let client = reqwest::Client::builder()
            .user_agent(concat!("scatter/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| SourceError::Failed(format!("cannot set up HTTP: {}", chain(&e))))?;
        Ok(Self {
            url: url.to_owned(),
            method,
            headers: map,
            body,
            rows: rows.to_owned(),
            client,
            body_cap: MAX_OUTPUT_BYTES,
        })
    }

    /// Sets the largest response body read (default [`MAX_OUTPUT_BYTES`]); a larger one is
    /// an error and is not downloaded further.
    #[must_use]
    pub fn with_body_cap(mut self, bytes: usize) -> Self {
        self.body_cap = bytes;
        self
    }

    async fn run_inner(&self, request: &Request, sink: &mut RowSink) -> Result<(), SourceError> {
        let url = self
            .url
            .replace("{query}", &encode_url_query(&request.query));
        let shown = redact::url(&url);
        let parsed = reqwest::Url::parse(&url)
            .map_err(|e| SourceError::Failed(format!("invalid URL {shown}: {e}")))?;
        let mut builder = match self.method {
            HttpMethod::Get => self.client.get(parsed),
            HttpMethod::Post => self.client.post(parsed),
        }
        .headers(self.headers.clone());
        if let Some((body, encoding)) = &self.body {
            builder = builder.body(body.replace("{query}", &encoding.encode(&request.query)));
        }
        let mut response = builder.send().await.map_err(|e| {
            // Not reached, timed out, or the connection broke while the request was sent:
            // another attempt may pass. A request that could not be built will not.
            let transient = e.is_connect() || e.is_timeout() || e.is_request();
            let why = if e.is_connect() {
                format!("cannot connect: {}", innermost(&e))
            } else if e.is_request() && !e.is_timeout() {
                // The layers between ("error sending request: client error (SendRequest)")
                // say nothing the deepest cause does not.
                innermost(&e)
            } else {
                chain(&e.without_url())
            };
            let message = format!("{} {shown}: {why}", self.method_name());
            if transient {
                SourceError::transient(message)
            } else {
                SourceError::Failed(message)
            }
        })?;
        let status = response.status();
        if !status.is_success() {
            let after = retry_after(response.headers(), SystemTime::now());
            let (head, _) = read_capped(&mut response, ERROR_BODY_BYTES).await?;
            return Err(status_error(status, &head, after));
        }
        if let Some(len) = response.content_length()
            && len > self.body_cap as u64
        {
            return Err(too_large(self.body_cap));
        }
        let (body, complete) = read_capped(&mut response, self.body_cap).await?;
        if !complete {
            return Err(too_large(self.body_cap));
        }
        push_json_rows(body, self.rows.clone(), sink).await
    }

    fn method_name(&self) -> &'static str {
        match self.method {
            HttpMethod::Get => "GET",
            HttpMethod::Post => "POST",
        }
    }
}

fn too_large(cap: usize) -> SourceError {
    SourceError::Failed(format!(
        "response body larger than {}; stopped reading",
        bytes_text(cap)
    ))
}

/// `bytes` as `256 MiB`, `64 KiB` or `12 bytes`.
pub(super) fn bytes_text(bytes: usize) -> String {
    const MIB: usize = 1024 * 1024;
    if bytes >= MIB && bytes.is_multiple_of(MIB) {
        format!("{} MiB", bytes / MIB)
    } else if bytes >= 1024 && bytes.is_multiple_of(1024) {
        format!("{} KiB", bytes / 1024)
    } else {
        format!("{bytes} bytes")
    }
}

/// Reads the body up to `cap` bytes. Returns what was read and whether the body ended within
/// the cap; reading stops at the first chunk past it.
async fn read_capped(
    response: &mut reqwest::Response,
    cap: usize,
) -> Result<(Vec<u8>, bool), SourceError> {
    let mut out = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(|e| {
        // The deepest cause says what happened ("end of file before message length
        // reached"); the layers above it only repeat that a body was being read. The
        // connection broke midway: transient.
        SourceError::transient(format!("reading the response: {}", innermost(&e)))
    })? {
        if out.len() + chunk.len() > cap {
            let room = cap - out.len();
            out.extend_from_slice(&chunk[..room]);
            return Ok((out, false));
        }
        out.extend_from_slice(&chunk);
    }
    Ok((out, true))
}

/// An error and its causes, `outer: inner: innermost`, skipping causes whose text the outer
/// message already contains.
pub(super) fn chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut cause = e.source();
    while let Some(c) = cause {
        let s = c.to_string();
        if !text.contains(&s) {
            text.push_str(": ");
            text.push_str(&s);
        }
        cause = c.source();
    }
    text
}

/// The deepest cause of `e` (`Connection refused (os error 111)`), where the OS or resolver
/// says what went wrong.
fn innermost(e: &dyn std::error::Error) -> String {
    let mut last = e;
    while let Some(c) = last.source() {
        last = c;
    }
    last.to_string()
}

/// The start of `bytes` as one line of at most [`SNIPPET_CHARS`] characters.
#[must_use]
pub fn snippet(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(&bytes[..bytes.len().min(SNIPPET_CHARS * 4)]);
    let mut out = String::new();
    for (i, word) in text.split_whitespace().enumerate() {
        if i > 0 {
            out.push(' ');
        }
        out.push_str(word);
    }
    if out.chars().count() > SNIPPET_CHARS {
        out = out.chars().take(SNIPPET_CHARS).collect::<String>() + "…";
    }
    out
}

/// Parses `body` as JSON on a blocking thread and pushes the objects at `pointer` into `sink`
/// as batches, typed as every JSON source types them ([`json_rows`]).
pub async fn push_json_rows(
    body: Vec<u8>,
    pointer: String,
    sink: &mut RowSink,
) -> Result<(), SourceError> {
    // Parser thread -> this future; a few batches ahead at most. Dropping the receiver (cancel,
    // row cap) makes the parser's next send fail, which stops it.
    let (batch_tx, mut batch_rx) = mpsc::channel(4);
    let parser = tokio::task::spawn_blocking(move || {
        let doc: serde_json::Value = serde_json::from_slice(&body)
            .map_err(|e| SourceError::Parse(format!("malformed JSON ({e}): {}", snippet(&body))))?;
        let rows = rows_of(&doc, &pointer)?;
        json_rows(rows, &mut |batch| batch_tx.blocking_send(batch).is_ok())
            .map_err(|e| SourceError::Parse(format!("JSON: {e}")))
    });
    while let Some(batch) = batch_rx.recv().await {
        sink.push(batch)?;
    }
    parser
        .await
        .map_err(|e| SourceError::Failed(format!("JSON parser failed: {e}")))?
}

impl Source for HttpSource {
    fn run<'a>(
        &'a self,
        request: &'a Request,
        sink: &'a mut RowSink,
    ) -> BoxFuture<'a, Result<(), SourceError>> {
        self.run_inner(request, sink).boxed()
    }

    fn describe(&self) -> String {
        let mut text = format!("http {} {}", self.method_name(), redact::url(&self.url));
        if !self.headers.is_empty() {
            let names: Vec<&str> = self.headers.keys().map(HeaderName::as_str).collect();
            let _ = write!(text, " (headers: {})", names.join(", "));
        }
        if !self.rows.is_empty() {
            let _ = write!(text, ", rows at {}", self.rows);
        }
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snippets_are_one_short_line() {
        assert_eq!(
            snippet(b"<html>\n  <b>oops</b>\n</html>"),
            "<html> <b>oops</b> </html>"
        );
        let long = "x".repeat(1000);
        assert_eq!(snippet(long.as_bytes()).chars().count(), SNIPPET_CHARS + 1);
        assert_eq!(bytes_text(256 * 1024 * 1024), "256 MiB");
        assert_eq!(bytes_text(64 * 1024), "64 KiB");
        assert_eq!(bytes_text(1000), "1000 bytes");
    }

    #[test]
    fn describe_hides_passwords_and_header_values() {
        let s = HttpSource::new(
            "https://u:secret@api.example.com/s?q={query}",
            HttpMethod::Post,
            &[("Authorization".into(), "Bearer tok123".into())],
            Some("{\"q\":\"{query}\"}"),
            "/items",
        )
        .unwrap();
        let d = s.describe();
        assert!(!d.contains("secret") && !d.contains("tok123"), "{d}");
        let debug = format!("{s:?}");
        assert!(
            !debug.contains("secret") && !debug.contains("tok123"),
            "{debug}"
        );
        assert!(d.contains("authorization"), "{d}");
        assert!(d.contains("content-type"), "{d}");
    }
}
