//! The shape of `sources.toml` exactly as written, before validation.
//!
//! Every value that a later check may reject is kept [`Spanned`] so the error can name its
//! line. `deny_unknown_fields` everywhere: a typo in a key is an error, not a silent default.

use std::collections::BTreeMap;

use serde::Deserialize;
use toml::Spanned;

/// The whole file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawFile {
    pub query: Option<Spanned<String>>,
    pub allow_writes: Option<bool>,
    pub gather: Option<RawGather>,
    pub merge: Option<RawMerge>,
    #[serde(default)]
    pub source: Vec<Spanned<RawSource>>,
}

/// `[gather]`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawGather {
    pub timeout: Option<Spanned<String>>,
    pub deadline: Option<Spanned<String>>,
    pub concurrency: Option<Spanned<i64>>,
    pub mode: Option<Spanned<String>>,
    pub watch: Option<Spanned<String>>,
    pub max_rows: Option<Spanned<i64>>,
    pub max_rows_per_source: Option<Spanned<i64>>,
}

/// `[merge]`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawMerge {
    pub sort: Option<Spanned<Vec<String>>>,
    pub dedupe: Option<Spanned<Vec<String>>>,
    pub limit: Option<Spanned<i64>>,
}

/// One `[[source]]` table. Keys of every kind live here; which ones a kind accepts is checked
/// in `kinds.rs`, so a key meant for another kind is reported by name.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawSource {
    pub name: Spanned<String>,
    pub kind: Spanned<String>,
    pub timeout: Option<Spanned<String>>,
    pub query: Option<Spanned<String>>,
    #[serde(default)]
    pub tags: Vec<String>,
    pub enabled: Option<bool>,
    pub url: Option<Spanned<String>>,
    pub path: Option<Spanned<String>>,
    pub method: Option<Spanned<String>>,
    pub headers: Option<Spanned<BTreeMap<String, Spanned<String>>>>,
    pub body: Option<Spanned<String>>,
    pub rows: Option<Spanned<toml::Value>>,
    pub argv: Option<Spanned<Vec<String>>>,
    pub format: Option<Spanned<String>>,
    pub latency: Option<Spanned<String>>,
    pub error: Option<Spanned<String>>,
    pub fail: Option<Spanned<f64>>,
    pub hang: Option<Spanned<bool>>,
    pub seed: Option<Spanned<i64>>,
    pub pool: Option<Spanned<i64>>,
}

impl RawSource {
    /// The kind-specific keys present in this table, with the byte offset of each value.
    pub fn specific_keys(&self) -> Vec<(&'static str, usize)> {
        fn at<T>(key: &'static str, v: Option<&Spanned<T>>) -> Option<(&'static str, usize)> {
            v.map(|s| (key, s.span().start))
        }
        [
            at("url", self.url.as_ref()),
            at("path", self.path.as_ref()),
            at("method", self.method.as_ref()),
            at("headers", self.headers.as_ref()),
            at("body", self.body.as_ref()),
            at("rows", self.rows.as_ref()),
            at("argv", self.argv.as_ref()),
            at("format", self.format.as_ref()),
            at("latency", self.latency.as_ref()),
            at("error", self.error.as_ref()),
            at("fail", self.fail.as_ref()),
            at("hang", self.hang.as_ref()),
            at("seed", self.seed.as_ref()),
            at("pool", self.pool.as_ref()),
        ]
        .into_iter()
        .flatten()
        .collect()
    }
}
