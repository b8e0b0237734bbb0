//! What a gather runs: the [`Plan`], built once per configuration, and its sources with
//! their replicas and attempt policies.

use std::sync::Arc;
use std::time::Duration;

use tokio_util::task::TaskTracker;

use super::LatencyHistory;
use crate::config::{AttemptPolicy, Config, GatherSettings, KindSpec, SourceSpec};
use crate::source::{self, Source, SourceError};

/// One source as the engine runs it.
#[derive(Clone)]
pub struct PlannedSource {
    /// Unique name.
    pub name: String,
    /// Kind name.
    pub kind: &'static str,
    /// The query it runs.
    pub query: String,
    /// Its time limit.
    pub timeout: Duration,
    /// `false`: reported as `skipped`.
    pub enabled: bool,
    /// The source itself; `Err` when it could not be built (reported as its error each run).
    pub source: Result<Arc<dyn Source>, Arc<SourceError>>,
    /// Where `source` reads from, password hidden: what its attempts show as their target.
    pub target: String,
    /// The other servers holding the same data (`replicas`), for retries and hedges.
    pub replicas: Vec<Replica>,
    /// Its retries and hedging.
    pub policy: AttemptPolicy,
    /// Its recent latencies, for `hedge_after = "p95"`; shared by every run of the plan.
    pub history: Arc<LatencyHistory>,
}

impl PlannedSource {
    /// A source with no replicas that neither retries nor hedges.
    #[must_use]
    pub fn single(
        name: impl Into<String>,
        kind: &'static str,
        timeout: Duration,
        source: Result<Arc<dyn Source>, Arc<SourceError>>,
    ) -> Self {
        Self {
            name: name.into(),
            kind,
            query: String::new(),
            timeout,
            enabled: true,
            source,
            target: String::new(),
            replicas: Vec::new(),
            policy: AttemptPolicy::default(),
            history: Arc::default(),
        }
    }

    /// The source as `spec` and `config` say, with its replicas built.
    fn new(config: &Config, spec: &SourceSpec) -> Self {
        let build = |kind: &KindSpec| {
            source::build(&SourceSpec {
                kind: kind.clone(),
                replicas: Vec::new(),
                ..spec.clone()
            })
            .map_err(Arc::new)
        };
        let sim_copy = |i: usize| format!("{} (copy {i})", spec.name);
        let replicas = spec
            .replicas
            .iter()
            .enumerate()
            .map(|(i, kind)| Replica {
                target: match kind {
                    KindSpec::Sim(_) => sim_copy(i + 1),
                    other => other.target(),
                },
                source: build(kind),
            })
            .collect();
        Self {
            name: spec.name.clone(),
            kind: spec.kind.name(),
            query: config.query_for(spec).to_owned(),
            timeout: spec.timeout.unwrap_or(config.gather.timeout),
            enabled: spec.enabled,
            source: source::build(spec).map_err(Arc::new),
            target: match &spec.kind {
                KindSpec::Sim(_) if !spec.replicas.is_empty() => spec.name.clone(),
                other => other.target(),
            },
            replicas,
            policy: spec.attempts.resolve(&config.gather.attempts),
            history: Arc::default(),
        }
    }

    /// Its servers: itself and its replicas.
    #[must_use]
    pub fn replica_count(&self) -> usize {
        1 + self.replicas.len()
    }

    /// Server `i` (0 is the source itself): its target and its source.
    pub(super) fn replica(&self, i: usize) -> (&str, &Result<Arc<dyn Source>, Arc<SourceError>>) {
        match i.checked_sub(1) {
            None => (&self.target, &self.source),
            Some(r) => (&self.replicas[r].target, &self.replicas[r].source),
        }
    }
}

/// Another server of a source, holding the same data.
#[derive(Clone)]
pub struct Replica {
    /// Where it reads from, password hidden.
    pub target: String,
    /// The source for it; `Err` when it could not be built (its attempts fail with that).
    pub source: Result<Arc<dyn Source>, Arc<SourceError>>,
}

/// Everything a gather needs; built once per configuration and shared by every run, so
/// sources keep their connections between runs. Cloning is cheap and shares the sources
/// (use it to change the query for the next run).
#[derive(Clone)]
pub struct Plan {
    /// The sources, in config order.
    pub sources: Vec<PlannedSource>,
    /// Limits and mode.
    pub settings: GatherSettings,
    /// Writes allowed.
    pub allow_writes: bool,
    /// Cleanup work sources spawn after being cut off (server-side cancels); wait on it before
    /// the process exits.
    pub cleanup: TaskTracker,
    /// The columns the SQL step and the merge keys may name (`None`: all), for sources that
    /// can read only some.
    pub columns: Option<Arc<crate::sql::Columns>>,
}

impl Plan {
    /// Builds every source of `config`. A source that cannot be built does not stop the
    /// others: it reports its error when run.
    #[must_use]
    pub fn new(config: &Config) -> Self {
        let sources = config
            .sources
            .iter()
            .map(|spec| PlannedSource::new(config, spec))
            .collect();
        Self {
            sources,
            settings: config.gather.clone(),
            allow_writes: config.allow_writes,
            cleanup: TaskTracker::new(),
            columns: None,
        }
        .with_sql(config, config.sql.as_ref())
    }

    /// The plan for a run with the SQL step `sql`: sources read the columns it and the merge's
    /// sort and dedupe keys may name.
    #[must_use]
    pub fn with_sql(mut self, config: &Config, sql: Option<&crate::sql::SqlStep>) -> Self {
        self.columns = sql.map(|step| {
            let keys = config.merge.sort.iter().map(|k| k.column.as_str());
            let dedupe = config.merge.dedupe.iter().map(String::as_str);
            Arc::new(step.columns().clone().with(keys.chain(dedupe)))
        });
        self
    }

    /// Sets the query of every source that has no query of its own in `config`.
    pub fn set_query(&mut self, config: &Config, query: &str) {
        for (planned, spec) in self.sources.iter_mut().zip(&config.sources) {
            if spec.query.is_none() {
                query.clone_into(&mut planned.query);
            }
        }
    }
}
