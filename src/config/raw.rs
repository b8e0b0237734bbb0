//! The shape of `sources.toml` exactly as written, before validation.
//!
//! Every value that a later check may reject is kept [`Spanned`] so the error can name its
//! line. `deny_unknown_fields` everywhere: a typo in a key is an error, not a silent default.
//! The `[[source]]` blocks are read one by one after fleet expansion (see `fleet.rs`).

use std::collections::BTreeMap;
use std::sync::OnceLock;

use serde::Deserialize;
use serde::de::{self, Visitor};
use toml::Spanned;

/// The whole file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawFile {
    pub query: Option<Spanned<String>>,
    pub allow_writes: Option<bool>,
    pub gather: Option<RawGather>,
    pub merge: Option<RawMerge>,
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
    pub retries: Option<Spanned<i64>>,
    pub backoff: Option<Spanned<String>>,
    pub hedge_after: Option<Spanned<String>>,
    pub hedge_min: Option<Spanned<String>>,
    pub max_extra_load: Option<Spanned<f64>>,
}

/// `[merge]`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawMerge {
    pub sort: Option<Spanned<Vec<String>>>,
    pub dedupe: Option<Spanned<Vec<String>>>,
    pub limit: Option<Spanned<i64>>,
    pub sql: Option<Spanned<String>>,
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
    pub nulls: Option<Spanned<Vec<String>>>,
    pub latency: Option<Spanned<String>>,
    pub error: Option<Spanned<String>>,
    pub fail: Option<Spanned<f64>>,
    pub hang: Option<Spanned<bool>>,
    pub panic: Option<Spanned<String>>,
    pub seed: Option<Spanned<i64>>,
    pub pool: Option<Spanned<i64>>,
    pub tail: Option<Spanned<f64>>,
    pub tail_latency: Option<Spanned<String>>,
    pub replicas: Option<Spanned<toml::Value>>,
    pub retries: Option<Spanned<i64>>,
    pub backoff: Option<Spanned<String>>,
    pub hedge_after: Option<Spanned<String>>,
    pub hedge_min: Option<Spanned<String>>,
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
            at("nulls", self.nulls.as_ref()),
            at("latency", self.latency.as_ref()),
            at("error", self.error.as_ref()),
            at("fail", self.fail.as_ref()),
            at("hang", self.hang.as_ref()),
            at("panic", self.panic.as_ref()),
            at("seed", self.seed.as_ref()),
            at("pool", self.pool.as_ref()),
            at("tail", self.tail.as_ref()),
            at("tail_latency", self.tail_latency.as_ref()),
            at("replicas", self.replicas.as_ref()),
        ]
        .into_iter()
        .flatten()
        .collect()
    }
}

/// The keys a `[[source]]` table takes, read from [`RawSource`]'s derived `Deserialize`, so a
/// key added to the struct is known here (an inventory line may override it) with no list to
/// keep in step.
pub fn source_keys() -> &'static [&'static str] {
    static KEYS: OnceLock<&'static [&'static str]> = OnceLock::new();
    KEYS.get_or_init(|| {
        let mut keys: &'static [&'static str] = &[];
        let _ = RawSource::deserialize(FieldProbe(&mut keys));
        keys
    })
}

/// A deserializer that only records the field names a struct asks for, then stops.
struct FieldProbe<'a>(&'a mut &'static [&'static str]);

impl<'de> de::Deserializer<'de> for FieldProbe<'_> {
    type Error = de::value::Error;

    fn deserialize_any<V: Visitor<'de>>(self, _: V) -> Result<V::Value, Self::Error> {
        Err(de::Error::custom("not a struct"))
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _: &'static str,
        fields: &'static [&'static str],
        _: V,
    ) -> Result<V::Value, Self::Error> {
        *self.0 = fields;
        Err(de::Error::custom("probed"))
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf
        option unit unit_struct newtype_struct seq tuple tuple_struct map enum identifier
        ignored_any
    }
}
