//! The `[[source]]` blocks: each expanded (see `fleet.rs`), validated, and the names checked
//! unique across the whole file.

use std::time::Duration;

use serde::Deserialize as _;
use toml::Spanned;
use toml::de::DeValue;

use super::attempts;
use super::check::{self, Ctx};
use super::raw::{self, RawSource};
use super::{ConfigError, KindSpec, SourceSpec, fleet, kinds, syntax_error};

/// Every `[[source]]` block, fleets expanded, in file order.
pub fn sources(
    ctx: &Ctx<'_>,
    blocks: Option<Spanned<DeValue<'_>>>,
    timeout: Duration,
) -> Result<Vec<SourceSpec>, ConfigError> {
    let Some(blocks) = blocks else {
        return Ok(Vec::new());
    };
    let at = blocks.span().start;
    let DeValue::Array(blocks) = blocks.into_inner() else {
        return Err(ctx.err(at, "`source`: expected [[source]] tables"));
    };
    let env = fleet::Env {
        ctx,
        timeout,
        source_keys: raw::source_keys(),
    };
    let mut out = Vec::with_capacity(blocks.len());
    // Per source: the offset of its name and which expansion it is, for the duplicate message.
    let mut origins = Vec::with_capacity(blocks.len());
    for block in blocks {
        fleet::expand(&env, block, &mut |e| {
            let (spec, at) = source(ctx, e.table, e.origin.as_deref())?;
            out.push(spec);
            origins.push((at, e.origin));
            Ok(())
        })?;
    }
    unique_names(ctx, &out, &origins)?;
    Ok(out)
}

/// The first source (in file order) whose name an earlier source has is an error. Sorting
/// the names finds it without hashing or copying 10,000 of them.
fn unique_names(
    ctx: &Ctx<'_>,
    sources: &[SourceSpec],
    origins: &[(usize, Option<String>)],
) -> Result<(), ConfigError> {
    let mut order: Vec<usize> = (0..sources.len()).collect();
    order.sort_unstable_by(|a, b| sources[*a].name.cmp(&sources[*b].name).then(a.cmp(b)));
    let Some((first, dup)) = order
        .windows(2)
        .filter(|w| sources[w[0]].name == sources[w[1]].name)
        .map(|w| (w[0], w[1]))
        .min_by_key(|(_, dup)| *dup)
    else {
        return Ok(());
    };
    let name = &sources[dup].name;
    let (at, origin) = &origins[dup];
    let err = ctx.err(
        *at,
        format!(
            "`name`: duplicate source name \"{name}\" (first declared on line {})",
            check::line_of(ctx.text, origins[first].0)
        ),
    );
    Err(within(err, name, origin.as_deref()))
}

/// `err` prefixed with the expansion it belongs to, if any.
fn within(err: ConfigError, name: &str, origin: Option<&str>) -> ConfigError {
    match origin {
        Some(o) if name.is_empty() => err.within(&format!("expansion ({o})")),
        Some(o) => err.within(&format!("source \"{name}\" ({o})")),
        None => err,
    }
}

/// One source, validated, and the offset of its name.
fn source(
    ctx: &Ctx<'_>,
    table: Spanned<DeValue<'_>>,
    origin: Option<&str>,
) -> Result<(SourceSpec, usize), ConfigError> {
    let r = RawSource::deserialize(toml::de::ValueDeserializer::from(table))
        .map_err(|err| within(syntax_error(ctx, &err), "", origin))?;
    let at = r.name.span().start;
    if r.name.get_ref().trim().is_empty() {
        return Err(within(ctx.err(at, "`name`: must not be empty"), "", origin));
    }
    let name = r.name.get_ref().trim().to_owned();
    let spec = source_spec(ctx, r, name).map_err(|(e, name)| within(e, &name, origin))?;
    Ok((spec, at))
}

/// The validated source; its strings are moved out of `r`, not copied. `Err` carries the name.
fn source_spec(
    ctx: &Ctx<'_>,
    r: RawSource,
    name: String,
) -> Result<SourceSpec, (ConfigError, String)> {
    let kind = match kinds::kind_spec(ctx, &r) {
        Ok(kind) => kind,
        Err(e) => return Err((e, name)),
    };
    if matches!(kind, KindSpec::Mongodb { .. })
        && let Err(e) = kinds::check_mongo_query(ctx, r.query.as_ref())
    {
        return Err((e, name));
    }
    let tail = attempts::replicas(ctx, &r, &kind)
        .and_then(|replicas| Ok((attempts::source(ctx, &r, replicas.len())?, replicas)));
    let (attempts, replicas) = match tail {
        Ok(t) => t,
        Err(e) => return Err((e, name)),
    };
    let timeout = match r
        .timeout
        .as_ref()
        .map(|t| ctx.duration("timeout", t))
        .transpose()
    {
        Ok(t) => t,
        Err(e) => return Err((e, name)),
    };
    Ok(SourceSpec {
        name,
        kind,
        timeout,
        query: r.query.map(Spanned::into_inner),
        tags: r.tags,
        enabled: r.enabled.unwrap_or(true),
        replicas,
        attempts,
    })
}
