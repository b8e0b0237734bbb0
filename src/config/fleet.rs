//! Fleets: one `[[source]]` block that declares many sources.
//!
//! A block with `each`, `glob`, `inventory` or `inventory_file` is expanded before it is
//! validated: the forms give a list of bindings each (their cross product is the list of
//! sources), every string of the block (in arrays and tables too) has its `{name}`
//! placeholders filled, and inventory keys replace the block's. Expansion works on the parsed
//! TOML with its spans, so whatever key a source kind takes is expanded the same way, and an
//! error in an expanded value still names the line it was written on.

mod error;
mod forms;
mod inventory;
mod placeholder;

use std::borrow::Cow;
use std::ops::Range;
use std::time::Duration;

use toml::Spanned;
use toml::de::{DeTable, DeValue};

use super::check::Ctx;
use super::{ConfigError, Kind};
pub use error::FleetError;
use forms::{Binding, Picks};
use inventory::Origin;

/// The keys that make a block a fleet; they are taken out before the block is validated.
pub const FORM_KEYS: [&str; 4] = ["each", "glob", "inventory", "inventory_file"];

/// Most sources one block may declare: ten times the largest fleet scatter is measured with,
/// so that a slip in a range (`1..1000000`) fails at once instead of building a million sources.
pub const MAX_EXPANSION: usize = 100_000;

/// One source a block declares: its table, ready to validate, and for a fleet block which
/// expansion it is (`n = "07", region = "eu"`), for messages.
pub struct Expanded<'a> {
    /// The source's table, spans pointing into the config file.
    pub table: Spanned<DeValue<'a>>,
    /// `None` for a plain block.
    pub origin: Option<String>,
}

/// What [`expand`] needs besides the block.
pub struct Env<'a> {
    /// The file's context (path, text, environment).
    pub ctx: &'a Ctx<'a>,
    /// `[gather] timeout`, the inventory program's limit unless the block sets `timeout`.
    pub timeout: Duration,
    /// The keys `[[source]]` takes: an inventory key among them overrides the block's.
    pub source_keys: &'a [&'static str],
}

/// Expands `block` and hands each source it declares to `emit`, in order.
pub fn expand(
    env: &Env<'_>,
    block: Spanned<DeValue<'_>>,
    emit: &mut dyn FnMut(Expanded<'_>) -> Result<(), ConfigError>,
) -> Result<(), ConfigError> {
    let span = block.span();
    let DeValue::Table(mut table) = block.into_inner() else {
        return Err(env
            .ctx
            .err(span.start, "`source`: expected a table ([[source]])"));
    };
    let forms: Vec<(&str, Spanned<DeValue<'_>>)> = FORM_KEYS
        .iter()
        .filter_map(|k| table.remove(*k).map(|v| (*k, v)))
        .collect();
    if forms.is_empty() {
        let table = Spanned::new(span, DeValue::Table(table));
        return emit(Expanded {
            table,
            origin: None,
        });
    }
    let sets = binding_sets(env, &mut table, &forms)?;
    let total = sets
        .iter()
        .try_fold(1_usize, |n, set| n.checked_mul(set.len()))
        .filter(|n| *n <= MAX_EXPANSION)
        .ok_or_else(|| {
            let sizes: Vec<_> = sets.iter().map(|s| s.len().to_string()).collect();
            env.ctx.err(
                span.start,
                format!(
                    "the block declares {} sources, more than the {MAX_EXPANSION} a block may",
                    sizes.join(" x ")
                ),
            )
        })?;
    let at = forms
        .iter()
        .find(|(k, _)| k.starts_with("inventory"))
        .map_or(span.clone(), |(_, v)| v.span());
    for i in 0..total {
        let binding = combine(&sets, i);
        if let Some(name) = binding.defined_twice() {
            let message = format!("placeholder `{{{name}}}` is defined twice");
            return Err(env.ctx.err(span.start, message));
        }
        let origin = binding.origin();
        let within = |e: ConfigError| e.within(&format!("expansion ({origin})"));
        let overrides = override_texts(&binding)
            .map_err(|(key, e)| within(fail(env.ctx, at.start, &key, &e)))?;
        let table = apply(env.ctx, &table, &binding, &overrides, &span, &at).map_err(within)?;
        emit(Expanded {
            table,
            origin: Some(origin),
        })?;
    }
    Ok(())
}

/// `` `key`: what is wrong `` at byte `at`.
fn fail(ctx: &Ctx<'_>, at: usize, key: &str, e: &FleetError) -> ConfigError {
    ctx.err(at, format!("`{key}`: {e}"))
}

/// Expansion `i` of the cross product of `sets` (the first set outermost).
fn combine(sets: &[Vec<Binding>], mut i: usize) -> Picks<'_> {
    let mut picks: Vec<&Binding> = sets
        .iter()
        .rev()
        .map(|set| {
            let pick = &set[i % set.len()];
            i /= set.len();
            pick
        })
        .collect();
    picks.reverse();
    Picks(picks)
}

/// One list of bindings per `each` key, then the glob's files, then the inventory's lines.
fn binding_sets(
    env: &Env<'_>,
    table: &mut DeTable<'_>,
    forms: &[(&str, Spanned<DeValue<'_>>)],
) -> Result<Vec<Vec<Binding>>, ConfigError> {
    let ctx = env.ctx;
    // `sources.toml` has the parent "", which is no directory to run a program in.
    let dir = ctx
        .path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or_else(|| std::path::Path::new("."));
    let mut sets = Vec::new();
    let mut origin = None;
    for (key, value) in forms {
        let at = value.span().start;
        match *key {
            "each" => {
                for (name, values) in
                    forms::each(value.get_ref(), at).map_err(|(at, k, e)| fail(ctx, at, &k, &e))?
                {
                    let set = values
                        .into_iter()
                        .map(|v| Binding {
                            origin: vec![format!("{name} = \"{v}\"")],
                            vars: vec![(name.clone(), v)],
                            overrides: Vec::new(),
                        })
                        .collect();
                    sets.push(set);
                }
            }
            "glob" => sets.push(glob(ctx, table, value, dir)?),
            "inventory" if origin.is_none() => origin = Some((at, command(ctx, value)?)),
            "inventory_file" if origin.is_none() => {
                let path = string(ctx, "inventory_file", value)?;
                origin = Some((at, Origin::File(path.into())));
            }
            _ => {
                let key = "inventory` and `inventory_file";
                return Err(fail(ctx, at, key, &FleetError::TwoInventories));
            }
        }
    }
    if let Some((at, origin)) = origin {
        let timeout = match table.get("timeout").map(|t| (t.span().start, t.get_ref())) {
            Some((at, DeValue::String(t))) => {
                super::parse_duration(t).map_err(|e| ctx.err(at, format!("`timeout`: {e}")))?
            }
            _ => env.timeout,
        };
        let key = if matches!(origin, Origin::File(_)) {
            "inventory_file"
        } else {
            "inventory"
        };
        let rows = inventory::read(&origin, dir, timeout).map_err(|e| fail(ctx, at, key, &e))?;
        let is_source_key = |k: &str| env.source_keys.contains(&k);
        let is_used = |k: &str| table.values().any(|v| placeholder::uses(v.get_ref(), k));
        let set =
            forms::inventory(rows, &is_source_key, &is_used).map_err(|e| fail(ctx, at, key, &e))?;
        sets.push(set);
    }
    Ok(sets)
}

/// The glob's files; the block gets `path = "{path}"` unless it sets its own.
fn glob(
    ctx: &Ctx<'_>,
    table: &mut DeTable<'_>,
    value: &Spanned<DeValue<'_>>,
    dir: &std::path::Path,
) -> Result<Vec<Binding>, ConfigError> {
    let at = value.span().start;
    let kind = table
        .get("kind")
        .and_then(|k| k.get_ref().as_str())
        .unwrap_or("");
    if !Kind::from_name(kind).is_some_and(Kind::reads_a_path) {
        return Err(fail(
            ctx,
            at,
            "glob",
            &FleetError::GlobKind(kind.to_owned()),
        ));
    }
    let pattern = string(ctx, "glob", value)?;
    let set = forms::glob(&pattern, dir).map_err(|e| fail(ctx, at, "glob", &e))?;
    if !table.contains_key("path") {
        let key = Spanned::new(value.span(), Cow::Borrowed("path"));
        table.insert(
            key,
            Spanned::new(value.span(), DeValue::String(Cow::Borrowed("{path}"))),
        );
    }
    Ok(set)
}

fn string(ctx: &Ctx<'_>, key: &str, v: &Spanned<DeValue<'_>>) -> Result<String, ConfigError> {
    match v.get_ref() {
        DeValue::String(s) if !s.trim().is_empty() => Ok(s.to_string()),
        _ => Err(fail(ctx, v.span().start, key, &FleetError::NotAString)),
    }
}

/// `inventory = ["./list.sh", "--prod"]`: a program and its arguments.
fn command(ctx: &Ctx<'_>, v: &Spanned<DeValue<'_>>) -> Result<Origin, ConfigError> {
    let bad = || fail(ctx, v.span().start, "inventory", &FleetError::InventoryArgv);
    let DeValue::Array(items) = v.get_ref() else {
        return Err(bad());
    };
    let argv = items
        .iter()
        .map(|i| i.get_ref().as_str().map(str::to_owned))
        .collect::<Option<Vec<_>>>()
        .filter(|a| a.first().is_some_and(|p| !p.is_empty()))
        .ok_or_else(bad)?;
    Ok(Origin::Command(argv))
}

/// An inventory's values as TOML text, parsed by [`apply`]; `None` removes the key.
type Overrides = Vec<(String, Option<String>)>;

/// The inventory keys of `binding` as TOML value text (`null` removes the key). `Err` names
/// the key.
fn override_texts(binding: &Picks<'_>) -> Result<Overrides, (String, FleetError)> {
    binding
        .overrides()
        .map(|(key, value)| {
            let text = value
                .as_ref()
                .map(|v| toml::Value::try_from(v).map(|t| t.to_string()))
                .transpose()
                .map_err(|e| (key.clone(), FleetError::NotToml(e)))?;
            Ok((key.clone(), text))
        })
        .collect()
}

/// The block's table for one binding: placeholders filled, inventory keys laid over it, each
/// of those at `at` (the `inventory` key's span: they were not written in the file).
fn apply<'a>(
    ctx: &Ctx<'_>,
    block: &DeTable<'a>,
    binding: &Picks<'_>,
    overrides: &'a Overrides,
    span: &Range<usize>,
    at: &Range<usize>,
) -> Result<Spanned<DeValue<'a>>, ConfigError> {
    let mut table = block.clone();
    for (key, value) in &mut table {
        let start = value.span().start;
        placeholder::fill_value(value.get_mut(), key.get_ref(), binding)
            .map_err(|e| ctx.err(start, e.to_string()))?;
    }
    for (key, text) in overrides {
        let Some(text) = text else {
            table.remove(key.as_str());
            continue;
        };
        let value = DeValue::parse(text).map_err(|e| ctx.err(at.start, format!("`{key}`: {e}")))?;
        table.insert(
            Spanned::new(at.clone(), Cow::Borrowed(key.as_str())),
            respan(value, at),
        );
    }
    Ok(Spanned::new(span.clone(), DeValue::Table(table)))
}

/// `v` with every span, nested ones too, set to `at`.
fn respan<'a>(v: Spanned<DeValue<'a>>, at: &Range<usize>) -> Spanned<DeValue<'a>> {
    let inner = match v.into_inner() {
        DeValue::Array(items) => DeValue::Array(items.into_iter().map(|i| respan(i, at)).collect()),
        DeValue::Table(t) => DeValue::Table(
            t.into_iter()
                .map(|(k, v)| (Spanned::new(at.clone(), k.into_inner()), respan(v, at)))
                .collect(),
        ),
        other => other,
    };
    Spanned::new(at.clone(), inner)
}

#[cfg(test)]
mod tests;
