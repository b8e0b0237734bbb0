//! How `{query}` is written into an HTTP request: percent-encoded in the URL, and in the body
//! as the body's content type needs.

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

/// Bytes kept verbatim in a URL: RFC 3986's unreserved characters.
const URL_KEEP: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// How `{query}` is written into the request body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyEncoding {
    /// JSON (`Content-Type` containing `json`, or no `Content-Type` and a body starting with
    /// `{` or `[`): the query is escaped as the inside of a JSON string, so write
    /// `"q": "{query}"`. scatter sets `Content-Type: application/json` when none is given.
    Json,
    /// `application/x-www-form-urlencoded`: the query is form-encoded (`a+b%26c`).
    Form,
    /// Anything else: the query is inserted as is.
    Raw,
}

impl BodyEncoding {
    /// The encoding for a body template under the given `Content-Type` header.
    #[must_use]
    pub fn detect(content_type: Option<&str>, body: &str) -> Self {
        match content_type.map(str::to_ascii_lowercase) {
            Some(ct) if ct.contains("json") => Self::Json,
            Some(ct) if ct.starts_with("application/x-www-form-urlencoded") => Self::Form,
            None if body.trim_start().starts_with(['{', '[']) => Self::Json,
            Some(_) | None => Self::Raw,
        }
    }

    /// `query` encoded for a body of this kind.
    #[must_use]
    pub fn encode(self, query: &str) -> String {
        match self {
            Self::Json => {
                let quoted = serde_json::Value::from(query).to_string();
                quoted[1..quoted.len() - 1].to_owned()
            }
            Self::Form => url::form_urlencoded::byte_serialize(query.as_bytes()).collect(),
            Self::Raw => query.to_owned(),
        }
    }
}

/// `query` percent-encoded for a URL.
#[must_use]
pub fn encode_url_query(query: &str) -> String {
    utf8_percent_encode(query, URL_KEEP).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_is_encoded_for_url_and_each_body_kind() {
        let q = "a b&c=\"d\"/é";
        assert_eq!(encode_url_query(q), "a%20b%26c%3D%22d%22%2F%C3%A9");
        assert_eq!(BodyEncoding::Json.encode(q), "a b&c=\\\"d\\\"/é");
        assert_eq!(BodyEncoding::Form.encode(q), "a+b%26c%3D%22d%22%2F%C3%A9");
        assert_eq!(BodyEncoding::Raw.encode(q), q);
    }

    #[test]
    fn body_encoding_follows_content_type_then_body() {
        let cases = [
            (
                Some("application/json; charset=utf-8"),
                "q={query}",
                BodyEncoding::Json,
            ),
            (
                Some("application/x-www-form-urlencoded"),
                "{}",
                BodyEncoding::Form,
            ),
            (Some("text/plain"), "{\"q\":1}", BodyEncoding::Raw),
            (None, "  {\"q\": \"{query}\"}", BodyEncoding::Json),
            (None, "q={query}", BodyEncoding::Raw),
        ];
        for (ct, body, want) in cases {
            assert_eq!(BodyEncoding::detect(ct, body), want, "{ct:?} {body}");
        }
    }
}
