//! Per-kind checks of a `[[source]]` table: which keys each kind accepts, and their values.

use std::collections::BTreeMap;
use std::time::Duration;

use toml::Spanned;

use super::check::{Ctx, ValueError};
use super::raw::RawSource;
use super::{ConfigError, DataFormat, HttpMethod, Kind, KindSpec, SimSpec};
use crate::source::{MongoQuery, MongoQueryError};

/// Validates the kind and its keys, producing the typed [`KindSpec`].
pub fn kind_spec(ctx: &Ctx<'_>, raw: &RawSource) -> Result<KindSpec, ConfigError> {
    let name = raw.kind.get_ref().as_str();
    let Some(kind) = Kind::from_name(name) else {
        return Err(ctx.err(
            raw.kind.span().start,
            format!(
                "`kind`: unknown kind \"{name}\"; expected one of {}",
                Kind::names()
            ),
        ));
    };
    let allowed = kind.keys();
    if let Some((key, at)) = raw
        .specific_keys()
        .into_iter()
        .find(|(k, _)| !allowed.contains(k))
    {
        return Err(ctx.err(
            at,
            format!(
                "`{key}` is not a key of kind \"{name}\" (it takes: {})",
                allowed.join(", ")
            ),
        ));
    }
    let at = raw.kind.span().start;
    match kind {
        Kind::Postgres | Kind::Mysql => {
            let url = ctx.interpolate("url", need(ctx, at, name, "url", raw.url.as_ref())?)?;
            let pool = raw
                .pool
                .as_ref()
                .map(|p| ctx.count("pool", p))
                .transpose()?
                .unwrap_or(2)
                .max(1);
            Ok(if kind == Kind::Postgres {
                KindSpec::Postgres { url, pool }
            } else {
                KindSpec::Mysql { url, pool }
            })
        }
        Kind::Sqlite => Ok(KindSpec::Sqlite {
            path: ctx.path("path", need(ctx, at, name, "path", raw.path.as_ref())?)?,
        }),
        Kind::Redis => Ok(KindSpec::Redis {
            url: ctx.interpolate("url", need(ctx, at, name, "url", raw.url.as_ref())?)?,
        }),
        Kind::Mongodb => Ok(KindSpec::Mongodb {
            url: ctx.interpolate("url", need(ctx, at, name, "url", raw.url.as_ref())?)?,
        }),
        Kind::File => file_spec(ctx, at, raw),
        Kind::Http => http_spec(ctx, at, raw),
        Kind::Command => command_spec(ctx, at, raw),
        Kind::Sim => sim_spec(ctx, raw).map(KindSpec::Sim),
    }
}

/// Checks a `mongodb` source's own `query`. The default query is checked when the source
/// runs: it may be replaced on the command line, and a file whose default is SQL can still
/// be run with `--only mongo '{"find": ...}'`.
pub fn check_mongo_query(
    ctx: &Ctx<'_>,
    query: Option<&Spanned<String>>,
) -> Result<(), ConfigError> {
    let Some(query) = query else {
        return Ok(());
    };
    let Err(e) = MongoQuery::parse(query.get_ref()) else {
        return Ok(());
    };
    let (offset, message) = match &e {
        // The line is the file's; the column is the query's.
        MongoQueryError::Json {
            line,
            column,
            message,
            near,
        } => (
            query_line_offset(ctx.text, query.span().start, *line),
            format!("not valid JSON at column {column}: {message} (near `{near}`)"),
        ),
        other => (query.span().start, other.to_string()),
    };
    Err(ctx.err(offset, format!("`query`: {message}")))
}

/// The byte offset in `text` of line `line` (1-based) of the TOML string whose value starts at
/// `value_start` (at its opening quote). Single-line strings have one line; in a multi-line
/// string (`'''` or `"""`, whose first newline TOML drops) the query's lines are the file's.
fn query_line_offset(text: &str, value_start: usize, line: usize) -> usize {
    let rest = text.get(value_start..).unwrap_or("");
    let Some(body) = rest
        .strip_prefix("'''")
        .or_else(|| rest.strip_prefix("\"\"\""))
    else {
        return value_start;
    };
    let trimmed = body
        .strip_prefix("\r\n")
        .or_else(|| body.strip_prefix('\n'))
        .unwrap_or(body);
    let body_start = value_start + rest.len() - trimmed.len();
    let lines_before: usize = text[body_start..]
        .split_inclusive('\n')
        .take(line.saturating_sub(1))
        .map(str::len)
        .sum();
    body_start + lines_before
}

fn need<'r, T>(
    ctx: &Ctx<'_>,
    at: usize,
    kind: &str,
    key: &str,
    v: Option<&'r Spanned<T>>,
) -> Result<&'r Spanned<T>, ConfigError> {
    v.ok_or_else(|| ctx.err(at, format!("kind \"{kind}\" needs `{key}`")))
}

fn file_spec(ctx: &Ctx<'_>, at: usize, raw: &RawSource) -> Result<KindSpec, ConfigError> {
    let spanned = need(ctx, at, "file", "path", raw.path.as_ref())?;
    let path = ctx.path("path", spanned)?;
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or("")
        .to_ascii_lowercase();
    let format = DataFormat::from_name(&ext).ok_or_else(|| {
        ctx.err(
            spanned.span().start,
            format!(
                "`path`: cannot tell the format of \"{}\" from its extension; \
                 use .csv, .json, .ndjson, .jsonl or .parquet",
                spanned.get_ref()
            ),
        )
    })?;
    let nulls = nulls(ctx, raw, format)?;
    Ok(KindSpec::File {
        path,
        format,
        nulls,
    })
}

fn http_spec(ctx: &Ctx<'_>, at: usize, raw: &RawSource) -> Result<KindSpec, ConfigError> {
    let url = ctx.interpolate("url", need(ctx, at, "http", "url", raw.url.as_ref())?)?;
    let method = match raw.method.as_ref() {
        None => HttpMethod::Get,
        Some(m) => match m.get_ref().to_ascii_uppercase().as_str() {
            "GET" => HttpMethod::Get,
            "POST" => HttpMethod::Post,
            other => {
                return Err(ctx.err(
                    m.span().start,
                    format!("`method`: \"{other}\" is not supported; use GET or POST"),
                ));
            }
        },
    };
    let mut headers = Vec::new();
    for (name, value) in raw
        .headers
        .as_ref()
        .map_or(&BTreeMap::new(), |h| h.get_ref())
    {
        headers.push((
            name.clone(),
            ctx.interpolate(&format!("headers.{name}"), value)?,
        ));
    }
    let body = raw
        .body
        .as_ref()
        .map(|b| ctx.interpolate("body", b))
        .transpose()?;
    let rows = match raw.rows.as_ref() {
        None => String::new(),
        Some(v) => match v.get_ref() {
            toml::Value::String(p) if p.is_empty() || p.starts_with('/') => p.clone(),
            other => {
                return Err(ctx.err(
                    v.span().start,
                    format!("`rows`: expected a JSON pointer such as \"/data/items\", got {other}"),
                ));
            }
        },
    };
    Ok(KindSpec::Http {
        url,
        method,
        headers,
        body,
        rows,
    })
}

fn command_spec(ctx: &Ctx<'_>, at: usize, raw: &RawSource) -> Result<KindSpec, ConfigError> {
    let argv_raw = need(ctx, at, "command", "argv", raw.argv.as_ref())?;
    if argv_raw.get_ref().is_empty() {
        return Err(ctx.err(argv_raw.span().start, "`argv`: must name a program"));
    }
    let mut argv = Vec::with_capacity(argv_raw.get_ref().len());
    for arg in argv_raw.get_ref() {
        let spanned = Spanned::new(argv_raw.span(), arg.clone());
        argv.push(ctx.interpolate("argv", &spanned)?);
    }
    let format = match raw.format.as_ref() {
        None => DataFormat::Ndjson,
        Some(f) => DataFormat::from_name(f.get_ref())
            .filter(|f| *f != DataFormat::Parquet)
            .ok_or_else(|| {
                ctx.err(
                    f.span().start,
                    format!(
                        "`format`: \"{}\" is not one of ndjson, csv, json",
                        f.get_ref()
                    ),
                )
            })?,
    };
    let nulls = nulls(ctx, raw, format)?;
    Ok(KindSpec::Command {
        argv,
        format,
        nulls,
    })
}

/// `nulls`: the spellings of null in CSV (default: only the empty field). JSON has its own
/// `null`, so the key is an error on a JSON or NDJSON source.
fn nulls(ctx: &Ctx<'_>, raw: &RawSource, format: DataFormat) -> Result<Vec<String>, ConfigError> {
    let Some(nulls) = raw.nulls.as_ref() else {
        return Ok(vec![String::new()]);
    };
    if format != DataFormat::Csv {
        return Err(ctx.err(
            nulls.span().start,
            format!(
                "`nulls`: only CSV spells null as text; this source reads {}",
                format.as_str()
            ),
        ));
    }
    Ok(nulls.get_ref().clone())
}

fn sim_spec(ctx: &Ctx<'_>, raw: &RawSource) -> Result<SimSpec, ConfigError> {
    let latency = match raw.latency.as_ref() {
        None => (Duration::from_millis(50), Duration::from_millis(50)),
        Some(l) => parse_latency(l.get_ref())
            .map_err(|e| ctx.err(l.span().start, format!("`latency`: {e}")))?,
    };
    let rows = match raw.rows.as_ref() {
        None => 10,
        Some(v) => match v.get_ref() {
            toml::Value::Integer(n) if *n >= 0 => *n as usize,
            other => {
                return Err(ctx.err(
                    v.span().start,
                    format!("`rows`: expected a row count (0 or more), got {other}"),
                ));
            }
        },
    };
    let fail = probability(ctx, "fail", raw.fail.as_ref())?;
    let tail = probability(ctx, "tail", raw.tail.as_ref())?;
    let tail_latency = match raw.tail_latency.as_ref() {
        None => Duration::from_secs(1),
        Some(t) => ctx.duration("tail_latency", t)?,
    };
    Ok(SimSpec {
        latency,
        rows,
        error: raw.error.as_ref().map(|e| e.get_ref().clone()),
        fail,
        hang: raw.hang.as_ref().is_some_and(|h| *h.get_ref()),
        panic: raw.panic.as_ref().map(|p| p.get_ref().clone()),
        seed: raw.seed.as_ref().map(|s| *s.get_ref() as u64),
        tail,
        tail_latency,
    })
}

/// A probability from 0.0 to 1.0; 0.0 when the key is absent.
fn probability(ctx: &Ctx<'_>, key: &str, v: Option<&Spanned<f64>>) -> Result<f64, ConfigError> {
    match v {
        None => Ok(0.0),
        Some(f) if (0.0..=1.0).contains(f.get_ref()) => Ok(*f.get_ref()),
        Some(f) => Err(ctx.err(
            f.span().start,
            format!(
                "`{key}`: a probability from 0.0 to 1.0, got {}",
                f.get_ref()
            ),
        )),
    }
}

/// `"50ms"` or a range `"20ms..900ms"`.
fn parse_latency(s: &str) -> Result<(Duration, Duration), ValueError> {
    let (lo, hi) = if let Some((a, b)) = s.split_once("..") {
        (
            super::check::parse_duration(a)?,
            super::check::parse_duration(b)?,
        )
    } else {
        let d = super::check::parse_duration(s)?;
        (d, d)
    };
    if lo > hi {
        return Err(ValueError::BackwardRange(s.to_owned()));
    }
    Ok((lo, hi))
}
