//! The tail settings: `retries`, `backoff`, `hedge_after`, `hedge_min` (per source or in
//! `[gather]`), `replicas` (per source) and `[gather] max_extra_load`.

use std::time::Duration;

use toml::Spanned;

use super::check::Ctx;
use super::raw::{RawGather, RawSource};
use super::{ConfigError, KindSpec};

/// Hedges of one run, as a share of its sources, when `[gather] max_extra_load` is not set:
/// enough that a run of 100 sources whose 2 % tail is hedged almost never runs out (more
/// than 10 slow sources in one run is rare), few enough that a slow fleet cannot double
/// its own load.
pub const DEFAULT_MAX_EXTRA_LOAD: f64 = 0.1;

/// When to send a hedge to the next replica.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum HedgeAfter {
    /// After this long without an answer.
    Fixed(Duration),
    /// After the source's p95 latency over its recent runs, never sooner than `hedge_min`
    /// (and `hedge_min` itself until there are enough runs to tell).
    P95,
}

/// How one source tries: retries and hedges. [`GatherSettings`](super::GatherSettings)
/// holds the defaults; a source's own keys override them.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AttemptPolicy {
    /// Retries after transient failures (0 = none). Moving to the next replica after a
    /// transient failure is not counted: it happens at once, once per replica.
    pub retries: usize,
    /// The first retry waits up to this long, each further one up to twice as long as the
    /// one before (full jitter: a uniform draw below the cap).
    pub backoff: Duration,
    /// `None`: no hedging.
    pub hedge_after: Option<HedgeAfter>,
    /// The least hedge delay with `hedge_after = "p95"`.
    pub hedge_min: Duration,
}

impl Default for AttemptPolicy {
    fn default() -> Self {
        Self {
            retries: 0,
            backoff: Duration::from_millis(100),
            hedge_after: None,
            hedge_min: Duration::from_millis(50),
        }
    }
}

/// A source's own tail keys; `None` keeps `[gather]`'s.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct AttemptSpec {
    /// `retries`.
    pub retries: Option<usize>,
    /// `backoff`.
    pub backoff: Option<Duration>,
    /// `hedge_after`.
    pub hedge_after: Option<HedgeAfter>,
    /// `hedge_min`.
    pub hedge_min: Option<Duration>,
}

impl AttemptSpec {
    /// The policy in force: these keys over `defaults`.
    #[must_use]
    pub fn resolve(&self, defaults: &AttemptPolicy) -> AttemptPolicy {
        AttemptPolicy {
            retries: self.retries.unwrap_or(defaults.retries),
            backoff: self.backoff.unwrap_or(defaults.backoff),
            hedge_after: self.hedge_after.or(defaults.hedge_after),
            hedge_min: self.hedge_min.unwrap_or(defaults.hedge_min),
        }
    }
}

/// The keys shared by `[gather]` and `[[source]]`, as written.
struct RawKeys<'r> {
    retries: Option<&'r Spanned<i64>>,
    backoff: Option<&'r Spanned<String>>,
    hedge_after: Option<&'r Spanned<String>>,
    hedge_min: Option<&'r Spanned<String>>,
}

fn spec(ctx: &Ctx<'_>, raw: &RawKeys<'_>) -> Result<AttemptSpec, ConfigError> {
    let duration = |key, v: Option<&Spanned<String>>| v.map(|v| ctx.duration(key, v)).transpose();
    let hedge_after = raw
        .hedge_after
        .map(|v| {
            if v.get_ref().trim().eq_ignore_ascii_case("p95") {
                return Ok(HedgeAfter::P95);
            }
            super::check::parse_duration(v.get_ref())
                .map(HedgeAfter::Fixed)
                .map_err(|e| {
                    ctx.err(
                        v.span().start,
                        format!("`hedge_after`: {e}, or \"p95\" for the source's p95"),
                    )
                })
        })
        .transpose()?;
    Ok(AttemptSpec {
        retries: raw.retries.map(|v| ctx.count("retries", v)).transpose()?,
        backoff: duration("backoff", raw.backoff)?,
        hedge_after,
        hedge_min: duration("hedge_min", raw.hedge_min)?,
    })
}

/// `[gather]`'s tail keys: the default policy and the hedge budget.
pub fn gather(ctx: &Ctx<'_>, g: &RawGather) -> Result<(AttemptPolicy, f64), ConfigError> {
    let keys = RawKeys {
        retries: g.retries.as_ref(),
        backoff: g.backoff.as_ref(),
        hedge_after: g.hedge_after.as_ref(),
        hedge_min: g.hedge_min.as_ref(),
    };
    let policy = spec(ctx, &keys)?.resolve(&AttemptPolicy::default());
    let budget = match g.max_extra_load.as_ref() {
        None => DEFAULT_MAX_EXTRA_LOAD,
        Some(v) if v.get_ref().is_finite() && *v.get_ref() >= 0.0 => *v.get_ref(),
        Some(v) => {
            return Err(ctx.err(
                v.span().start,
                format!(
                    "`max_extra_load`: a share of the run's requests such as 0.05, got {}",
                    v.get_ref()
                ),
            ));
        }
    };
    Ok((policy, budget))
}

/// A `[[source]]`'s own tail keys; it has `replicas` other servers. Its own `hedge_after`
/// with no replica to hedge to is an error (`[gather]`'s applies to the sources that have
/// replicas).
pub fn source(ctx: &Ctx<'_>, r: &RawSource, replicas: usize) -> Result<AttemptSpec, ConfigError> {
    if let Some(v) = r.hedge_after.as_ref()
        && replicas == 0
    {
        return Err(ctx.err(
            v.span().start,
            "`hedge_after`: this source has no `replicas` to send a hedge to",
        ));
    }
    spec(
        ctx,
        &RawKeys {
            retries: r.retries.as_ref(),
            backoff: r.backoff.as_ref(),
            hedge_after: r.hedge_after.as_ref(),
            hedge_min: r.hedge_min.as_ref(),
        },
    )
}

/// The other servers of a source (`replicas`): for a kind with a `url`, a copy of `kind` per
/// URL listed; for `sim`, `replicas = N` independent copies (each with its own seed when the
/// source has one). Other kinds do not take the key (`kinds.rs` says so).
pub fn replicas(
    ctx: &Ctx<'_>,
    r: &RawSource,
    kind: &KindSpec,
) -> Result<Vec<KindSpec>, ConfigError> {
    let Some(v) = r.replicas.as_ref() else {
        return Ok(Vec::new());
    };
    let at = v.span().start;
    if let KindSpec::Sim(sim) = kind {
        let Some(n) = v
            .get_ref()
            .as_integer()
            .and_then(|n| usize::try_from(n).ok())
        else {
            return Err(ctx.err(
                at,
                format!(
                    "`replicas`: for kind \"sim\", a count of copies, got {}",
                    v.get_ref()
                ),
            ));
        };
        return Ok((1..=n as u64)
            .map(|i| {
                let mut copy = sim.clone();
                copy.seed = sim.seed.map(|s| s.wrapping_add(i));
                KindSpec::Sim(copy)
            })
            .collect());
    }
    let Some(items) = v.get_ref().as_array() else {
        return Err(ctx.err(
            at,
            format!("`replicas`: a list of URLs, got {}", v.get_ref()),
        ));
    };
    items
        .iter()
        .map(|item| {
            let Some(url) = item.as_str() else {
                return Err(ctx.err(at, format!("`replicas`: a list of URLs, got {item}")));
            };
            let url = ctx.interpolate("replicas", &Spanned::new(v.span(), url.to_owned()))?;
            Ok(with_url(kind, url))
        })
        .collect()
}

/// `kind` reading from `url` instead of its own.
fn with_url(kind: &KindSpec, url: String) -> KindSpec {
    let mut copy = kind.clone();
    match &mut copy {
        KindSpec::Postgres { url: u, .. }
        | KindSpec::Mysql { url: u, .. }
        | KindSpec::Redis { url: u }
        | KindSpec::Mongodb { url: u }
        | KindSpec::Http { url: u, .. } => *u = url,
        KindSpec::Sqlite { .. }
        | KindSpec::Command { .. }
        | KindSpec::File { .. }
        | KindSpec::Sim(_) => {}
    }
    copy
}

#[cfg(test)]
mod tests;
