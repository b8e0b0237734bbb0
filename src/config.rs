//! `sources.toml`: parse, interpolate `${VAR}`, validate, and layer command-line overrides.
//!
//! [`Config::load`] is the only way in; every error it returns names the file and line.

mod attempts;
mod blocks;
mod check;
mod fleet;
mod kind;
mod kinds;
mod raw;
mod types;

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize as _;
use toml::de::DeTable;

pub use attempts::{AttemptPolicy, AttemptSpec, DEFAULT_MAX_EXTRA_LOAD, HedgeAfter};
pub use check::{EnvLookup, ValueError, interpolate, parse_duration};
pub use kind::Kind;
pub use types::{DataFormat, GatherSettings, HttpMethod, KindSpec, Mode, SimSpec, SourceSpec};

use crate::merge::{MergeSpec, SortKey};
use crate::sql::SqlStep;
use check::Ctx;
use raw::{RawFile, RawGather, RawMerge};

/// Per-source row cap when the file sets none: large enough for real work, small enough that
/// one runaway source cannot take the machine's memory (about 100 MB at 10 narrow columns).
pub const DEFAULT_MAX_ROWS_PER_SOURCE: usize = 1_000_000;
/// Total row cap across all sources when the file sets none.
pub const DEFAULT_MAX_ROWS: usize = 5_000_000;

/// A configuration error: what is wrong, and where.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read.
    #[error("cannot read {}: {source}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// No config file was given and none was found in the default places.
    #[error("no config file found (looked for {}); pass one with -c", list(.tried))]
    NotFound {
        /// The places looked at, in order.
        tried: Vec<PathBuf>,
    },
    /// A value in the file is wrong.
    #[error("{}:{line}: {message}", path.display())]
    Invalid {
        /// The file.
        path: PathBuf,
        /// 1-based line of the offending value.
        line: usize,
        /// What is wrong, quoting the key and value.
        message: String,
    },
    /// A command-line value is wrong.
    #[error("{flag}: {message}")]
    Flag {
        /// The option, e.g. `--only`.
        flag: &'static str,
        /// What is wrong.
        message: String,
    },
}

impl ConfigError {
    /// The same error with `context` (which expansion of a fleet block) before its message.
    #[must_use]
    fn within(self, context: &str) -> Self {
        match self {
            Self::Invalid {
                path,
                line,
                message,
            } => Self::Invalid {
                path,
                line,
                message: format!("{context}: {message}"),
            },
            other => other,
        }
    }
}

fn list(paths: &[PathBuf]) -> String {
    paths
        .iter()
        .map(|p| p.display().to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

/// The whole configuration, file and command line merged.
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    /// The file it was read from.
    pub path: PathBuf,
    /// Default request for sources that set none.
    pub query: Option<String>,
    /// Allow statements that write (`--allow-writes`).
    pub allow_writes: bool,
    /// Engine settings.
    pub gather: GatherSettings,
    /// Merge settings.
    pub merge: MergeSpec,
    /// The SQL step after the merge (`[merge] sql`, `--sql`), checked: one query.
    pub sql: Option<SqlStep>,
    /// Sources, in file order.
    pub sources: Vec<SourceSpec>,
}

/// Values from the command line that override the file; `None` leaves the file's value.
#[derive(Debug, Clone, Default)]
pub struct Overrides {
    /// Positional query.
    pub query: Option<String>,
    /// `--timeout`.
    pub timeout: Option<Duration>,
    /// `--deadline`.
    pub deadline: Option<Duration>,
    /// `--concurrency`.
    pub concurrency: Option<usize>,
    /// `--mode`.
    pub mode: Option<Mode>,
    /// `--sort`.
    pub sort: Option<Vec<String>>,
    /// `--limit`.
    pub limit: Option<usize>,
    /// `--only`, repeatable: names or tags.
    pub only: Vec<String>,
    /// `--watch`.
    pub watch: Option<Duration>,
    /// `--allow-writes`.
    pub allow_writes: bool,
    /// `--sql`.
    pub sql: Option<String>,
}

impl Config {
    /// Reads and validates `path`, expanding `${VAR}` from the process environment.
    pub fn load(path: &Path) -> Result<Self, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        Self::parse(path, &text, &|name| std::env::var(name).ok())
    }

    /// Validates `text` as if read from `path`.
    pub fn parse(path: &Path, text: &str, env: EnvLookup<'_>) -> Result<Self, ConfigError> {
        let ctx = Ctx { path, text, env };
        let mut doc = DeTable::parse(text).map_err(|e| syntax_error(&ctx, &e))?;
        let blocks = doc.get_mut().remove("source");
        let raw = RawFile::deserialize(toml::de::Deserializer::from(doc))
            .map_err(|e| syntax_error(&ctx, &e))?;
        let gather = gather(&ctx, &raw.gather.unwrap_or_default())?;
        let raw_merge = raw.merge.unwrap_or_default();
        Ok(Self {
            path: path.to_path_buf(),
            query: raw.query.map(toml::Spanned::into_inner),
            allow_writes: raw.allow_writes.unwrap_or(false),
            merge: merge(&ctx, &raw_merge)?,
            sql: sql_step(&ctx, raw_merge.sql.as_ref())?,
            sources: blocks::sources(&ctx, blocks, gather.timeout)?,
            gather,
        })
    }

    /// Lays command-line values over the file's.
    pub fn apply(&mut self, o: Overrides) -> Result<(), ConfigError> {
        if o.query.is_some() {
            self.query = o.query;
        }
        let g = &mut self.gather;
        g.timeout = o.timeout.unwrap_or(g.timeout);
        g.deadline = o.deadline.or(g.deadline);
        g.concurrency = o.concurrency.unwrap_or(g.concurrency);
        g.mode = o.mode.unwrap_or(g.mode);
        g.watch = o.watch.or(g.watch);
        self.allow_writes |= o.allow_writes;
        if let Some(sort) = o.sort {
            self.merge.sort = sort_keys(&sort).map_err(|e| ConfigError::Flag {
                flag: "--sort",
                message: e.to_string(),
            })?;
        }
        self.merge.limit = o.limit.unwrap_or(self.merge.limit);
        if let Some(sql) = o.sql {
            self.sql = Some(SqlStep::parse(&sql).map_err(|e| ConfigError::Flag {
                flag: "--sql",
                message: e.to_string(),
            })?);
        }
        self.select(&o.only)
    }

    /// Keeps the sources whose name or one of whose tags is in `only` (all when empty).
    fn select(&mut self, only: &[String]) -> Result<(), ConfigError> {
        if only.is_empty() {
            return Ok(());
        }
        let matches = |s: &SourceSpec, w: &String| s.name == *w || s.tags.contains(w);
        if let Some(unknown) = only
            .iter()
            .find(|w| !self.sources.iter().any(|s| matches(s, w)))
        {
            return Err(ConfigError::Flag {
                flag: "--only",
                message: format!(
                    "\"{unknown}\" is neither a source name nor a tag ({})",
                    self.names_and_tags()
                ),
            });
        }
        self.sources.retain(|s| only.iter().any(|w| matches(s, w)));
        Ok(())
    }

    /// `tags: eu, us; sources: a, b, ... and 9,990 more`: what `--only` can name, folded so a
    /// fleet's message stays a line.
    fn names_and_tags(&self) -> String {
        /// Names listed before the rest are counted.
        const SHOWN: usize = 10;
        let mut tags: Vec<&str> = self
            .sources
            .iter()
            .flat_map(|s| s.tags.iter().map(String::as_str))
            .collect();
        tags.sort_unstable();
        tags.dedup();
        let fold = |items: &[&str], what| {
            let mut s = items
                .iter()
                .take(SHOWN)
                .copied()
                .collect::<Vec<_>>()
                .join(", ");
            if items.len() > SHOWN {
                let _ = write!(s, ", and {} more; see --list-sources", items.len() - SHOWN);
            }
            format!("{what}: {s}")
        };
        let names: Vec<&str> = self.sources.iter().map(|s| s.name.as_str()).collect();
        let mut parts = Vec::new();
        if !tags.is_empty() {
            parts.push(fold(&tags, "tags"));
        }
        parts.push(fold(&names, "sources"));
        parts.join("; ")
    }

    /// The request a source runs: its own query, else the default.
    #[must_use]
    pub fn query_for<'a>(&'a self, source: &'a SourceSpec) -> &'a str {
        source
            .query
            .as_deref()
            .or(self.query.as_deref())
            .unwrap_or("")
    }
}

/// The config file to use when `-c` is not given: `./sources.toml`, then the platform's
/// config directory (`~/.config/scatter/sources.toml` on Linux).
pub fn default_path() -> Result<PathBuf, ConfigError> {
    let mut tried = vec![PathBuf::from("sources.toml")];
    if let Some(dir) = dirs::config_dir() {
        tried.push(dir.join("scatter").join("sources.toml"));
    }
    tried
        .iter()
        .find(|p| p.is_file())
        .cloned()
        .ok_or(ConfigError::NotFound { tried })
}

/// A TOML or shape error, quoting the text it points at when the message does not.
fn syntax_error(ctx: &Ctx<'_>, e: &toml::de::Error) -> ConfigError {
    let span = e.span().unwrap_or(0..0);
    let message = e.message().trim_end();
    let at = ctx.text.get(span.clone()).unwrap_or("").trim();
    let quoted = if at.is_empty() || at.len() > 60 || at.contains('\n') || message.contains('`') {
        message.to_owned()
    } else {
        format!("{message}: `{at}`")
    };
    ctx.err(span.start, quoted)
}

fn gather(ctx: &Ctx<'_>, g: &RawGather) -> Result<GatherSettings, ConfigError> {
    let d = GatherSettings::default();
    let duration =
        |key, v: Option<&toml::Spanned<String>>| v.map(|v| ctx.duration(key, v)).transpose();
    let count = |key, v: Option<&toml::Spanned<i64>>| v.map(|v| ctx.count(key, v)).transpose();
    let mode = match g.mode.as_ref() {
        None => d.mode,
        Some(m) => match m.get_ref().as_str() {
            "partial" => Mode::Partial,
            "fail-fast" => Mode::FailFast,
            other => {
                return Err(ctx.err(
                    m.span().start,
                    format!("`mode`: \"{other}\" is not one of partial, fail-fast"),
                ));
            }
        },
    };
    let (attempts, max_extra_load) = attempts::gather(ctx, g)?;
    Ok(GatherSettings {
        attempts,
        max_extra_load,
        timeout: duration("timeout", g.timeout.as_ref())?.unwrap_or(d.timeout),
        deadline: duration("deadline", g.deadline.as_ref())?,
        concurrency: count("concurrency", g.concurrency.as_ref())?.unwrap_or(d.concurrency),
        mode,
        watch: duration("watch", g.watch.as_ref())?,
        max_rows_per_source: count("max_rows_per_source", g.max_rows_per_source.as_ref())?
            .unwrap_or(d.max_rows_per_source),
        max_rows: count("max_rows", g.max_rows.as_ref())?.unwrap_or(d.max_rows),
    })
}

fn merge(ctx: &Ctx<'_>, m: &RawMerge) -> Result<MergeSpec, ConfigError> {
    let sort = match m.sort.as_ref() {
        None => Vec::new(),
        Some(s) => {
            sort_keys(s.get_ref()).map_err(|e| ctx.err(s.span().start, format!("`sort`: {e}")))?
        }
    };
    Ok(MergeSpec {
        sort,
        dedupe: m
            .dedupe
            .as_ref()
            .map(|d| d.get_ref().clone())
            .unwrap_or_default(),
        limit: m
            .limit
            .as_ref()
            .map(|l| ctx.count("limit", l))
            .transpose()?
            .unwrap_or(0),
    })
}

/// `[merge] sql`, checked at start-up: a statement that does not parse or is not a query is a
/// config error at the line of the key.
fn sql_step(
    ctx: &Ctx<'_>,
    sql: Option<&toml::Spanned<String>>,
) -> Result<Option<SqlStep>, ConfigError> {
    let Some(sql) = sql else {
        return Ok(None);
    };
    SqlStep::parse(sql.get_ref())
        .map(Some)
        .map_err(|e| ctx.err(sql.span().start, format!("`sql`: {e}")))
}

/// `["price", "-model"]`: a leading `-` sorts that column descending.
fn sort_keys(keys: &[String]) -> Result<Vec<SortKey>, ValueError> {
    keys.iter()
        .map(|k| {
            let (descending, column) = k
                .strip_prefix('-')
                .map_or((false, k.as_str()), |c| (true, c));
            if column.is_empty() {
                return Err(ValueError::EmptySortKey(k.clone()));
            }
            Ok(SortKey {
                column: column.to_owned(),
                descending,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests;
